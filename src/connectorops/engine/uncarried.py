"""What azure-native's typed CustomApi cannot carry of a rendered body, so `mode: pulumi` never drops it silently.

Its ConnectionParameter type has only `type` and `oAuthSettings`; the provider leaves every other
key out of the ARM request. `uiDefinition` (the connection dialog's labels, tooltips and tab
order) is the one the engine renders, so a stack must either accept losing it per connector
(`connectorops:dropUiDefinition`) or deploy with `connectorops apply`, which carries it. The
Pulumi program refuses at `pulumi up`; `plan`/`validate` say the same earlier (`uncarried_problems`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from connectorops.errors import ConnectoropsError, Problem, Severity
from connectorops.render import DesiredCustomApi
from connectorops.spec.models import AzureEnvironment
from connectorops.spec.repository import Repository
from connectorops.spec.source import SourceTree
from connectorops.spec.yaml_located import load_yaml

CARRIED_PARAMETER_KEYS = ("type", "oAuthSettings")
DROP_KEY = "connectorops:dropUiDefinition"
ENVIRONMENT_KEY = "connectorops:environment"
UNCARRIED_CODE = "pulumi.uncarried_field"


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


def is_pulumi_environment(repo: Repository, environment: str) -> bool:
    env = repo.config.environments.get(environment)
    return isinstance(env, AzureEnvironment) and env.mode == "pulumi"


def declared_drops(tree: SourceTree, environment: str) -> dict[str, str]:
    """Connector -> the Pulumi.<stack>.yaml (repository root) whose stack deploys `environment` and drops its dialog.

    A stack file that does not parse declares nothing here: `pulumi` itself reports it.
    """
    found: dict[str, str] = {}
    for name in tree.list_dir("."):  # the repository root, in both kinds of tree
        if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))) or name.count(".") != 2:
            continue
        try:
            document, _ = load_yaml(tree.read_bytes(name), name)
        except (ConnectoropsError, OSError):
            continue
        config = document.get("config") if isinstance(document, dict) else None
        if not isinstance(config, dict) or config.get(ENVIRONMENT_KEY) != environment:
            continue
        drops = config.get(DROP_KEY)
        # `pulumi config set` may store the list as a JSON string, like settings.py reads it
        if isinstance(drops, str):
            drops = [part.strip(" \"'[]") for part in drops.split(",")]
        for connector in drops if isinstance(drops, list) else []:
            if isinstance(connector, str) and connector.strip():
                found.setdefault(connector.strip(), name)
    return found


def uncarried_problems(repo: Repository, environment: str, apis: Iterable[DesiredCustomApi]) -> list[Problem]:
    """For a `mode: pulumi` environment: one problem per field `pulumi up` cannot carry (a warning when dropped)."""
    if not is_pulumi_environment(repo, environment):
        return []
    drops = declared_drops(repo.tree, environment)
    problems: list[Problem] = []
    for api in apis:
        stack_file = drops.get(api.name)
        for path in uncarried_fields(api.body):
            if stack_file:
                message = (
                    f"{api.name}: `pulumi up` deploys environment {environment!r} (mode: pulumi) without this field: "
                    f"azure-native's CustomApi cannot carry it and {stack_file} lists {api.name} under {DROP_KEY}"
                )
                hint = f"to keep it, set mode: engine and deploy {environment!r} with `connectorops apply`"
            else:
                message = (
                    f"{api.name}: `pulumi up` stops on this field in environment {environment!r} (mode: pulumi): "
                    "azure-native's CustomApi cannot carry it (the connection dialog's labels, tooltips, tab order)"
                )
                hint = (
                    f"set mode: engine and deploy {environment!r} with `connectorops apply`, which carries it, or "
                    f"list {api.name} under {DROP_KEY} in the stack config (Pulumi.<stack>.yaml) to deploy without it"
                )
            problems.append(
                Problem(
                    message,
                    severity=Severity.WARNING if stack_file else Severity.ERROR,
                    file=api.source_path or None,
                    field=path,
                    hint=hint,
                    code=UNCARRIED_CODE,
                )
            )
    return problems
