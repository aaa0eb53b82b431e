"""ARM resource paths as the emulator reads them: scope, provider namespace, type, name, action.

`/subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME[/ACTION]`; the scope of an
extension resource (role assignments) is everything before the last `/providers/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectorops.emulator.protocol import ArmError

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RESOURCE_NAME = re.compile(r"^[A-Za-z0-9_.()-]{1,80}$")


@dataclass(frozen=True)
class ArmPath:
    scope: str  # e.g. /subscriptions/S/resourceGroups/RG (as sent, case kept)
    subscription: str
    resource_group: str | None  # only when the scope is exactly a resource group
    namespace: str
    type_name: str
    name: str | None
    action: str | None

    @property
    def kind(self) -> tuple[str, str]:
        return self.namespace.lower(), self.type_name.lower()


def subscription_of(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return parts[1]
    return None


def check_subscription_id(subscription: str) -> None:
    if not GUID.match(subscription):
        raise ArmError(
            400,
            "InvalidSubscriptionId",
            f"The provided subscription identifier '{subscription}' is malformed or invalid.",
        )


def request_type(path: str) -> str:
    """The resource type a request addresses, for request counts: Microsoft.Web/customApis, ...;
    subscription-level paths without a provider count as Microsoft.Resources/<segment>."""
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        index = len(lowered) - 1 - lowered[::-1].index("providers")
        rest = parts[index + 1 :]
        if len(rest) >= 2:
            return f"{rest[0]}/{rest[1]}"
    if len(parts) >= 3 and lowered[0] == "subscriptions":
        segment = "resources" if lowered[-1] == "resources" else lowered[2]
        return {
            "resourcegroups": "Microsoft.Resources/resourceGroups",
            "providers": "Microsoft.Resources/providers",
        }.get(segment, f"Microsoft.Resources/{segment}")
    return "other"


def parse_arm_path(path: str) -> ArmPath:
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if len(parts) < 2 or lowered[0] != "subscriptions":
        raise ArmError(404, "NotFound", f"No route for '{path}'. The emulator serves /subscriptions/... only.")
    check_subscription_id(parts[1])
    try:
        index = len(lowered) - 1 - lowered[::-1].index("providers")
    except ValueError:
        raise ArmError(404, "NotFound", f"No route for '{path}': no resource provider in the path.") from None
    rest = parts[index + 1 :]
    if len(rest) < 2 or len(rest) > 4:
        raise ArmError(404, "NotFound", f"No route for '{path}'.")
    scope_parts = parts[:index]
    resource_group = None
    if len(scope_parts) == 4 and scope_parts[2].lower() == "resourcegroups":
        resource_group = scope_parts[3]
    elif len(scope_parts) not in (2, 4) and not _is_resource_scope(scope_parts):
        raise ArmError(404, "NotFound", f"No route for '{path}': malformed scope.")
    return ArmPath(
        scope="/" + "/".join(scope_parts),
        subscription=parts[1],
        resource_group=resource_group,
        namespace=rest[0],
        type_name=rest[1],
        name=rest[2] if len(rest) >= 3 else None,
        action=rest[3] if len(rest) == 4 else None,
    )


def _is_resource_scope(scope_parts: list[str]) -> bool:
    """/subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME[/TYPE/NAME...] (an extension scope)."""
    return (
        len(scope_parts) >= 7
        and scope_parts[2].lower() == "resourcegroups"
        and scope_parts[4].lower() == "providers"
        and len(scope_parts[5:]) % 2 == 1
    )


def check_resource_name(name: str, resource_type: str) -> None:
    if not RESOURCE_NAME.match(name) or name.endswith("."):
        raise ArmError(
            400,
            "InvalidResourceName",
            f"The resource name '{name}' for type '{resource_type}' is invalid: use 1-80 letters, digits, "
            "'-', '_', '.', '(' or ')', not ending with '.'.",
        )


def resource_group_id(subscription: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
