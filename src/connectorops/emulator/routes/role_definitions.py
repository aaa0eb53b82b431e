"""Microsoft.Authorization/roleDefinitions: the built-in roles the emulator knows, plus custom roles
created with PUT (so a role id from policies/sharing.yaml can be assigned locally as on Azure).

Custom roles are kept per subscription, like ARM (whatever scope they were created at); GET and
list answer built-in and custom roles alike.
"""

from __future__ import annotations

from typing import Any

from connectorops.emulator.paths import GUID, ArmPath
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, now_iso, require_api_version
from connectorops.emulator.routes.context import (
    COLLECTION_METHODS,
    RouteContext,
    delete_returning_body,
    method_not_allowed,
)
from connectorops.emulator.store import StoredResource

RESOURCE_TYPE = "Microsoft.Authorization/roleDefinitions"
API_VERSIONS = ("2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview")
# Built-in roles (ids from the azure-docs built-in roles article).
BUILT_IN_ROLES = {
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "87a39d53-fc1b-424a-814c-f7e04687dc9e": "Logic App Contributor",
    "515c2055-d9d4-4321-b1b9-bd0c9a0f79fe": "Logic App Operator",
}


def definition_id(subscription: str, guid: str) -> str:
    return f"/subscriptions/{subscription}/providers/{RESOURCE_TYPE}/{guid.lower()}"


def role_exists(ctx: RouteContext, subscription: str, guid: str) -> bool:
    return guid.lower() in BUILT_IN_ROLES or ctx.store.get(definition_id(subscription, guid)) is not None


def _built_in(subscription: str, guid: str) -> dict[str, Any]:
    return {
        "id": definition_id(subscription, guid),
        "type": RESOURCE_TYPE,
        "name": guid,
        "properties": {
            "roleName": BUILT_IN_ROLES[guid],
            "type": "BuiltInRole",
            "description": "",
            "assignableScopes": ["/"],
            "permissions": [{"actions": [], "notActions": [], "dataActions": [], "notDataActions": []}],
        },
    }


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    if path.action is not None:
        raise ArmError(404, "NotFound", "No route: role definitions have no actions.")
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the roleDefinitions collection", COLLECTION_METHODS)
        return _list(ctx, request, path)
    if not GUID.match(path.name):
        raise ArmError(400, "InvalidRoleDefinitionId", f"The role definition ID '{path.name}' is not valid.")
    guid = path.name.lower()
    if request.method == "GET":
        if guid in BUILT_IN_ROLES:
            return ArmResponse(200, _built_in(path.subscription, guid))
        stored = ctx.store.get(definition_id(path.subscription, guid))
        if stored is None:
            raise ArmError(
                404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist."
            )
        return ArmResponse(200, stored.body)
    if request.method == "PUT":
        return _put(ctx, request, path, guid)
    if request.method == "DELETE":
        if guid in BUILT_IN_ROLES:
            raise ArmError(403, "AuthorizationFailed", "Built-in role definitions cannot be deleted.")
        return delete_returning_body(ctx, definition_id(path.subscription, guid))
    raise method_not_allowed(request.method, "a role definition", ("GET", "HEAD", "PUT", "DELETE"))


def _list(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    """Built-in roles and this subscription's custom roles; `$filter=roleName eq '...'` narrows by name."""
    items = [_built_in(path.subscription, guid) for guid in sorted(BUILT_IN_ROLES)]
    items += [r.body for r in _custom_roles(ctx, path.subscription)]
    filter_text = request.query.get("$filter", "")
    if "rolename eq" in filter_text.lower():
        wanted = filter_text.split("'")[1] if filter_text.count("'") >= 2 else ""
        items = [i for i in items if i["properties"]["roleName"].lower() == wanted.lower()]
    return ArmResponse(200, {"value": items})


def _custom_roles(ctx: RouteContext, subscription: str) -> list[StoredResource]:
    return ctx.store.list_page(RESOURCE_TYPE, f"/subscriptions/{subscription}", after=None, limit=10_000)


def _put(ctx: RouteContext, request: ArmRequest, path: ArmPath, guid: str) -> ArmResponse:
    if guid in BUILT_IN_ROLES:
        raise ArmError(403, "AuthorizationFailed", "Built-in role definitions cannot be changed.")
    properties_in = request.json_body().get("properties")
    if not isinstance(properties_in, dict):
        raise ArmError(400, "InvalidRequestContent", "properties is required: roleName, permissions, assignableScopes.")
    role_name = properties_in.get("roleName")
    if not isinstance(role_name, str) or not role_name.strip():
        raise ArmError(400, "RoleDefinitionNameNullOrEmpty", "The role definition name cannot be null or empty.")
    scopes = properties_in.get("assignableScopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise ArmError(400, "MissingAssignableScopes", "The role definition must have at least one assignable scope.")
    permissions = properties_in.get("permissions") or []
    if not isinstance(permissions, list) or not all(isinstance(p, dict) for p in permissions):
        raise ArmError(400, "InvalidRequestContent", "properties.permissions must be a list of permission objects.")
    key = definition_id(path.subscription, guid)
    with ctx.store.transaction():
        current = ctx.store.get(key)
        for other in _custom_roles(ctx, path.subscription):
            if other.key != key.lower() and other.body["properties"]["roleName"].lower() == role_name.lower():
                raise ArmError(
                    409,
                    "RoleDefinitionWithSameNameExists",
                    f"A custom role with the same name '{role_name}' already exists in this directory.",
                )
        now = now_iso()
        body = {
            "id": key,
            "type": RESOURCE_TYPE,
            "name": guid,
            "properties": {
                "roleName": role_name,
                "type": "CustomRole",
                "description": str(properties_in.get("description") or ""),
                "assignableScopes": scopes,
                "permissions": [
                    {k: list(p.get(k) or []) for k in ("actions", "notActions", "dataActions", "notDataActions")}
                    for p in permissions
                ],
                "createdOn": current.body["properties"]["createdOn"] if current else now,
                "updatedOn": now,
            },
        }
        ctx.store.put(key, RESOURCE_TYPE, f"/subscriptions/{path.subscription}", body)
    return ArmResponse(200 if current is not None else 201, body)
