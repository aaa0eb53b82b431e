"""Route an authenticated ARM request to the handler of its resource type.

One module per resource type; each checks its own api-versions and answers ARM errors.
"""

from __future__ import annotations

from collections.abc import Callable

from connectorops.emulator.paths import ArmPath, parse_arm_path
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.routes import connections, custom_apis, role_assignments, workflows
from connectorops.emulator.routes.context import RouteContext

Handler = Callable[[RouteContext, ArmRequest, ArmPath], ArmResponse]

HANDLERS: dict[tuple[str, str], Handler] = {
    ("microsoft.web", "customapis"): custom_apis.handle,
    ("microsoft.web", "connections"): connections.handle,
    ("microsoft.authorization", "roleassignments"): role_assignments.handle,
    ("microsoft.logic", "workflows"): workflows.handle,
}


def route(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    path = parse_arm_path(request.path)
    handler = HANDLERS.get(path.kind)
    if handler is None:
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{path.type_name}' could not be found in the namespace '{path.namespace}' "
            f"for api version '{request.api_version}'.",
        )
    return handler(ctx, request, path)
