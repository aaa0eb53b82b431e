"""Microsoft.Web/customApis (api-version 2016-06-01): the custom connectors themselves.

Server-computed parts follow the REST examples: runtimeUrls, apiDefinitions URLs (served by the
emulator, signed), wsdlDefinition {}, provisioningState; GET never echoes `swagger`.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectorops.emulator.paths import ArmPath, resource_group_id
from connectorops.emulator.protocol import (
    ArmError,
    ArmRequest,
    ArmResponse,
    check_preconditions,
    new_etag,
    require_api_version,
)
from connectorops.emulator.routes.context import (
    SWAGGER_ROUTE,
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
    retagged,
)
from connectorops.emulator.store import StoredResource

RESOURCE_TYPE = "Microsoft.Web/customApis"
API_VERSIONS = ("2016-06-01", "2018-07-01-preview")
CONNECTIONS_TYPE = "Microsoft.Web/connections"
# Stored beside the body, never rendered: which oAuthSettings.clientSecret (write-only in ARM) was last sent.
WRITE_ONLY_DIGESTS = "writeOnlyDigests"
ROLE_ASSIGNMENTS_TYPE = "Microsoft.Authorization/roleAssignments"
SERVER_COMPUTED = ("runtimeUrls", "provisioningState", "swagger")
# ConnectionParameterType (x-ms-enum modelAsString false: other values are rejected).
PARAMETER_TYPES = (
    "string",
    "securestring",
    "secureobject",
    "int",
    "bool",
    "object",
    "array",
    "oauthSetting",
    "connection",
)


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    reject_action(path, "customApis")
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the customApis collection")
        return _list(ctx, request, path)
    resource_group = require_resource_group(path)
    resource_id = resource_id_in(path, resource_group, RESOURCE_TYPE)
    if request.method == "GET":
        stored = existing(ctx, resource_id, RESOURCE_TYPE, path.name, resource_group)
        return ArmResponse(200, render(ctx, request.base_url, stored), {"ETag": stored.body["etag"]})
    if request.method == "PUT":
        return _put(ctx, request, path, resource_id)
    if request.method == "PATCH":
        return _patch(ctx, request, path, resource_id)
    if request.method == "DELETE":
        return ArmResponse(200 if delete_with_dependents(ctx, resource_id) else 204)
    raise method_not_allowed(request.method, "a customApi")


def render(ctx: RouteContext, base_url: str, stored: StoredResource) -> dict[str, Any]:
    """The GET shape. URLs are computed per request: the emulator's port changes across restarts."""
    body = dict(stored.body)
    body.pop(WRITE_ONLY_DIGESTS, None)
    properties = dict(body.get("properties") or {})
    definitions = dict(properties.get("apiDefinitions") or {})
    if stored.extra is not None:
        definitions["originalSwaggerUrl"] = ctx.swagger_url(base_url, stored.key, "original")
    definitions["modifiedSwaggerUrl"] = ctx.swagger_url(base_url, stored.key, "modified")
    properties["apiDefinitions"] = definitions
    properties["runtimeUrls"] = [f"{base_url}/apim/{body['name']}"]
    properties["provisioningState"] = "Succeeded"
    body["properties"] = properties
    return body


def _list(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    if path.resource_group is not None:
        scope = resource_group_id(path.subscription, path.resource_group)
    elif path.scope.count("/") == 2:
        scope = path.scope  # the subscription
    else:
        raise ArmError(404, "NotFound", "customApis are listed per subscription or resource group.")
    return list_response(ctx, request, RESOURCE_TYPE, scope, lambda r: render(ctx, request.base_url, r))


def write_only_digest(ctx: RouteContext, resource_id: str, parameter: str, value: str) -> str:
    """A keyed HMAC (the emulator's signing key) of a write-only secret: enough to tell which value ARM
    holds, without the emulator's state file holding the secret or an unsalted hash of it."""
    return ctx.sign(resource_id, f"clientSecret|{parameter}|{value}")


def _write_only_digests(ctx: RouteContext, resource_id: str, parameters: dict[str, Any]) -> dict[str, str]:
    digests: dict[str, str] = {}
    for name, parameter in parameters.items():
        settings = parameter.get("oAuthSettings") if isinstance(parameter, dict) else None
        if isinstance(settings, dict) and isinstance(settings.get("clientSecret"), str):
            digests[name] = write_only_digest(ctx, resource_id, name, settings["clientSecret"])
    return digests


def _write_only_removed(parameters: dict[str, Any]) -> dict[str, Any]:
    """connectionParameters as stored and returned: types checked, oAuthSettings.clientSecret dropped
    (write-only in ARM: it is never returned, so it is not kept either)."""
    kept: dict[str, Any] = {}
    for name, parameter in parameters.items():
        if not isinstance(parameter, dict) or parameter.get("type") not in PARAMETER_TYPES:
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"properties.connectionParameters.{name}.type must be one of {', '.join(PARAMETER_TYPES)}.",
            )
        parameter = dict(parameter)
        settings = parameter.get("oAuthSettings")
        if isinstance(settings, dict):
            parameter["oAuthSettings"] = {k: v for k, v in settings.items() if k != "clientSecret"}
        kept[name] = parameter
    return kept


def _swagger_of(properties: dict[str, Any]) -> dict[str, Any] | None:
    swagger = properties.get("swagger")
    if not swagger:
        definitions = properties.get("apiDefinitions")
        swagger = definitions.get("swagger") if isinstance(definitions, dict) else None
    if swagger in (None, {}):
        return None
    if not isinstance(swagger, dict):
        raise ArmError(400, "InvalidRequestContent", "properties.swagger must be a JSON object (an OpenAPI 2.0 doc).")
    return swagger


def _swagger_at_own_url(ctx: RouteContext, definitions: dict[str, Any]) -> dict[str, Any] | None:
    """The stored swagger behind an originalSwaggerUrl this emulator signed, else None.

    A GET -> edit -> PUT round trip (az resource update, the portal) sends back the URL a GET gave;
    ARM fetches the definition from it. The URL's port may be from an earlier run, so read the store.
    """
    url = definitions.get("originalSwaggerUrl")
    if not isinstance(url, str) or not urlsplit(url).path.endswith(f"{SWAGGER_ROUTE}/original.json"):
        return None
    query = parse_qs(urlsplit(url).query)
    key, signature = (query.get("id") or [""])[0], (query.get("sig") or [""])[0]
    if not key or not hmac.compare_digest(signature.encode(), ctx.sign(key, "original").encode()):
        return None
    return swagger_for(ctx, key)


def _put(ctx: RouteContext, request: ArmRequest, path: ArmPath, resource_id: str) -> ArmResponse:
    assert path.name is not None and path.resource_group is not None
    body = request.json_body()
    properties_in = object_field(body, "properties")
    swagger = _swagger_of(properties_in)
    if swagger is None:
        swagger = _swagger_at_own_url(ctx, object_field(properties_in, "apiDefinitions"))
    tags = check_tags(body)
    location = body.get("location") or ctx.default_location
    if not isinstance(location, str):
        raise ArmError(400, "InvalidRequestContent", "location must be a string.")
    properties = {k: v for k, v in properties_in.items() if k not in SERVER_COMPUTED}
    digests: dict[str, str] = {}
    if "connectionParameters" in properties_in:
        properties["connectionParameters"] = _write_only_removed(object_field(properties_in, "connectionParameters"))
        digests = _write_only_digests(ctx, resource_id, object_field(properties_in, "connectionParameters"))
    definitions = {k: v for k, v in object_field(properties_in, "apiDefinitions").items() if k != "swagger"}
    definitions.pop("modifiedSwaggerUrl", None)
    if swagger is not None:
        definitions.pop("originalSwaggerUrl", None)
    properties["apiDefinitions"] = definitions
    properties.setdefault("capabilities", [])
    properties.setdefault("description", "")
    properties.setdefault("displayName", path.name)
    properties.setdefault("apiType", "Rest")
    properties["wsdlDefinition"] = properties.get("wsdlDefinition") or {}
    with ctx.store.transaction():
        current = ctx.store.get(resource_id)
        check_preconditions(request, current.body.get("etag") if current else None, current is not None)
        if current is not None and current.body.get("location", "").lower() != location.lower():
            raise ArmError(
                400,
                "InvalidResourceLocation",
                f"The resource '{path.name}' already exists in location '{current.body.get('location')}' in resource "
                f"group '{path.resource_group}'. A resource with the same name cannot be created in location "
                f"'{location}'.",
            )
        kept_tags = tags if tags or "tags" in body else None
        stored_body = envelope(resource_id, RESOURCE_TYPE, path.name, location, properties, kept_tags)
        if digests:
            stored_body[WRITE_ONLY_DIGESTS] = digests
        parent = resource_group_id(path.subscription, path.resource_group)
        ctx.store.put(resource_id, RESOURCE_TYPE, parent, stored_body, extra=swagger)
        stored = ctx.store.get(resource_id)
    assert stored is not None
    return ArmResponse(200, render(ctx, request.base_url, stored), {"ETag": stored_body["etag"]})


def _patch(ctx: RouteContext, request: ArmRequest, path: ArmPath, resource_id: str) -> ArmResponse:
    """CustomApis_Update: "Updates an existing custom API's tags"."""
    assert path.name is not None and path.resource_group is not None
    body = request.json_body()
    tags = check_tags(body)
    with ctx.store.transaction():
        current = existing(ctx, resource_id, RESOURCE_TYPE, path.name, path.resource_group)
        check_preconditions(request, current.body.get("etag"), True)
        updated = retagged(ctx, current, tags, new_etag())
        stored = ctx.store.get(resource_id)
    assert stored is not None
    return ArmResponse(200, render(ctx, request.base_url, stored), {"ETag": updated["etag"]})


def delete_with_dependents(ctx: RouteContext, resource_id: str) -> bool:
    """Delete a customApi and, as Azure does, every connection to it and role assignment on it.

    Workflows are left alone: they keep pointing at the dead connection ids.
    """
    key = resource_id.lower()
    with ctx.store.transaction():
        if not ctx.store.delete(key):
            return False
        for connection in ctx.store.referring(CONNECTIONS_TYPE, key):
            ctx.store.delete(connection.key)
        for assignment in ctx.store.list_page(ROLE_ASSIGNMENTS_TYPE, key, after=None, limit=1_000_000):
            ctx.store.delete(assignment.key)
    return True


def swagger_for(ctx: RouteContext, key: str) -> dict[str, Any] | None:
    stored = ctx.store.get(key)
    if stored is None or stored.rtype != RESOURCE_TYPE.lower():
        return None
    return stored.extra if isinstance(stored.extra, dict) else None
