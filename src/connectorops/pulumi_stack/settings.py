"""What one stack deploys: its connectorops environment and options, read from the stack config.

The stack name is free; `connectorops:environment` names the environment of connectorops.yaml,
whose subscription/resource group/location must agree with the azure-native provider config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    import pulumi
except ImportError as missing:
    raise PulumiExtraMissing("the Pulumi program (infra/)", missing) from None

from connectorops.errors import SpecError
from connectorops.spec.models import AzureEnvironment, Environment

CONFIG_NAMESPACE = "connectorops"


@dataclass(frozen=True)
class StackSettings:
    repo_root: Path
    environment: str
    # Connectors whose connections may be lost (like `plan --allow-connection-loss NAME`).
    allow_connection_loss: frozenset[str] = field(default_factory=frozenset)
    # azure-native provider config, when set: must match connectorops.yaml.
    subscription_id: str | None = None
    location: str | None = None
    resource_group: str | None = None
    cache_dir: Path | None = None
    # Mass-deletion guards, as `plan --allow-empty` / `--max-deletions`.
    allow_empty: bool = False
    max_deletions: int = 3
    # Connectors whose connection dialog (connectionParameters.*.uiDefinition) may be left out:
    # azure-native's typed CustomApi cannot carry it; without this the program stops.
    drop_ui_definition: frozenset[str] = field(default_factory=frozenset)


def parse_name_list(raw: str | None, key: str) -> frozenset[str]:
    if not raw:
        return frozenset()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = [part.strip() for part in raw.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(
            f"{CONFIG_NAMESPACE}:{key} must be a list of connector names",
            field=f"{CONFIG_NAMESPACE}:{key}",
            hint=f"pulumi config set --path '{CONFIG_NAMESPACE}:{key}[0]' orders",
        )
    return frozenset(v.strip() for v in value if v.strip())


def _int_or(value: int | None, default: int) -> int:
    return default if value is None else value


def settings_from_config(repo_root: Path) -> StackSettings:
    """StackSettings from `pulumi config` (Pulumi.<stack>.yaml) of the running stack."""
    ours = pulumi.Config(CONFIG_NAMESPACE)
    azure = pulumi.Config("azure-native")
    cache = ours.get("cacheDir")
    return StackSettings(
        repo_root=repo_root,
        environment=ours.require("environment"),
        allow_connection_loss=parse_name_list(ours.get("allowConnectionLoss"), "allowConnectionLoss"),
        subscription_id=azure.get("subscriptionId"),
        location=azure.get("location"),
        resource_group=ours.get("resourceGroup"),
        cache_dir=repo_root / cache if cache else None,
        allow_empty=ours.get_bool("allowEmpty") or False,
        max_deletions=_int_or(ours.get_int("maxDeletions"), 3),
        drop_ui_definition=parse_name_list(ours.get("dropUiDefinition"), "dropUiDefinition"),
    )


def check_stack_matches(settings: StackSettings, name: str, environment: Environment) -> None:
    """Refuse a stack whose provider config points somewhere else than connectorops.yaml says.

    Azure environments deploy through azure-native; Power Platform ones (`powerplatform`, or `local` with
    `platform: powerplatform`) through the dynamic providers of pulumi_stack/powerplatform.py.
    """
    from connectorops.targets.connect import is_powerplatform

    if is_powerplatform(environment):
        return  # no azure-native provider involved: connectorops.yaml alone says where
    if not isinstance(environment, AzureEnvironment):
        raise SpecError(
            f"environment {name!r} has target: {environment.target}; Pulumi deploys only to Azure and Power Platform",
            file="connectorops.yaml",
            field=f"environments.{name}.target",
            hint="use `connectorops apply` for the local ARM emulator, or point connectorops:environment at an Azure "
            "or Power Platform one",
        )
    pairs = (
        ("azure-native:subscriptionId", settings.subscription_id, environment.subscriptionId, "subscriptionId"),
        ("azure-native:location", settings.location, environment.location, "location"),
        (f"{CONFIG_NAMESPACE}:resourceGroup", settings.resource_group, environment.resourceGroup, "resourceGroup"),
    )
    for key, stack_value, file_value, field_name in pairs:
        if stack_value is not None and stack_value.lower() != file_value.lower():
            raise SpecError(
                f"stack config {key} is {stack_value!r} but connectorops.yaml says {file_value!r}",
                file="connectorops.yaml",
                field=f"environments.{name}.{field_name}",
                hint="connectorops.yaml is the source of truth; fix Pulumi.<stack>.yaml to match",
            )
