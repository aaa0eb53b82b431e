"""The Power Platform surface of the emulator (Power Apps RP and Power Automate flow API), on the
same HTTPS server, token and SQLite state as the ARM surface. `route` answers the paths
`handles` accepts; each resource kind is one module."""

from __future__ import annotations

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.routes.context import RouteContext
from connectorops.emulator.routes.powerplatform import (
    apis,
    connections,
    environments,
    flows,
    permissions,
    storage,
    validation,
)

POWERAPPS_PREFIX = "providers/microsoft.powerapps"
FLOW_PREFIX = "providers/microsoft.processsimple"
EMULATOR_ENVIRONMENTS = ("_emulator", "powerplatform", "environments")


def handles(path: str) -> bool:
    lowered = path.lower().lstrip("/")
    return lowered.startswith((POWERAPPS_PREFIX, FLOW_PREFIX, "_emulator/powerplatform/")) or lowered.startswith(
        storage.BLOBS.lstrip("/") + "/"
    )


def route(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    parts = [p for p in request.path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if lowered[:1] == [storage.BLOBS.strip("/")]:
        return storage.handle_blob(ctx, request)
    if tuple(lowered[:3]) == EMULATOR_ENVIRONMENTS and len(parts) == 4:
        return environments.emulator_put(ctx, request, parts[3])
    if lowered[:2] == ["providers", "microsoft.processsimple"]:
        return _flow_api(ctx, request, parts[2:], lowered[2:])
    if lowered[:2] == ["providers", "microsoft.powerapps"]:
        return _powerapps(ctx, request, parts[2:], lowered[2:])
    raise _no_route(request)


def _powerapps(ctx: RouteContext, request: ArmRequest, parts: list[str], lowered: list[str]) -> ArmResponse:
    env_in_path = None
    if lowered[:3] == ["scopes", "admin", "environments"] and len(parts) >= 6 and lowered[4] == "apis":
        env_in_path, parts, lowered = parts[3], parts[4:], lowered[4:]
    if lowered == ["apis"] and env_in_path is None:
        return apis.collection(ctx, request)
    if lowered[:1] == ["apis"] and len(parts) == 2:
        return apis.item(ctx, request, parts[1], env_in_path)
    if lowered[:1] == ["apis"] and len(parts) == 3 and lowered[2] == "permissions":
        return permissions.listing(ctx, request, parts[1], env_in_path)
    if lowered[:1] == ["apis"] and len(parts) == 3 and lowered[2] == "modifypermissions":
        return permissions.modify(ctx, request, parts[1], env_in_path)
    if lowered == ["connections"] and env_in_path is None:
        return connections.environment_wide(ctx, request)
    if lowered[:1] == ["apis"] and len(parts) == 3 and lowered[2] == "connections" and env_in_path is None:
        return connections.of_api(ctx, request, parts[1])
    if lowered[:1] == ["apis"] and len(parts) == 4 and lowered[2] == "connections" and env_in_path is None:
        return connections.item(ctx, request, parts[1], parts[3])
    if lowered[:1] == ["objectids"] and len(parts) == 3 and lowered[2] == "generateresourcestorage":
        return storage.generate_resource_storage(ctx, request)
    if lowered[:1] == ["objectids"] and len(parts) == 3 and lowered[2] == "validateapiswagger":
        return validation.validate_api_swagger(ctx, request)
    raise _no_route(request)


def _flow_api(ctx: RouteContext, request: ArmRequest, parts: list[str], lowered: list[str]) -> ArmResponse:
    if lowered == ["environments"]:
        return environments.handle(ctx, request, None)
    if lowered[:1] == ["environments"] and len(parts) == 2:
        return environments.handle(ctx, request, parts[1])
    if lowered[:1] == ["environments"] and len(parts) == 3 and lowered[2] == "flows":
        return flows.collection(ctx, request, parts[1])
    if lowered[:1] == ["environments"] and len(parts) == 4 and lowered[2] == "flows":
        return flows.item(ctx, request, parts[1], parts[3])
    raise _no_route(request)


def _no_route(request: ArmRequest) -> ArmError:
    return ArmError(404, "NotFound", f"No route for '{request.path}' on the Power Platform surface of the emulator.")


def request_type(path: str) -> str:
    """The kind a request addresses, for /_emulator/requests: Microsoft.PowerApps/apis,
    Microsoft.PowerApps/apis/permissions, Microsoft.ProcessSimple/flows, blobs, ..."""
    lowered = [p.lower() for p in path.split("/") if p]
    if lowered[:1] == [storage.BLOBS.strip("/")]:
        return "blobs"
    if lowered[:1] == ["_emulator"]:
        return "emulator/environments"
    namespace = "Microsoft.PowerApps" if lowered[1:2] == ["microsoft.powerapps"] else "Microsoft.ProcessSimple"
    rest = lowered[2:]
    if rest[:3] == ["scopes", "admin", "environments"]:
        rest = rest[4:]
    if rest[:1] == ["objectids"] and len(rest) >= 3:
        return f"{namespace}/{rest[2]}"
    if rest[:1] == ["environments"] and len(rest) >= 3:
        return f"{namespace}/{rest[2]}"
    if rest[:1] == ["apis"] and len(rest) >= 3:
        sub = "permissions" if rest[2] in ("permissions", "modifypermissions") else rest[2]
        return f"{namespace}/apis/{sub}"
    return f"{namespace}/{rest[0]}" if rest else namespace
