"""Microsoft.Logic/workflows (Consumption, api-version 2019-05-01): the Logic Apps using connections.

Kept as sent, including parameters.$connections; nothing follows a deleted connection, so a
workflow keeps pointing at a dead connection id exactly as in Azure. PATCH (Workflows_Update)
merges the given properties and tags into the stored workflow; POST .../enable and .../disable
set `state`.
"""

from __future__ import annotations

import time
from typing import Any

from connectorops.emulator.paths import ArmPath, resource_group_id
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, new_etag, now_iso, require_api_version
from connectorops.emulator.regions import checked_location, normalized_location
from connectorops.emulator.routes.context import (
    COLLECTION_METHODS,
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
    stored_resource,
)

RESOURCE_TYPE = "Microsoft.Logic/workflows"
API_VERSIONS = ("2016-06-01", "2019-05-01")
WORKFLOW_STATES = ("NotSpecified", "Completed", "Enabled", "Disabled", "Deleted", "Suspended")
SERVER_COMPUTED = ("provisioningState", "createdTime", "changedTime", "version", "accessEndpoint")


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    if path.action is not None:
        return _state_action(ctx, request, path)
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the workflows collection", COLLECTION_METHODS)
        scope = resource_group_id(path.subscription, path.resource_group) if path.resource_group else path.scope
        return list_response(ctx, request, RESOURCE_TYPE, scope)
    resource_group = require_resource_group(path)
    return stored_resource(ctx, request, path, resource_group, RESOURCE_TYPE, what="a workflow", put=_put, patch=_patch)


def _put(ctx: RouteContext, request: ArmRequest, name: str, parent: str, resource_id: str) -> ArmResponse:
    body = request.json_body()
    properties_in = object_field(body, "properties")
    tags = check_tags(body)
    location = checked_location(body, RESOURCE_TYPE)
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
        stored_body = envelope(resource_id, RESOURCE_TYPE, name, location, properties, tags)
        ctx.store.put(resource_id, RESOURCE_TYPE, parent, stored_body)
    return ArmResponse(200 if current is not None else 201, stored_body)


def _patch(ctx: RouteContext, request: ArmRequest, name: str, resource_group: str, resource_id: str) -> ArmResponse:
    body = request.json_body() if request.body else {}  # azure-mgmt-logic's update() sends no body
    properties_in = object_field(body, "properties")
    with ctx.store.transaction():
        current = existing(ctx, resource_id, RESOURCE_TYPE, name, resource_group)
        if "location" in body and checked_location(body, RESOURCE_TYPE) != normalized_location(
            current.body["location"]
        ):
            raise ArmError(
                400, "InvalidResourceLocation", f"The workflow '{name}' cannot be moved to another location."
            )
        properties = dict(current.body["properties"])
        properties.update({k: v for k, v in properties_in.items() if k not in SERVER_COMPUTED})
        _check_state(properties.get("state"))
        properties["changedTime"] = now_iso()
        properties["version"] = str(time.time_ns())
        updated = dict(current.body, properties=properties, etag=new_etag())
        if "tags" in body:
            updated["tags"] = check_tags(body)
        ctx.store.put(current.key, current.rtype, current.parent, updated)
    return ArmResponse(200, updated)


def _state_action(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    """Workflows_Enable / Workflows_Disable (POST, empty body, 200)."""
    action = (path.action or "").lower()
    if path.name is None or action not in ("enable", "disable"):
        reject_action(path, "workflows")
    if request.method != "POST":
        raise method_not_allowed(request.method, f"the workflow action '{path.action}'", ("POST",))
    assert path.name is not None
    resource_group = require_resource_group(path)
    resource_id = resource_id_in(path, resource_group, RESOURCE_TYPE)
    with ctx.store.transaction():
        current = existing(ctx, resource_id, RESOURCE_TYPE, path.name, resource_group)
        properties = dict(current.body["properties"], state="Enabled" if action == "enable" else "Disabled")
        properties["changedTime"] = now_iso()
        ctx.store.put(current.key, current.rtype, current.parent, dict(current.body, properties=properties))
    return ArmResponse(200)


def _check_state(state: object) -> None:
    if state not in WORKFLOW_STATES:
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid: properties.state '{state}' is not one of {', '.join(WORKFLOW_STATES)}.",
        )
