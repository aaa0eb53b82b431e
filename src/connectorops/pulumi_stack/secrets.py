"""Secret references in a rendered customApi become Pulumi secrets, never plain inputs.

The engine's body holds no secret values; here each reference is resolved as `apply` resolves it
(engine/secrets.py) and written back at its pointer as `pulumi.Output.secret(value)`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    import pulumi
except ImportError as missing:
    raise PulumiExtraMissing("the Pulumi program (infra/)", missing) from None

from connectorops.engine.secrets import resolve_secret, set_at_pointer
from connectorops.render import DesiredCustomApi


def secret_values(api: DesiredCustomApi, environ: Mapping[str, str]) -> dict[str, str]:
    """JSON pointer (under connectionParameters) -> value of each secret reference, resolved as apply does."""
    return {
        pointer: resolve_secret(ref, connector=api.name, pointer=pointer, environ=environ)
        for pointer, ref in sorted(api.secret_refs.items())
    }


def properties_with_secrets(api: DesiredCustomApi, environ: Mapping[str, str]) -> dict[str, Any]:
    """`api.body["properties"]` with every secret reference filled in as a Pulumi secret Output."""
    properties: dict[str, Any] = copy.deepcopy(api.body.get("properties") or {})
    if not api.secret_refs:
        return properties
    params = properties.setdefault("connectionParameters", {})
    for pointer, value in secret_values(api, environ).items():
        set_at_pointer(params, pointer, pulumi.Output.secret(value))
    return properties
