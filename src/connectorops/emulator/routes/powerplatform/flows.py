"""Power Automate flows of an environment: `{flow_url}/providers/Microsoft.ProcessSimple/
environments/{env}/flows[/{flow}]` (GET list, PUT, GET, DELETE; api-version 2016-11-01). A flow keeps
`connectionReferences` and `definition` as sent; `definitionSummary` is derived from the
definition's OpenApiConnection steps (the live list returns a summary too; its exact shape is
unverified). Deleting a connector leaves flows' references dangling, as the service does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.routes.context import RouteContext, method_not_allowed
from connectorops.emulator.routes.powerplatform.common import (
    APIS_VERSION,
    FLOW_TYPE,
    PROCESS_SIMPLE,
    check_name,
    environment_key,
    object_or_empty,
    paged,
    put_body,
    require_environment,
    require_version,
    stored_item,
)
from connectorops.emulator.store import StoredResource

OPENAPI_ACTION_TYPES = ("OpenApiConnection", "OpenApiConnectionWebhook", "OpenApiConnectionNotification")
STATES = ("Started", "Stopped", "Suspended")


def collection(ctx: RouteContext, request: ArmRequest, env: str) -> ArmResponse:
    require_version(request, APIS_VERSION)
    if request.method != "GET":
        raise method_not_allowed(request.method, "the flows collection", ("GET",))
    require_environment(ctx, env)
    return paged(ctx, request, FLOW_TYPE, environment_key(env), lambda row: _render(row, definition=False))


def item(ctx: RouteContext, request: ArmRequest, env: str, name: str) -> ArmResponse:
    require_version(request, APIS_VERSION)
    require_environment(ctx, env)
    key = f"{environment_key(env)}/flows/{name}"
    return stored_item(
        ctx,
        request,
        key,
        what="a flow",
        missing=ArmError(404, "FlowNotFound", f"The flow '{name}' could not be found."),
        render=lambda row: _render(row, definition=True),
        put=lambda: _put(ctx, request, env, name, key),
    )


def _put(ctx: RouteContext, request: ArmRequest, env: str, name: str, key: str) -> ArmResponse:
    check_name(name, "flow")
    properties_in = object_or_empty(request.json_body().get("properties"), "properties")
    references = object_or_empty(properties_in.get("connectionReferences"), "properties.connectionReferences")
    for reference_key, reference in references.items():
        if not isinstance(reference, dict) or not isinstance(reference.get("id"), str):
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"properties.connectionReferences.{reference_key} needs an 'id' "
                "(/providers/Microsoft.PowerApps/apis/{apiName}).",
            )
    definition = object_or_empty(properties_in.get("definition"), "properties.definition")
    state = properties_in.get("state", "Started")
    if state not in STATES:
        raise ArmError(400, "InvalidRequestContent", f"properties.state must be one of {', '.join(STATES)}.")
    with ctx.store.transaction():
        current = ctx.store.get(key)
        properties = {
            "displayName": properties_in.get("displayName") or name,
            "state": state,
            "connectionReferences": references,
            "definitionSummary": definition_summary(definition, references),
        }
        body = put_body(
            name,
            f"{PROCESS_SIMPLE}/environments/{env}/flows/{name}",
            "Microsoft.ProcessSimple/environments/flows",
            properties,
            current,
            env,
            PROCESS_SIMPLE,
        )
        ctx.store.put(key, FLOW_TYPE, environment_key(env), body, extra={"definition": definition})
        stored = ctx.store.get(key)
    assert stored is not None
    return ArmResponse(200 if current else 201, _render(stored, definition=True))


def definition_summary(definition: dict[str, Any], references: dict[str, Any]) -> dict[str, Any]:
    """{"triggers": [...], "actions": [...]}: each OpenApiConnection step with the operationId it calls
    and the api (from inputs.host.apiId, else the connection reference it names)."""
    return {
        "triggers": [_summary(step, references) for step in _steps(definition.get("triggers"))],
        "actions": [_summary(step, references) for step in _steps(definition.get("actions"))],
    }


def _steps(steps: Any) -> Iterator[dict[str, Any]]:
    """Every step, nested ones too (Scope, Condition's else, Foreach, Switch cases)."""
    if not isinstance(steps, dict):
        return
    for step in steps.values():
        if not isinstance(step, dict):
            continue
        yield step
        yield from _steps(step.get("actions"))
        yield from _steps(_object(step.get("else")).get("actions"))
        for case in _object(step.get("cases")).values():
            yield from _steps(_object(case).get("actions"))
        yield from _steps(_object(step.get("default")).get("actions"))


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _summary(step: dict[str, Any], references: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": step.get("type")}
    if step.get("type") not in OPENAPI_ACTION_TYPES:
        return summary
    host = _object(_object(step.get("inputs")).get("host"))
    api = host.get("apiId")
    if not isinstance(api, str):
        reference = _object(references.get(host.get("connectionName") or host.get("connectionReferenceName") or ""))
        api = reference.get("id")
    summary["swaggerOperationId"] = host.get("operationId")
    if isinstance(api, str):
        summary["api"] = {"name": api.rstrip("/").rsplit("/", 1)[-1], "id": api}
    return summary


def _render(row: StoredResource, *, definition: bool) -> dict[str, Any]:
    body = dict(row.body)
    if definition:
        extra = row.extra if isinstance(row.extra, dict) else {}
        body["properties"] = dict(body["properties"], definition=extra.get("definition") or {})
    return body
