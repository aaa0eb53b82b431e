"""Sharing of a custom connector: `apis/{apiName}/permissions` (GET) and `.../modifyPermissions`
(POST), on the maker path and the admin path `scopes/admin/environments/{env}/apis/{apiName}`
(api-version 2017-06-01). The creator is listed as Owner; the tenant can only be given CanView."""

from __future__ import annotations

from typing import Any

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, now_iso
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.powerplatform.common import (
    PERMISSION_TYPE,
    PERMISSIONS_VERSION,
    api_id,
    environment_of,
    require_api,
    require_version,
)

ROLES = ("CanView", "CanViewWithShare", "CanEdit")
PRINCIPAL_TYPES = ("User", "Group", "Tenant")


def permission_items(ctx: RouteContext, key: str) -> list[dict[str, Any]]:
    """Every permission on the api stored at `key` (Owner first is not promised: key order)."""
    return [row.body for row in ctx.store.list_page(PERMISSION_TYPE, key, after=None, limit=1_000_000)]


def listing(ctx: RouteContext, request: ArmRequest, api_name: str, env_in_path: str | None) -> ArmResponse:
    require_version(request, PERMISSIONS_VERSION)
    if request.method != "GET":
        raise method_not_allowed(request.method, "permissions", ("GET",))
    stored = require_api(ctx, environment_of(ctx, request, env_in_path), api_name)
    return ArmResponse(200, {"value": permission_items(ctx, stored.key)})


def modify(ctx: RouteContext, request: ArmRequest, api_name: str, env_in_path: str | None) -> ArmResponse:
    """Body {"put": [{"properties": {roleName, principal}}], "delete": [{"id"}]}; all checked before any write."""
    require_version(request, PERMISSIONS_VERSION)
    if request.method != "POST":
        raise method_not_allowed(request.method, "modifyPermissions", ("POST",))
    env = environment_of(ctx, request, env_in_path)
    body = request.json_body()
    puts = [_checked_put(entry, index) for index, entry in enumerate(_list(body, "put"))]
    deletes = [_checked_delete(entry, index) for index, entry in enumerate(_list(body, "delete"))]
    with ctx.store.transaction():
        stored = require_api(ctx, env, api_name)
        for principal_id in deletes:
            current = ctx.store.get(f"{stored.key}/permissions/{principal_id}")
            if current is not None and current.body["properties"]["roleName"] == "Owner":
                raise ArmError(400, "CannotRemoveOwner", f"The owner '{principal_id}' of the API cannot be removed.")
            ctx.store.delete(f"{stored.key}/permissions/{principal_id}")
        for role, principal in puts:
            key = f"{stored.key}/permissions/{principal['id']}"
            current = ctx.store.get(key)
            if current is not None and current.body["properties"]["roleName"] == "Owner":
                raise ArmError(400, "CannotChangeOwner", f"The owner '{principal['id']}' keeps the Owner role.")
            item = {
                "name": principal["id"],
                "id": f"{api_id(api_name)}/permissions/{principal['id']}",
                "properties": {"roleName": role, "principal": principal},
            }
            ctx.store.put(key, PERMISSION_TYPE, stored.key, item)
        # A share is a write to the api: its changedTime moves (unverified against the service).
        ctx.store.put(stored.key, stored.rtype, stored.parent, _touched(stored.body), extra=stored.extra)
    return ArmResponse(200, {"value": permission_items(ctx, stored.key)})


def _touched(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body, properties=dict(body["properties"], changedTime=now_iso()))


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name) or []
    if not isinstance(value, list):
        raise ArmError(400, "InvalidRequestContent", f"The request content was invalid: '{name}' must be a list.")
    return value


def _checked_put(entry: Any, index: int) -> tuple[str, dict[str, Any]]:
    where = f"put[{index}].properties"
    properties = entry.get("properties") if isinstance(entry, dict) else None
    if not isinstance(properties, dict):
        raise ArmError(400, "InvalidRequestContent", f"The request content was invalid: {where} is required.")
    role = properties.get("roleName")
    principal = properties.get("principal")
    if role not in ROLES:
        raise ArmError(400, "InvalidRequestContent", f"{where}.roleName {role!r} is not one of {', '.join(ROLES)}.")
    if not isinstance(principal, dict) or not isinstance(principal.get("id"), str) or not principal["id"]:
        raise ArmError(400, "InvalidRequestContent", f"{where}.principal.id is required.")
    if principal.get("type") not in PRINCIPAL_TYPES:
        raise ArmError(
            400, "InvalidRequestContent", f"{where}.principal.type must be one of {', '.join(PRINCIPAL_TYPES)}."
        )
    if principal["type"] == "Tenant" and role != "CanView":
        raise ArmError(
            400,
            "InvalidTenantPermission",
            f"{where}: the whole tenant can only be given CanView on a custom connector, not {role}.",
        )
    kept = {k: principal[k] for k in ("id", "type", "tenantId", "email", "displayName") if k in principal}
    return role, kept


def _checked_delete(entry: Any, index: int) -> str:
    """The principal id of a permission id (maker or admin form: the last segment after /permissions/)."""
    permission_id = entry.get("id") if isinstance(entry, dict) else None
    if not isinstance(permission_id, str) or "/permissions/" not in permission_id:
        raise ArmError(
            400, "InvalidRequestContent", f"delete[{index}].id must be a permission id (.../permissions/<principal>)."
        )
    return permission_id.rsplit("/permissions/", 1)[1].strip("/")
