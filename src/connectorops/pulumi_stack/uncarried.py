"""What azure-native's typed CustomApi cannot carry of a rendered body, so the program never drops it silently.

Its ConnectionParameter type has only `type` and `oAuthSettings`; the provider leaves every other
key out of the ARM request. `uiDefinition` (the connection dialog's labels, tooltips and tab
order) is the one the engine renders, so a stack must either accept losing it per connector
(`connectorops:dropUiDefinition`) or deploy with `connectorops apply`, which carries it.
"""

from __future__ import annotations

import copy
from typing import Any

CARRIED_PARAMETER_KEYS = ("type", "oAuthSettings")


def uncarried_fields(body: dict[str, Any]) -> list[str]:
    """connectionParameters.<name>.<key> paths azure-native would leave out, in a stable order."""
    parameters = (body.get("properties") or {}).get("connectionParameters") or {}
    return [
        f"connectionParameters.{name}.{key}"
        for name, parameter in sorted(parameters.items())
        if isinstance(parameter, dict)
        for key in sorted(parameter)
        if key not in CARRIED_PARAMETER_KEYS
    ]


def without_uncarried(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of `body` as azure-native will deploy it (what the stack then shows in its diff)."""
    result = copy.deepcopy(body)
    parameters = (result.get("properties") or {}).get("connectionParameters") or {}
    for name, parameter in parameters.items():
        if isinstance(parameter, dict):
            parameters[name] = {k: v for k, v in parameter.items() if k in CARRIED_PARAMETER_KEYS}
    return result
