"""Microsoft.Authorization/roleAssignments at any scope: how Logic Apps custom connectors are shared.

ARM semantics: list at a scope returns assignments at, above and below it (`$filter=atScope()`:
at and above only); the role must exist (built-in or a custom role definition); the scope must
exist; a principal missing from the directory is refused only when `principalType` is not given
(ARM trusts the given type then, which is why tools set it for service principals created a
moment ago); a given type that contradicts the directory is UnmatchedPrincipalType.
"""

from __future__ import annotations

import re
from typing import Any

from connectorops.emulator.paths import GUID, ArmPath
from connectorops.emulator.protocol import (
    ArmError,
    ArmRequest,
    ArmResponse,
    now_iso,
    page_body,
    page_size,
    require_api_version,
    skip_token,
)
from connectorops.emulator.routes.context import (
    COLLECTION_METHODS,
    RouteContext,
    delete_returning_body,
    method_not_allowed,
    not_found,
)
from connectorops.emulator.routes.role_definitions import role_exists
from connectorops.emulator.store import StoredResource

RESOURCE_TYPE = "Microsoft.Authorization/roleAssignments"
API_VERSIONS = (
    "2015-07-01",
    "2018-01-01-preview",
    "2018-09-01-preview",
    "2020-04-01-preview",
    "2020-10-01-preview",
    "2022-04-01",
)
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
ROLE_DEFINITION_ID = re.compile(
    r"^(/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/(?P<guid>[0-9a-fA-F-]{36})$",
    re.IGNORECASE,
)
PRINCIPAL_FILTER = re.compile(r"principalId\s+eq\s+'(?P<id>[^']+)'", re.IGNORECASE)


def handle(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    require_api_version(request, RESOURCE_TYPE, API_VERSIONS)
    if path.action is not None:
        raise ArmError(404, "NotFound", "No route: role assignments have no actions.")
    if path.name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the roleAssignments collection", COLLECTION_METHODS)
        return _list(ctx, request, path)
    if not GUID.match(path.name):
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{path.name}' is not valid. The role assignment ID must be a GUID.",
        )
    assignment_id = f"{path.scope}/providers/{RESOURCE_TYPE}/{path.name}"
    if request.method == "GET":
        stored = ctx.store.get(assignment_id)
        if stored is None:
            raise _not_found(path.name)
        return ArmResponse(200, stored.body)
    if request.method == "PUT":
        return _put(ctx, request, path, assignment_id)
    if request.method == "DELETE":
        return delete_returning_body(ctx, assignment_id)
    raise method_not_allowed(request.method, "a role assignment", ("GET", "HEAD", "PUT", "DELETE"))


def _require_scope(ctx: RouteContext, scope: str) -> None:
    """A resource scope must exist (ARM: 404 ResourceNotFound); group scopes are checked by the router."""
    parts = [p for p in scope.split("/") if p]
    if len(parts) < 8 or parts[4].lower() != "providers":
        return
    if ctx.store.get(scope) is None:
        raise not_found("/".join(parts[5:-1]), parts[-1], parts[3])


def _not_found(name: str) -> ArmError:
    return ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")


def _is_at_or_above(assignment_scope: str, scope: str) -> bool:
    return scope == assignment_scope or scope.startswith(assignment_scope.rstrip("/") + "/")


def _list(ctx: RouteContext, request: ArmRequest, path: ArmPath) -> ArmResponse:
    scope = path.scope.lower()
    filter_text = request.query.get("$filter", "")
    at_scope_only = "atscope()" in filter_text.replace(" ", "").lower()
    principal = PRINCIPAL_FILTER.search(filter_text)
    subscription = f"/subscriptions/{path.subscription}".lower()

    def visible(row: StoredResource) -> bool:
        if not (row.parent == subscription or row.parent.startswith(subscription + "/")):
            return False
        if principal and row.body["properties"]["principalId"].lower() != principal["id"].lower():
            return False
        above = _is_at_or_above(row.parent, scope)
        below = row.parent.startswith(scope.rstrip("/") + "/")
        return above or (below and not at_scope_only)

    after = (skip_token(request) or "").lower()
    rows = [r for r in ctx.store.list_all(RESOURCE_TYPE) if r.key > after and visible(r)]
    limit = page_size(request, ctx.page_size)
    more = len(rows) > limit
    rows = rows[:limit]
    return ArmResponse(200, page_body(request, [r.body for r in rows], rows[-1].key if more and rows else None))


def _put(ctx: RouteContext, request: ArmRequest, path: ArmPath, assignment_id: str) -> ArmResponse:
    assert path.name is not None
    properties_in = request.json_body().get("properties")
    if not isinstance(properties_in, dict):
        raise ArmError(400, "InvalidRequestContent", "properties is required: roleDefinitionId and principalId.")
    role_definition_id = properties_in.get("roleDefinitionId")
    match = ROLE_DEFINITION_ID.match(role_definition_id) if isinstance(role_definition_id, str) else None
    if match is None or not role_exists(ctx, path.subscription, match["guid"]):
        raise ArmError(
            400,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{match['guid'] if match else role_definition_id}' does not exist.",
        )
    role_guid = match["guid"].lower()
    principal_id = properties_in.get("principalId")
    if not isinstance(principal_id, str) or not GUID.match(principal_id):
        raise ArmError(400, "InvalidPrincipalId", f"The principal ID '{principal_id}' is not a valid GUID.")
    principal_type = properties_in.get("principalType")
    if principal_type is not None and principal_type not in PRINCIPAL_TYPES:
        raise ArmError(
            400,
            "InvalidPrincipalType",
            f"The principal type '{principal_type}' is not valid. Use one of {', '.join(PRINCIPAL_TYPES)}.",
        )
    _require_scope(ctx, path.scope)
    principal = ctx.store.principal(principal_id)
    if principal is None and principal_type is None:
        raise ArmError(
            400,
            "PrincipalNotFound",
            f"Principal {principal_id.replace('-', '')} does not exist in the directory. Check that you have the "
            "correct principal ID. If you are creating this principal and then immediately assigning a role, this "
            "error might be related to a replication delay. In this case, set the role assignment principalType "
            "property to a value, such as ServicePrincipal, User, or Group. See https://aka.ms/docs-principaltype",
        )
    if principal is not None and principal_type is not None and principal_type != principal.principal_type:
        raise ArmError(
            400,
            "UnmatchedPrincipalType",
            f"The PrincipalId '{principal_id.replace('-', '')}' has type '{principal.principal_type}', which is "
            f"different from specified PrincipalType '{principal_type}'.",
        )
    if principal_type is None:
        assert principal is not None
        principal_type = principal.principal_type
    body: dict[str, Any] = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{path.subscription}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{role_guid}",
            "principalId": principal_id.lower(),
            "principalType": principal_type,
            "scope": path.scope,
        },
        "id": assignment_id,
        "type": RESOURCE_TYPE,
        "name": path.name.lower(),
    }
    for optional in ("description", "condition", "conditionVersion"):
        if properties_in.get(optional) is not None:
            body["properties"][optional] = properties_in[optional]
    with ctx.store.transaction():
        current = ctx.store.get(assignment_id)
        if current is not None:
            same = current.body["properties"]
            same_role = same["roleDefinitionId"].lower().endswith(role_guid)
            if same["principalId"] != body["properties"]["principalId"] or not same_role:
                raise ArmError(
                    409,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            body["properties"]["createdOn"] = same.get("createdOn")
        else:
            for other in ctx.store.list_page(RESOURCE_TYPE, path.scope, after=None, limit=1_000_000):
                props = other.body["properties"]
                if (
                    other.parent == path.scope.lower()
                    and props["principalId"] == body["properties"]["principalId"]
                    and props["roleDefinitionId"].lower().endswith(role_guid)
                ):
                    raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
            body["properties"]["createdOn"] = now_iso()
        body["properties"]["updatedOn"] = now_iso()
        ctx.store.put(assignment_id, RESOURCE_TYPE, path.scope, body)
    return ArmResponse(200 if current is not None else 201, body)
