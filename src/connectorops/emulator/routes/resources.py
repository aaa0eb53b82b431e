"""Subscription-level reads ARM offers beside the resource types: `/resources` (every resource at a
scope, ARM's generic list) and `/providers[/NAMESPACE]` (the resource providers and their types)."""

from __future__ import annotations

import re
from typing import Any

from connectorops.emulator.paths import resource_group_id
from connectorops.emulator.protocol import (
    ArmError,
    ArmRequest,
    ArmResponse,
    list_page,
    page_size,
    require_dated_api_version,
    skip_token,
)
from connectorops.emulator.regions import AZURE_REGIONS
from connectorops.emulator.routes import (
    connections,
    custom_apis,
    resource_groups,
    role_assignments,
    role_definitions,
    workflows,
)
from connectorops.emulator.routes.context import COLLECTION_METHODS, RouteContext, method_not_allowed
from connectorops.emulator.store import StoredResource

# What /providers reports: namespace -> resource type -> api-versions the emulator serves.
PROVIDERS: dict[str, dict[str, tuple[str, ...]]] = {
    "Microsoft.Web": {"customApis": custom_apis.API_VERSIONS, "connections": connections.API_VERSIONS},
    "Microsoft.Logic": {"workflows": workflows.API_VERSIONS},
    "Microsoft.Authorization": {
        "roleAssignments": role_assignments.API_VERSIONS,
        "roleDefinitions": role_definitions.API_VERSIONS,
    },
}
# Extension resources and groups are not in ARM's /resources list.
NOT_LISTED = (resource_groups.RESOURCE_TYPE, role_assignments.RESOURCE_TYPE, role_definitions.RESOURCE_TYPE)
TYPE_FILTER = re.compile(r"^\s*resourceType\s+eq\s+'(?P<type>[^']+)'\s*$", re.IGNORECASE)


def list_resources(ctx: RouteContext, request: ArmRequest, subscription: str, group: str | None) -> ArmResponse:
    """Resources_List / Resources_ListByResourceGroup: id, name, type, location, tags of each."""
    require_dated_api_version(request)
    if request.method != "GET":
        raise method_not_allowed(request.method, "the resources collection", COLLECTION_METHODS)
    scope = f"/subscriptions/{subscription}"
    if group is not None:
        resource_groups.require_group(ctx, subscription, group)
        scope = resource_group_id(subscription, group)
    wanted = _type_filter(request.query.get("$filter"))
    limit = page_size(request, ctx.page_size)
    rows: list[StoredResource] = []
    after = skip_token(request)
    # Filter after reading: the store pages by key; keep reading until a page is full.
    while len(rows) <= limit:
        batch = ctx.store.list_any(scope, exclude=NOT_LISTED, after=after, limit=limit + 1)
        rows.extend(r for r in batch if wanted is None or r.rtype == wanted)
        if len(batch) <= limit:
            break
        after = batch[-1].key
    return ArmResponse(200, list_page(request, rows[: limit + 1], limit, _generic))


def _type_filter(text: str | None) -> str | None:
    if not text:
        return None
    match = TYPE_FILTER.match(text)
    if match is None:
        raise ArmError(
            400,
            "InvalidFilterInQueryString",
            f"The $filter '{text}' is not supported by the emulator: use resourceType eq 'Namespace/type'.",
        )
    return match["type"].lower()


def _generic(row: StoredResource) -> dict[str, Any]:
    body = row.body
    item: dict[str, Any] = {key: body[key] for key in ("id", "name", "type", "location") if key in body}
    if "tags" in body:
        item["tags"] = body["tags"]
    return item


def providers(ctx: RouteContext, request: ArmRequest, subscription: str, namespace: str | None) -> ArmResponse:
    """Providers_Get / Providers_List: every namespace the emulator serves is Registered."""
    require_dated_api_version(request)
    if request.method != "GET":
        raise method_not_allowed(request.method, "resource providers", COLLECTION_METHODS)
    if namespace is None:
        return ArmResponse(200, {"value": [_provider(subscription, ns) for ns in sorted(PROVIDERS)]})
    known = {ns.lower(): ns for ns in PROVIDERS}
    if namespace.lower() not in known:
        raise ArmError(
            404,
            "InvalidResourceNamespace",
            f"The resource namespace '{namespace}' is invalid.",
        )
    return ArmResponse(200, _provider(subscription, known[namespace.lower()]))


def _provider(subscription: str, namespace: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {"resourceType": name, "locations": list(AZURE_REGIONS), "apiVersions": sorted(versions, reverse=True)}
            for name, versions in PROVIDERS[namespace].items()
        ],
    }
