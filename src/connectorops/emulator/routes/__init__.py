"""Route an authenticated ARM request to the handler of its resource type.

One module per resource type; each checks its own api-versions and answers ARM errors.
Power Platform paths (/providers/Microsoft.PowerApps, .../ProcessSimple, /_blobs) go to
routes/powerplatform. Subscription-level paths without a provider (resource groups, /resources, /providers) are
matched first; anything inside a resource group needs the group to exist (ARM's 404
ResourceGroupNotFound).
"""

from __future__ import annotations

from collections.abc import Callable

from connectorops.emulator.paths import ArmPath, check_subscription_id, parse_arm_path
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.routes import (
    connections,
    custom_apis,
    powerplatform,
    resource_groups,
    resources,
    role_assignments,
    role_definitions,
    workflows,
)
from connectorops.emulator.routes.context import RouteContext

Handler = Callable[[RouteContext, ArmRequest, ArmPath], ArmResponse]

HANDLERS: dict[tuple[str, str], Handler] = {
    ("microsoft.web", "customapis"): custom_apis.handle,
    ("microsoft.web", "connections"): connections.handle,
    ("microsoft.authorization", "roleassignments"): role_assignments.handle,
    ("microsoft.authorization", "roledefinitions"): role_definitions.handle,
    ("microsoft.logic", "workflows"): workflows.handle,
}


def route(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    if powerplatform.handles(request.path):
        return powerplatform.route(ctx, request)
    answer = _subscription_level(ctx, request)
    if answer is not None:
        return answer
    path = parse_arm_path(request.path)
    group = group_of(request.path)
    if group is not None:
        resource_groups.require_group(ctx, path.subscription, group)
    handler = HANDLERS.get(path.kind)
    if handler is None:
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{path.type_name}' could not be found in the namespace '{path.namespace}' "
            f"for api version '{request.api_version}'.",
        )
    return handler(ctx, request, path)


def group_of(path: str) -> str | None:
    """The resource group a path lies in (/subscriptions/S/resourceGroups/RG/...), if any."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 4 and parts[0].lower() == "subscriptions" and parts[2].lower() == "resourcegroups":
        return parts[3]
    return None


def _subscription_level(ctx: RouteContext, request: ArmRequest) -> ArmResponse | None:
    """resourcegroups[/RG], [resourceGroups/RG/]resources, providers[/NS]; None for provider paths."""
    parts = [p for p in request.path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if len(parts) < 3 or lowered[0] != "subscriptions":
        return None
    subscription, rest = parts[1], lowered[2:]
    if rest[0] in ("resourcegroups", "resources", "providers") and len(rest) <= 3:
        check_subscription_id(subscription)
    if rest[0] == "resourcegroups" and len(rest) <= 2:
        return resource_groups.handle(ctx, request, subscription, parts[3] if len(rest) == 2 else None)
    if rest == ["resources"]:
        return resources.list_resources(ctx, request, subscription, None)
    if len(rest) == 3 and rest[0] == "resourcegroups" and rest[2] == "resources":
        return resources.list_resources(ctx, request, subscription, parts[3])
    if rest[0] == "providers" and len(rest) <= 2:
        return resources.providers(ctx, request, subscription, parts[3] if len(rest) == 2 else None)
    return None
