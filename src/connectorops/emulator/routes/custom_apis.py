"""Microsoft.Web/customApis (api-version 2016-06-01): the custom connectors themselves.

Server-computed parts follow the REST examples: runtimeUrls, apiDefinitions URLs (served by the
emulator, signed), wsdlDefinition {}; GET never echoes `swagger`, and there is no
provisioningState (CustomApiPropertiesDefinition has none; the REST examples show none).

What a PUT keeps of `properties` (the spec's CustomApiPropertiesDefinition is closed,
additionalProperties false; the resource provider ignores keys it does not know, so they are
dropped without an error and never come back on GET):
- connectionParameters: each parameter as sent (ConnectionParameter is open: uiDefinition and
  the like stay); `type` must be a ConnectionParameterType; oAuthSettings.clientSecret is write-only.
- displayName, description, iconUri, brandColor, capabilities: as sent.
- backendService: serviceUrl only.   apiDefinitions: originalSwaggerUrl only (modified is computed).
- wsdlDefinition: url, content, service, importMethod.
- apiType: NotSpecified, Rest or Soap; another value is a 400 (the RP cannot read it as its enum).
- swagger: stored as the definition, served at the apiDefinitions URLs, never echoed.
- runtimeUrls, provisioningState and anything else: dropped.
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
from connectorops.emulator.regions import checked_location, normalized_location
from connectorops.emulator.routes.context import (
    COLLECTION_METHODS,
    RESOURCE_METHODS,
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
AS_SENT = ("connectionParameters", "displayName", "description", "iconUri", "brandColor", "capabilities")
SUB_FIELDS = {
    "backendService": ("serviceUrl",),
    "apiDefinitions": ("originalSwaggerUrl",),
    "wsdlDefinition": ("url", "content", "service", "importMethod"),
}
API_TYPES = ("NotSpecified", "Rest", "Soap")
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
            raise method_not_allowed(request.method, "the customApis collection", COLLECTION_METHODS)
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
    raise method_not_allowed(request.method, "a customApi", RESOURCE_METHODS)


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


def _kept_properties(properties_in: dict[str, Any]) -> dict[str, Any]:
    """The properties a PUT stores: the module docstring lists what is kept, dropped or refused."""
    properties = {k: properties_in[k] for k in AS_SENT if k in properties_in}
    if "connectionParameters" in properties_in:
        properties["connectionParameters"] = _write_only_removed(object_field(properties_in, "connectionParameters"))
    for name, fields in SUB_FIELDS.items():
        given = object_field(properties_in, name)
        properties[name] = {k: given[k] for k in fields if k in given}
    if not properties["backendService"] and "backendService" not in properties_in:
        del properties["backendService"]
    api_type = properties_in.get("apiType", "Rest")
    if api_type not in API_TYPES:
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid: properties.apiType '{api_type}' is not one of {', '.join(API_TYPES)}.",
        )
    properties["apiType"] = api_type
    return properties


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
    location = checked_location(body, RESOURCE_TYPE)
    properties = _kept_properties(properties_in)
    digests: dict[str, str] = {}
    if "connectionParameters" in properties_in:
        digests = _write_only_digests(ctx, resource_id, object_field(properties_in, "connectionParameters"))
    if swagger is not None:
        properties["apiDefinitions"].pop("originalSwaggerUrl", None)
    properties.setdefault("capabilities", [])
    properties.setdefault("description", "")
    properties.setdefault("displayName", path.name)
    with ctx.store.transaction():
        current = ctx.store.get(resource_id)
        check_preconditions(request, current.body.get("etag") if current else None, current is not None)
        if current is not None and normalized_location(current.body.get("location", "")) != location:
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
