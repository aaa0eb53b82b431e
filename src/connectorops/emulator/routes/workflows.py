"""Microsoft.Logic/workflows (Consumption, api-version 2019-05-01): the Logic Apps using connections.

Kept as sent, including parameters.$connections; nothing follows a deleted connection, so a
workflow keeps pointing at a dead connection id exactly as in Azure.
"""

from __future__ import annotations

import time
from typing import Any

from connectorops.emulator.paths import ArmPath, check_resource_name, resource_group_id
from connectorops.emulator.protocol import (
    ArmError,
    ArmRequest,
    ArmResponse,
    list_page,
    new_etag,
    now_iso,
    page_size,
    require_api_version,
    skip_token,
)
from connectorops.emulator.routes.context import (
    RouteContext,
    check_tags,
    method_not_allowed,
    not_found,
    object_field,
    require_resource_group,
)

RESOURCE_TYPE = "Microsoft.Logic/workflows"
API_VERSIONS = ("2016-06-01", "2019-05-01")
SERVER_COMPUTED = ("provisioningState", "createdTime", "changedTime", "version", "accessEndpoint")


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    if path.action is not None:
        raise ArmError(404, "NotFound", f"The emulator does not implement the '{path.action}' action on workflows.")
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the workflows collection")
        scope = resource_group_id(path.subscription, path.resource_group) if path.resource_group else path.scope
        limit = page_size(request, ctx.page_size)
        rows = ctx.store.list_page(RESOURCE_TYPE, scope, after=skip_token(request), limit=limit + 1)
        return ArmResponse(200, list_page(request, rows, limit, lambda r: r.body))
    resource_group = require_resource_group(path)
    check_resource_name(path.name, RESOURCE_TYPE)
    parent = resource_group_id(path.subscription, resource_group)
    resource_id = f"{parent}/providers/{RESOURCE_TYPE}/{path.name}"
    if request.method == "GET":
        stored = ctx.store.get(resource_id)
        if stored is None:
            raise not_found(RESOURCE_TYPE, path.name, resource_group)
        return ArmResponse(200, stored.body)
    if request.method == "PUT":
        return _put(ctx, request, path.name, parent, resource_id)
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
        stored_body = {
            "properties": properties,
            "id": resource_id,
            "name": name,
            "type": RESOURCE_TYPE,
            "location": body.get("location") or ctx.default_location,
            "tags": tags,
            "etag": new_etag(),
        }
        ctx.store.put(resource_id, RESOURCE_TYPE, parent, stored_body)
    return ArmResponse(200 if current is not None else 201, stored_body)
