"""Power Platform environments: the emulator's own PUT (tests and `emulator serve` make them) and
the flow API's list, `GET {flow_url}/providers/Microsoft.ProcessSimple/environments[/{env}]`."""

from __future__ import annotations

import uuid
from typing import Any

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse, now_iso
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.powerplatform.common import (
    APIS_VERSION,
    ENVIRONMENT_TYPE,
    PROCESS_SIMPLE,
    check_name,
    environment_key,
    object_or_empty,
    paged,
    require_environment,
    require_version,
)
from connectorops.emulator.store import StoredResource

ROOT = "/pp/environments"


def default_environment(ctx: RouteContext) -> str:
    """The environment every emulator has from its start (stable per state file)."""
    env = ctx.store.meta_or_create("powerplatform_environment", uuid.uuid4)
    ensure_environment(ctx, env, "Default environment (emulator)", is_default=True)
    return env


def ensure_environment(ctx: RouteContext, env: str, display_name: str, *, is_default: bool = False) -> bool:
    """Create the environment if missing; True when created."""
    check_name(env, "environment")
    key = environment_key(env)
    with ctx.store.transaction():
        if ctx.store.get(key) is not None:
            return False
        body = {
            "name": env,
            "id": f"{PROCESS_SIMPLE}/environments/{env}",
            "type": "Microsoft.ProcessSimple/environments",
            "properties": {"displayName": display_name, "isDefault": is_default, "createdTime": now_iso()},
        }
        ctx.store.put(key, ENVIRONMENT_TYPE, ROOT, body)
    return True


def emulator_put(ctx: RouteContext, request: ArmRequest, env: str) -> ArmResponse:
    """`PUT /_emulator/powerplatform/environments/{env}` body optional {"properties": {"displayName"}}."""
    if request.method != "PUT":
        raise method_not_allowed(request.method, "an emulator environment", ("PUT",))
    body = request.json_body() if request.body else {}
    display_name = object_or_empty(body.get("properties"), "properties").get("displayName") or env
    created = ensure_environment(ctx, env, str(display_name))
    stored = ctx.store.get(environment_key(env))
    assert stored is not None
    return ArmResponse(201 if created else 200, stored.body)


def handle(ctx: RouteContext, request: ArmRequest, env: str | None) -> ArmResponse:
    """GET the environments list or one environment (api-version 2016-11-01)."""
    require_version(request, APIS_VERSION)
    if request.method != "GET":
        raise method_not_allowed(request.method, "environments", ("GET",))
    if env is None:
        return paged(ctx, request, ENVIRONMENT_TYPE, ROOT, _render)
    stored = ctx.store.get(environment_key(require_environment(ctx, env)))
    if stored is None:  # deleted between the two reads
        raise ArmError(404, "EnvironmentNotFound", f"The environment '{env}' could not be found in the tenant.")
    return ArmResponse(200, _render(stored))


def _render(row: StoredResource) -> dict[str, Any]:
    return row.body
