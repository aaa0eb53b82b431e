"""Microsoft.Web/connections (api-version 2016-06-01): API connections to a customApi or managed API.

`properties.api.id` must name an existing customApi (or a managed API) in the connection's own
location; `parameterValues` are write-only secrets: never stored, never returned, but their
names must be parameters the customApi defines. The status is what ARM reports: a connection to
an API with an `oauthSetting` parameter is not Connected until someone consents in the portal
(the emulator has no consent flow), so it stays {status: Error, target: token, Unauthenticated}.

Kept of a PUT's `properties` (ApiConnectionDefinition is closed): displayName,
customParameterValues, nonSecretParameterValues, testLinks (requestUri, method); `api`,
`statuses`, createdTime and changedTime are computed; anything else is dropped.
"""

from __future__ import annotations

import re
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
    retagged,
    stored_resource,
)

RESOURCE_TYPE = "Microsoft.Web/connections"
API_VERSIONS = ("2016-06-01", "2018-07-01-preview")
CUSTOM_API_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Web/customApis/[^/]+$", re.IGNORECASE
)
MANAGED_API_ID = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.Web/locations/(?P<location>[^/]+)/managedApis/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
UNAUTHENTICATED = {
    "status": "Error",
    "target": "token",
    "error": {"code": "Unauthenticated", "message": "This connection is not authenticated."},
}


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    resource_group = require_resource_group(path)
    reject_action(path, "connections")
    parent = resource_group_id(path.subscription, resource_group)
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the connections collection", COLLECTION_METHODS)
        return list_response(ctx, request, RESOURCE_TYPE, parent)
    return stored_resource(
        ctx, request, path, resource_group, RESOURCE_TYPE, what="a connection", put=_put, patch=_patch
    )


def _expanded_api(ctx: RouteContext, api_id: str) -> tuple[dict[str, Any], str | None, dict[str, Any] | None]:
    """The `api` block ARM returns, the location the API lives in, and its connectionParameters
    (None for a managed API: the emulator has no catalogue of those)."""
    if CUSTOM_API_ID.match(api_id):
        custom_api = ctx.store.get(api_id)
        if custom_api is None:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The API '{api_id}' referenced by properties.api.id does not exist. Create the customApi first.",
            )
        properties = custom_api.body.get("properties") or {}
        api = {
            "name": custom_api.body["name"],
            "displayName": properties.get("displayName", custom_api.body["name"]),
            "description": properties.get("description", ""),
            "iconUri": properties.get("iconUri", ""),
            "brandColor": properties.get("brandColor", ""),
            "id": custom_api.body["id"],
            "type": "Microsoft.Web/customApis",
        }
        parameters = properties.get("connectionParameters")
        return api, custom_api.body.get("location"), parameters if isinstance(parameters, dict) else {}
    managed = MANAGED_API_ID.match(api_id)
    if managed:
        # No managed-API catalogue in the emulator: every managed API name is taken to exist.
        api = {
            "name": managed["name"],
            "displayName": managed["name"],
            "description": "",
            "iconUri": f"https://connectoricons.example/{managed['name']}.png",
            "brandColor": "#FFFFFF",
            "id": api_id,
            "type": "Microsoft.Web/locations/managedApis",
        }
        return api, managed["location"], None
    raise ArmError(
        400,
        "InvalidRequestContent",
        f"properties.api.id '{api_id}' is neither a customApi nor a managed API resource id.",
    )


def _put(ctx: RouteContext, request: ArmRequest, name: str, parent: str, resource_id: str) -> ArmResponse:
    body = request.json_body()
    properties_in = object_field(body, "properties")
    api_in = object_field(properties_in, "api")
    api_id = api_in.get("id")
    if not isinstance(api_id, str) or not api_id:
        raise ArmError(400, "InvalidRequestContent", "properties.api.id is required: the API this connection uses.")
    tags = check_tags(body)
    location = checked_location(body, RESOURCE_TYPE)
    values = object_field(properties_in, "parameterValues")
    with ctx.store.transaction():
        api, api_location, parameters = _expanded_api(ctx, api_id)
        if api_location is not None and normalized_location(api_location) != location:
            raise ArmError(
                400,
                "LocationMismatch",
                f"The connection's location '{location}' differs from the location '{api_location}' of the API "
                f"'{api_id}'. A connection must be created in the location of its API.",
            )
        current = ctx.store.get(resource_id)
        now = now_iso()
        properties: dict[str, Any] = {
            "displayName": properties_in.get("displayName", name),
            "statuses": [_status(parameters, values)],
            "customParameterValues": properties_in.get("customParameterValues") or {},
            "nonSecretParameterValues": properties_in.get("nonSecretParameterValues") or {},
            "createdTime": current.body["properties"]["createdTime"] if current else now,
            "changedTime": now,
            "api": api,
            "testLinks": [
                {k: link[k] for k in ("requestUri", "method") if k in link}
                for link in properties_in.get("testLinks") or []
                if isinstance(link, dict)
            ],
        }
        stored_body = envelope(resource_id, RESOURCE_TYPE, name, location, properties, tags if "tags" in body else None)
        ctx.store.put(resource_id, RESOURCE_TYPE, parent, stored_body, ref=api["id"])
    return ArmResponse(200, stored_body)


def _status(parameters: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any]:
    """The connection's status from its API's parameters; an unknown parameter name is ARM's 400."""
    if parameters is None:
        return {"status": "Connected"}
    for given in values:
        if given not in parameters:
            raise ArmError(
                400,
                "ParameterNotDefined",
                f"Parameter '{given}' is not allowed on the connection since it was not defined as a connection "
                "parameter when the API was registered.",
            )
    if any(isinstance(p, dict) and p.get("type") == "oauthSetting" for p in parameters.values()):
        return dict(UNAUTHENTICATED)
    return {"status": "Connected"}


def _patch(ctx: RouteContext, request: ArmRequest, name: str, resource_group: str, resource_id: str) -> ArmResponse:
    """Connections_Update: "Updates a connection's tags"."""
    tags = check_tags(request.json_body())
    with ctx.store.transaction():
        current = existing(ctx, resource_id, RESOURCE_TYPE, name, resource_group)
        updated = retagged(ctx, current, tags, new_etag())
    return ArmResponse(200, updated)
