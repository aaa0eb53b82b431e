"""What the Power Platform routes share: store keys, api-version and environment checks, paging.

State lives in the ARM emulator's `resources` table under keys starting with `/pp/` (never an
ARM id): `/pp/environments/{env}`, `.../apis/{apiName}`, `.../apis/{apiName}/permissions/{oid}`,
`.../apis/{apiName}/connections/{name}`, `.../flows/{flow}`, `/pp/blobs/{container}[/{file}]`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, now_iso
from connectorops.emulator.routes.context import RouteContext, list_response, method_not_allowed
from connectorops.emulator.store import StoredResource

APIS_VERSION = "2016-11-01"
PERMISSIONS_VERSION = "2017-06-01"
POWERAPPS = "/providers/Microsoft.PowerApps"
PROCESS_SIMPLE = "/providers/Microsoft.ProcessSimple"
ENVIRONMENT_TYPE = "pp/environments"
API_TYPE = "pp/apis"
PERMISSION_TYPE = "pp/permissions"
CONNECTION_TYPE = "pp/connections"
FLOW_TYPE = "pp/flows"
CONTAINER_TYPE = "pp/containers"
BLOB_TYPE = "pp/blobs"
DEFAULT_PAGE_SIZE = 250
FILTER = re.compile(r"^\s*environment\s+eq\s+'(?P<env>[^']+)'\s*$", re.IGNORECASE)
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def environment_key(env: str) -> str:
    return f"/pp/environments/{env}"


def api_key(env: str, api_name: str) -> str:
    return f"{environment_key(env)}/apis/{api_name}"


def api_id(api_name: str) -> str:
    return f"{POWERAPPS}/apis/{api_name}"


def require_version(request: ArmRequest, expected: str) -> None:
    """Missing or another api-version: 400 in the ARM-like envelope, naming the one this path takes."""
    version = request.api_version
    if not version:
        raise ArmError(
            400, "MissingApiVersionParameter", f"The api-version query parameter is required; use '{expected}'."
        )
    if version != expected:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is not supported for this operation; use '{expected}'.",
        )


def filtered_environment(ctx: RouteContext, request: ArmRequest) -> str:
    """The environment of `$filter=environment eq '{env}'`; it must exist."""
    text = request.query.get("$filter")
    if text is None:
        raise ArmError(
            400, "MissingEnvironmentFilter", "The query must carry $filter=environment eq '<environment name>'."
        )
    match = FILTER.match(text)
    if match is None:
        raise ArmError(
            400, "InvalidFilter", f"The $filter '{text}' is not supported; use environment eq '<environment name>'."
        )
    return require_environment(ctx, match["env"])


def require_environment(ctx: RouteContext, env: str) -> str:
    if ctx.store.get(environment_key(env)) is None:
        raise ArmError(404, "EnvironmentNotFound", f"The environment '{env}' could not be found in the tenant.")
    return env


def check_name(name: str, what: str) -> None:
    if not NAME.match(name):
        raise ArmError(
            400, "InvalidName", f"The {what} name '{name}' is invalid: use 1-128 letters, digits, '-', '_' or '.'."
        )


def paged(
    ctx: RouteContext,
    request: ArmRequest,
    rtype: str,
    scope: str,
    render: Callable[[StoredResource], dict[str, Any]],
) -> ArmResponse:
    """{"value": [...], "nextLink"} over `rtype` below `scope`, pages of ctx.pp_page_size."""
    return list_response(ctx, request, rtype, scope, render, default_size=ctx.pp_page_size)


def creator_id(ctx: RouteContext) -> str:
    """The object id the emulator token stands for (the maker who creates connectors)."""
    return ctx.store.meta_or_create("powerplatform_user_oid", uuid.uuid4)


def tenant_id(ctx: RouteContext) -> str:
    return ctx.store.meta_or_create("powerplatform_tenant_id", uuid.uuid4)


def object_or_empty(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArmError(400, "InvalidRequestContent", f"The request content was invalid: '{where}' must be an object.")
    return value


def environment_of(ctx: RouteContext, request: ArmRequest, env_in_path: str | None) -> str:
    """The environment named in an admin path, else the one of the $filter; it must exist."""
    return require_environment(ctx, env_in_path) if env_in_path is not None else filtered_environment(ctx, request)


def require_api(ctx: RouteContext, env: str, api_name: str) -> StoredResource:
    missing = ArmError(404, "ApiNotFound", f"The API '{api_name}' could not be found in the environment '{env}'.")
    return _required(ctx, api_key(env, api_name), missing)


def stored_item(
    ctx: RouteContext,
    request: ArmRequest,
    key: str,
    *,
    what: str,
    missing: ArmError,
    render: Callable[[StoredResource], dict[str, Any]],
    put: Callable[[], ArmResponse],
) -> ArmResponse:
    """GET, DELETE (200, no body) and PUT of one resource stored at `key`; `missing` is its 404."""
    if request.method == "GET":
        return ArmResponse(200, render(_required(ctx, key, missing)))
    if request.method == "DELETE":
        with ctx.store.transaction():
            _required(ctx, key, missing)
            ctx.store.delete(key)
        return ArmResponse(200)
    if request.method == "PUT":
        return put()
    raise method_not_allowed(request.method, what, ("GET", "PUT", "DELETE"))


def _required(ctx: RouteContext, key: str, missing: ArmError) -> StoredResource:
    stored = ctx.store.get(key)
    if stored is None:
        raise missing
    return stored


def put_body(
    name: str,
    resource_id: str,
    resource_type: str,
    properties: dict[str, Any],
    current: StoredResource | None,
    env: str,
    provider: str,
) -> dict[str, Any]:
    """The body a PUT of an environment's resource stores: `properties`, then createdTime (kept
    from `current`), lastModifiedTime and the environment as `provider` names it, in that order."""
    now = now_iso()
    return {
        "name": name,
        "id": resource_id,
        "type": resource_type,
        "properties": {
            **properties,
            "createdTime": current.body["properties"]["createdTime"] if current else now,
            "lastModifiedTime": now,
            "environment": {"name": env, "id": f"{provider}/environments/{env}"},
        },
    }
