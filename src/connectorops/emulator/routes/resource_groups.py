"""Microsoft.Resources/resourceGroups: the containers every other resource of the emulator lives in.

PUT/GET/HEAD/DELETE/list as ARM answers them; deleting a group deletes everything in it (ARM
does that asynchronously with 202; the emulator finishes at once and answers 200). Anything
addressed inside a group that does not exist gets ResourceGroupNotFound (404).
"""

from __future__ import annotations

import re
from typing import Any

from connectorops.emulator.paths import resource_group_id
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, require_dated_api_version
from connectorops.emulator.regions import checked_location
from connectorops.emulator.routes.context import (
    COLLECTION_METHODS,
    RouteContext,
    check_tags,
    list_response,
    method_not_allowed,
)

RESOURCE_TYPE = "Microsoft.Resources/resourceGroups"
# Letters (any script), digits, '_', '(', ')', '-', '.'; 1-90 characters; not ending in '.'.
GROUP_NAME = re.compile(r"^[\w().-]{1,90}$")


def group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def require_group(ctx: RouteContext, subscription: str, name: str) -> None:
    """ARM's answer for anything addressed inside a resource group that does not exist."""
    if ctx.store.get(resource_group_id(subscription, name)) is None:
        raise group_not_found(name)


def ensure_group(ctx: RouteContext, subscription: str, name: str, location: str) -> bool:
    """Create the group if it is missing (as `az group create` would); True when it was created."""
    group_id = resource_group_id(subscription, name)
    with ctx.store.transaction():
        if ctx.store.get(group_id) is not None:
            return False
        ctx.store.put(group_id, RESOURCE_TYPE, f"/subscriptions/{subscription}", _body(group_id, name, location, None))
    return True


def _body(group_id: str, name: str, location: str, tags: dict[str, str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group_id,
        "name": name,
        "type": RESOURCE_TYPE,
        "location": location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if tags is not None:
        body["tags"] = tags
    return body


def handle(ctx: RouteContext, request: ArmRequest, subscription: str, name: str | None) -> ArmResponse:
    require_dated_api_version(request)
    if name is None:
        if request.method != "GET":
            raise method_not_allowed(request.method, "the resourceGroups collection", COLLECTION_METHODS)
        return list_response(ctx, request, RESOURCE_TYPE, f"/subscriptions/{subscription}")
    if not GROUP_NAME.match(name) or name.endswith("."):
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters or is too long: use 1-90 "
            "letters, digits, '_', '(', ')', '-' or '.', not ending with '.'.",
        )
    group_id = resource_group_id(subscription, name)
    if request.method == "GET":
        stored = ctx.store.get(group_id)
        if stored is None:
            raise group_not_found(name)
        return ArmResponse(200, stored.body)
    if request.method == "PUT":
        body = request.json_body()
        tags = check_tags(body)
        with ctx.store.transaction():
            current = ctx.store.get(group_id)
            location = checked_location(body, "resourceGroups")
            if current is not None and current.body["location"] != location:
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already exists in location "
                    f"'{current.body['location']}'.",
                )
            stored_name = current.body["name"] if current is not None else name  # ARM keeps the first spelling
            group = _body(group_id if current is None else current.body["id"], stored_name, location, tags)
            ctx.store.put(group_id, RESOURCE_TYPE, f"/subscriptions/{subscription}", group)
        return ArmResponse(200 if current is not None else 201, group)
    if request.method == "PATCH":
        with ctx.store.transaction():
            stored = ctx.store.get(group_id)
            if stored is None:
                raise group_not_found(name)
            group = dict(stored.body, tags=check_tags(request.json_body()))
            ctx.store.put(group_id, RESOURCE_TYPE, f"/subscriptions/{subscription}", group)
        return ArmResponse(200, group)
    if request.method == "DELETE":
        with ctx.store.transaction():
            if not ctx.store.delete(group_id):
                raise group_not_found(name)
            ctx.store.delete_below(group_id)
        return ArmResponse(200)
    raise method_not_allowed(request.method, "a resource group", ("GET", "HEAD", "PUT", "PATCH", "DELETE"))
