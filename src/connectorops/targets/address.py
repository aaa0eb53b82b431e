"""Where an environment's target is, as plain data: what opening it needs from connectorops.yaml.

`address_of` reads it off the environment's model; a remembered desired state (engine/desired_memo.py)
keeps it as a dict, so a no-op plan opens the target without loading the spec models. Nothing here is
a secret: credentials are named (`default`, `token-env`), never held.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from connectorops.spec.models import Environment

Credential = Literal["default", "token-env"]


@dataclass(frozen=True)
class LocalAddress:
    """`target: local`: the embedded emulator on a state folder, its ARM or its Power Platform surface."""

    platform: Literal["arm", "powerplatform"]
    state_dir: str
    subscription_id: str | None
    resource_group: str
    location: str
    kind: Literal["local"] = "local"


@dataclass(frozen=True)
class ArmAddress:
    """`target: azure`: a resource group behind an ARM endpoint."""

    arm_endpoint: str
    subscription_id: str
    resource_group: str
    location: str
    credential: Credential
    ca_bundle: str | None
    kind: Literal["azure"] = "azure"


@dataclass(frozen=True)
class PowerPlatformAddress:
    """`target: powerplatform`: an environment behind the Power Apps and Power Automate APIs."""

    environment_id: str
    api_endpoint: str
    flow_endpoint: str
    credential: Credential
    ca_bundle: str | None
    token_scope: str
    flow_token_scope: str
    kind: Literal["powerplatform"] = "powerplatform"


TargetAddress = LocalAddress | ArmAddress | PowerPlatformAddress
_CHOICES = {"platform": ("arm", "powerplatform"), "credential": ("default", "token-env")}  # the Literal fields
_KINDS: dict[str, type[TargetAddress]] = {
    "local": LocalAddress,
    "azure": ArmAddress,
    "powerplatform": PowerPlatformAddress,
}


def is_powerplatform_address(address: TargetAddress) -> bool:
    """A Power Platform environment, or the local emulator's Power Platform surface."""
    return isinstance(address, PowerPlatformAddress) or (
        isinstance(address, LocalAddress) and address.platform == "powerplatform"
    )


def address_of(environment: Environment) -> TargetAddress:
    """The address of a validated environment of connectorops.yaml."""
    if environment.target == "local":
        return LocalAddress(
            platform=environment.platform,
            state_dir=environment.stateDir,
            subscription_id=environment.subscriptionId,
            resource_group=environment.resourceGroup,
            location=environment.location,
        )
    if environment.target == "azure":
        return ArmAddress(
            arm_endpoint=environment.armEndpoint,
            subscription_id=environment.subscriptionId,
            resource_group=environment.resourceGroup,
            location=environment.location,
            credential=environment.credential,
            ca_bundle=environment.caBundle,
        )
    return PowerPlatformAddress(
        environment_id=environment.environmentId,
        api_endpoint=environment.apiEndpoint,
        flow_endpoint=environment.flowEndpoint,
        credential=environment.credential,
        ca_bundle=environment.caBundle,
        token_scope=environment.tokenScope,
        flow_token_scope=environment.flowTokenScope,
    )


def address_to_dict(address: TargetAddress) -> dict[str, Any]:
    return asdict(address)


def address_from_dict(data: Any) -> TargetAddress:
    """An address as `address_to_dict` wrote it; ValueError for anything else (a corrupt cache entry)."""
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        raise ValueError("not a target address")
    kind = _KINDS[data["kind"]]
    try:
        address = kind(**data)
    except TypeError as error:
        raise ValueError(f"not a {data['kind']} address: {error}") from None
    for item in fields(address):  # the annotations are strings here: "str", "str | None", "Credential", ...
        value = getattr(address, item.name)
        if value is None and "None" in str(item.type):
            continue
        if not isinstance(value, str) or value not in _CHOICES.get(item.name, (value,)):
            raise ValueError(f"{item.name} is not a {item.type}")  # a corrupt entry must not open some other target
    return address
