"""Connections to a custom connector: `apis/{apiName}/connections[/{name}]` (a maker's PUT, GET,
DELETE, list) and the environment-wide `connections` list (unverified path), api-version 2016-11-01.

Parameter values a maker sends (`properties.connectionParameters`) are never returned: values of
secret-typed parameters (securestring, secureobject, oauthSetting) keep only a keyed HMAC, others
are dropped; a name the connector does not define is a 400, as on ARM."""

from __future__ import annotations

from typing import Any

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.custom_apis import write_only_digest
from connectorops.emulator.routes.powerplatform.common import (
    APIS_VERSION,
    CONNECTION_TYPE,
    POWERAPPS,
    api_id,
    check_name,
    creator_id,
    environment_key,
    environment_of,
    object_or_empty,
    paged,
    put_body,
    require_api,
    require_version,
    stored_item,
    tenant_id,
)
from connectorops.emulator.store import StoredResource

SECRET_TYPES = ("securestring", "secureobject", "oauthSetting")


def environment_wide(ctx: RouteContext, request: ArmRequest) -> ArmResponse:
    require_version(request, APIS_VERSION)
    if request.method != "GET":
        raise method_not_allowed(request.method, "the connections collection", ("GET",))
    env = environment_of(ctx, request, None)
    return paged(ctx, request, CONNECTION_TYPE, environment_key(env), _render)


def of_api(ctx: RouteContext, request: ArmRequest, api_name: str) -> ArmResponse:
    require_version(request, APIS_VERSION)
    if request.method != "GET":
        raise method_not_allowed(request.method, "the connections of an api", ("GET",))
    stored = require_api(ctx, environment_of(ctx, request, None), api_name)
    return paged(ctx, request, CONNECTION_TYPE, stored.key, _render)


def item(ctx: RouteContext, request: ArmRequest, api_name: str, name: str) -> ArmResponse:
    require_version(request, APIS_VERSION)
    env = environment_of(ctx, request, None)
    api = require_api(ctx, env, api_name)
    return stored_item(
        ctx,
        request,
        f"{api.key}/connections/{name}",
        what="a connection",
        missing=ArmError(404, "ConnectionNotFound", f"The connection '{name}' could not be found."),
        render=_render,
        put=lambda: _put(ctx, request, env, api, name),
    )


def _put(ctx: RouteContext, request: ArmRequest, env: str, api: StoredResource, name: str) -> ArmResponse:
    check_name(name, "connection")
    properties_in = object_or_empty(request.json_body().get("properties"), "properties")
    given_env = object_or_empty(properties_in.get("environment"), "properties.environment").get("name")
    if given_env is not None and given_env != env:
        raise ArmError(400, "InvalidRequestContent", f"properties.environment.name '{given_env}' differs from '{env}'.")
    key = f"{api.key}/connections/{name}"
    digests = _secret_digests(ctx, key, api, object_or_empty(properties_in.get("connectionParameters"), "x"))
    api_name = api.body["name"]
    with ctx.store.transaction():
        current = ctx.store.get(key)
        properties = {
            "apiId": api_id(api_name),
            "displayName": properties_in.get("displayName") or name,
            "statuses": [{"status": "Connected"}],
            "createdBy": {"id": creator_id(ctx), "type": "User", "tenantId": tenant_id(ctx)},
        }
        body = put_body(
            name,
            f"{api_id(api_name)}/connections/{name}",
            "Microsoft.PowerApps/apis/connections",
            properties,
            current,
            env,
            POWERAPPS,
        )
        ctx.store.put(key, CONNECTION_TYPE, api.key, body, ref=api.key, extra={"writeOnlyDigests": digests})
    return ArmResponse(200 if current else 201, body)


def _secret_digests(ctx: RouteContext, key: str, api: StoredResource, values: dict[str, Any]) -> dict[str, str]:
    """HMACs of the secret-typed values; a parameter the connector does not define is a 400."""
    defined = _parameters(api.body.get("properties") or {})
    digests: dict[str, str] = {}
    for parameter, value in values.items():
        if parameter not in defined:
            raise ArmError(
                400,
                "ParameterNotDefined",
                f"Parameter '{parameter}' is not allowed on the connection since it was not defined as a "
                "connection parameter when the API was registered.",
            )
        if defined[parameter] in SECRET_TYPES:
            digests[parameter] = write_only_digest(
                ctx, key, parameter, value if isinstance(value, str) else repr(value)
            )
    return digests


def _parameters(properties: dict[str, Any]) -> dict[str, str]:
    """Parameter name -> type, of connectionParameters or of every connectionParameterSets value."""
    found: dict[str, str] = {}
    groups = [properties.get("connectionParameters")]
    sets = properties.get("connectionParameterSets")
    if isinstance(sets, dict) and isinstance(sets.get("values"), list):
        groups += [entry.get("parameters") for entry in sets["values"] if isinstance(entry, dict)]
    for group in groups:
        if isinstance(group, dict):
            found.update({n: str(p.get("type")) for n, p in group.items() if isinstance(p, dict)})
    return found


def _render(row: StoredResource) -> dict[str, Any]:
    return row.body
