"""Microsoft.Logic/workflows (Consumption, api-version 2019-05-01): the Logic Apps using connections.

Kept as sent, including parameters.$connections; nothing follows a deleted connection, so a
workflow keeps pointing at a dead connection id exactly as in Azure.
"""

from __future__ import annotations

import time
from typing import Any

from connectorops.emulator.paths import ArmPath, resource_group_id
from connectorops.emulator.protocol import ArmRequest, ArmResponse, now_iso, require_api_version
from connectorops.emulator.routes.context import (
    RouteContext,
    check_tags,
    envelope,
    existing,
    list_response,
    method_not_allowed,
    object_field,
    reject_action,
    require_resource_group,
    resource_id_in,
)

RESOURCE_TYPE = "Microsoft.Logic/workflows"
API_VERSIONS = ("2016-06-01", "2019-05-01")
SERVER_COMPUTED = ("provisioningState", "createdTime", "changedTime", "version", "accessEndpoint")


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    reject_action(path, "workflows")
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the workflows collection")
        scope = resource_group_id(path.subscription, path.resource_group) if path.resource_group else path.scope
        return list_response(ctx, request, RESOURCE_TYPE, scope)
    resource_group = require_resource_group(path)
    resource_id = resource_id_in(path, resource_group, RESOURCE_TYPE)
    if request.method == "GET":
        return ArmResponse(200, existing(ctx, resource_id, RESOURCE_TYPE, path.name, resource_group).body)
    if request.method == "PUT":
        return _put(ctx, request, path.name, resource_group_id(path.subscription, resource_group), resource_id)
    if request.method == "DELETE":
        return ArmResponse(200 if ctx.store.delete(resource_id) else 204)
    raise method_not_allowed(request.method, "a workflow")


def _put(ctx: RouteContext, request: ArmRequest, name: str, parent: str, resource_id: str) -> ArmResponse:
    body = request.json_body()
    properties_in = object_field(body, "properties")
    tags = check_tags(body)
    with ctx.store.transaction():
        current = ctx.store.get(resource_id)
        now = now_iso()
        properties: dict[str, Any] = {k: v for k, v in properties_in.items() if k not in SERVER_COMPUTED}
        properties["provisioningState"] = "Succeeded"
        properties["createdTime"] = current.body["properties"]["createdTime"] if current else now
        properties["changedTime"] = now
        properties.setdefault("state", "Enabled")
        properties["version"] = str(time.time_ns())
        properties["accessEndpoint"] = f"{request.base_url}/workflows/{name}"
        properties.setdefault("definition", {})
        properties.setdefault("parameters", {})
        properties.setdefault("accessControl", {})
        properties["endpointsConfiguration"] = {
            "workflow": {"outgoingIpAddresses": [], "accessEndpointIpAddresses": []},
            "connector": {"outgoingIpAddresses": []},
        }
        location = body.get("location") or ctx.default_location
        stored_body = envelope(resource_id, RESOURCE_TYPE, name, location, properties, tags)
        ctx.store.put(resource_id, RESOURCE_TYPE, parent, stored_body)
    return ArmResponse(200 if current is not None else 201, stored_body)
