"""What every route handler gets: the store, paging size, default location and swagger URL signing,
plus the checks, ARM errors and CRUD steps (list a page, read, re-tag) the handlers share."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from connectorops.emulator.paths import ArmPath, check_resource_name, resource_group_id
from connectorops.emulator.protocol import (
    ArmError,
    ArmRequest,
    ArmResponse,
    list_page,
    new_etag,
    page_size,
    skip_token,
)
from connectorops.emulator.store import EmulatorStore, StoredResource

SWAGGER_ROUTE = "/emulator/apiDefinitions"


@dataclass(frozen=True)
class RouteContext:
    store: EmulatorStore
    page_size: int
    default_location: str
    signing_key: str
    pp_page_size: int = 250  # Power Platform collections (the ARM surface pages by page_size)

    def sign(self, key: str, kind: str) -> str:
        return hmac.new(self.signing_key.encode(), f"{key.lower()}|{kind}".encode(), hashlib.sha256).hexdigest()

    def swagger_url(self, base_url: str, key: str, kind: str) -> str:
        """An unguessable URL serving a customApi's stored swagger without a bearer token (like a SAS URL)."""
        query = urlencode({"id": key.lower(), "sig": self.sign(key, kind)})
        return f"{base_url}{SWAGGER_ROUTE}/{kind}.json?{query}"


def require_resource_group(path: ArmPath) -> str:
    if path.resource_group is None:
        raise ArmError(404, "NotFound", f"'{path.namespace}/{path.type_name}' lives in a resource group.")
    return path.resource_group


def reject_action(path: ArmPath, resource_types: str) -> None:
    """The emulator serves no POST actions (listKeys, ...) on these resource types."""
    if path.action is not None:
        raise ArmError(
            404, "NotFound", f"The emulator does not implement the '{path.action}' action on {resource_types}."
        )


def resource_id_in(path: ArmPath, resource_group: str, resource_type: str) -> str:
    """The id of the named resource in `resource_group`; an invalid name is ARM's 400."""
    assert path.name is not None
    check_resource_name(path.name, resource_type)
    return f"{resource_group_id(path.subscription, resource_group)}/providers/{resource_type}/{path.name}"


def _as_stored(row: StoredResource) -> dict[str, Any]:
    return row.body


def list_response(
    ctx: RouteContext,
    request: ArmRequest,
    resource_type: str,
    scope: str,
    shape: Callable[[StoredResource], dict[str, Any]] = _as_stored,
    *,
    default_size: int | None = None,
) -> ArmResponse:
    """One page of `resource_type` under `scope` (`default_size` rows, else ctx.page_size, unless
    the request asks for fewer), with a nextLink when more follow."""
    limit = page_size(request, ctx.page_size if default_size is None else default_size)
    rows = ctx.store.list_page(resource_type, scope, after=skip_token(request), limit=limit + 1)
    return ArmResponse(200, list_page(request, rows, limit, shape))


def existing(ctx: RouteContext, resource_id: str, resource_type: str, name: str, resource_group: str) -> StoredResource:
    """The stored resource, or ARM's ResourceNotFound."""
    stored = ctx.store.get(resource_id)
    if stored is None:
        raise not_found(resource_type, name, resource_group)
    return stored


# A route's PUT or PATCH: (ctx, request, name, parent or resource group, resource id) -> response.
ResourceWrite = Callable[[RouteContext, ArmRequest, str, str, str], ArmResponse]


def stored_resource(
    ctx: RouteContext,
    request: ArmRequest,
    path: ArmPath,
    resource_group: str,
    resource_type: str,
    *,
    what: str,
    put: ResourceWrite,
    patch: ResourceWrite,
) -> ArmResponse:
    """GET, PUT (given the parent id), PATCH (given the resource group) and DELETE (200, or 204 when
    absent) of the named resource in `resource_group`, stored as its body."""
    assert path.name is not None
    name, resource_id = path.name, resource_id_in(path, resource_group, resource_type)
    if request.method == "GET":
        return ArmResponse(200, existing(ctx, resource_id, resource_type, name, resource_group).body)
    if request.method == "PUT":
        return put(ctx, request, name, resource_group_id(path.subscription, resource_group), resource_id)
    if request.method == "PATCH":
        return patch(ctx, request, name, resource_group, resource_id)
    if request.method == "DELETE":
        return ArmResponse(200 if ctx.store.delete(resource_id) else 204)
    raise method_not_allowed(request.method, what, RESOURCE_METHODS)


def delete_returning_body(ctx: RouteContext, key: str) -> ArmResponse:
    """DELETE as Microsoft.Authorization answers it: 200 with the deleted body, 204 when nothing was there."""
    with ctx.store.transaction():
        stored = ctx.store.get(key)
        if stored is None:
            return ArmResponse(204)
        ctx.store.delete(key)
    return ArmResponse(200, stored.body)


def envelope(
    resource_id: str,
    resource_type: str,
    name: str,
    location: str,
    properties: dict[str, Any],
    tags: dict[str, str] | None,
) -> dict[str, Any]:
    """The ARM resource shape every PUT stores and returns, with a fresh etag; tags None: no `tags` key."""
    body: dict[str, Any] = {
        "properties": properties,
        "id": resource_id,
        "name": name,
        "type": resource_type,
        "location": location,
    }
    if tags is not None:
        body["tags"] = tags
    body["etag"] = new_etag()
    return body


def retagged(ctx: RouteContext, current: StoredResource, tags: dict[str, str], etag: str) -> dict[str, Any]:
    """PATCH of tags (the only field ARM's *_Update takes): store and return the re-tagged body."""
    updated = dict(current.body, tags=tags, etag=etag)
    ctx.store.put(current.key, current.rtype, current.parent, updated, ref=current.ref, extra=current.extra)
    return updated


COLLECTION_METHODS = ("GET", "HEAD")
RESOURCE_METHODS = ("GET", "HEAD", "PUT", "PATCH", "DELETE")


def method_not_allowed(method: str, what: str, allowed: tuple[str, ...]) -> ArmError:
    """405 with the `Allow` header HTTP asks for, in ARM's JSON envelope."""
    return ArmError(
        405,
        "MethodNotAllowed",
        f"The requested resource does not support http method '{method}' on {what}.",
        headers={"Allow": ", ".join(allowed)},
    )


def not_found(resource_type: str, name: str, resource_group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def check_tags(body: dict[str, Any]) -> dict[str, str]:
    tags = body.get("tags")
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ArmError(400, "InvalidRequestContent", "tags must be an object of string values.")
    if len(tags) > 50:
        raise ArmError(400, "InvalidTagCount", "A resource may have at most 50 tags.")
    return dict(tags)


def object_field(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArmError(400, "InvalidRequestContent", f"'{name}' must be a JSON object.")
    return value
