"""Small in-memory stand-ins for the engine's unit tests: connectors, definitions, desired states.

The target the engine talks to is `InMemoryTarget` (in_memory_target.py), shared with the contract suite.
"""

from __future__ import annotations

from typing import Any

from in_memory_target import RG, SUB
from in_memory_target import RG_ID as RG_ID
from in_memory_target import InMemoryTarget as InMemoryTarget  # re-exported: the unit tests' target

from connectorops.definitions.model import ResolvedConnector, ResolvedDefinition
from connectorops.engine.desired import DesiredState
from connectorops.policy.role_assignments import DesiredRoleAssignment, role_assignment_name
from connectorops.render import DesiredCustomApi
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.targets.arm import ArmPlacement
from connectorops.targets.arm.render import render_custom_api

PLACEMENT = ArmPlacement(SUB, RG, "westeurope")
READER = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def swagger(title: str = "Orders", ops: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    paths = ops or {
        "/orders": {
            "get": {
                "operationId": "ListOrders",
                "parameters": [{"name": "status", "in": "query", "type": "string", "enum": ["open", "closed"]}],
                "responses": {
                    "200": {
                        "description": "ok",
                        "schema": {"type": "array", "items": {"$ref": "#/definitions/Order"}},
                    }
                },
            }
        },
        "/orders/{id}": {
            "delete": {
                "operationId": "DeleteOrder",
                "parameters": [{"name": "id", "in": "path", "type": "string", "required": True}],
                "responses": {"204": {"description": "gone"}},
            }
        },
    }
    return {
        "swagger": "2.0",
        "info": {"title": title, "description": f"{title} API for tests.", "version": "1.0"},
        "host": "orders.contoso.com",
        "basePath": "/api",
        "schemes": ["https"],
        "paths": paths,
        "definitions": {
            "Order": {"type": "object", "properties": {"id": {"type": "string"}, "total": {"type": "number"}}}
        },
    }


def connector(name: str = "orders", **spec: Any) -> LoadedConnector:
    body: dict[str, Any] = {"definition": {"openapi": "openapi.yaml"}}
    body.update(spec)
    labels = body.pop("labels", {})
    document = ConnectorDocument.model_validate(
        {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": name, "labels": labels},
            "spec": body,
        }
    )
    return LoadedConnector(name=name, folder=f"connectors/{name}", path=f"connectors/{name}/connector.yaml",
                           document=document)  # fmt: skip


def resolved(doc: dict[str, Any] | None = None, **extra: Any) -> ResolvedDefinition:
    extra.setdefault("connection_parameters", {})
    return ResolvedDefinition(source_kind="openapi", swagger=doc or swagger(), **extra)


def desired_api(
    name: str = "orders",
    *,
    env: str = "dev",
    commit: str | None = "c0ffee",
    doc: dict[str, Any] | None = None,
    **spec: Any,
) -> DesiredCustomApi:
    return render_custom_api(
        ResolvedConnector.from_definition(connector(name, **spec), env, resolved(doc)),
        location="westeurope",
        commit=commit,
    )


def grant(name: str = "orders", principal_id: str = "11111111-1111-1111-1111-111111111111") -> DesiredRoleAssignment:
    scope = PLACEMENT.connector_id(name)
    return DesiredRoleAssignment(
        name=role_assignment_name(scope, principal_id, READER), scope=scope, principal_name="sales-team",
        principal_id=principal_id, principal_type="Group", role_name="use", role_definition_id=READER,
    )  # fmt: skip


def desired_state(*apis: DesiredCustomApi, grants: tuple[DesiredRoleAssignment, ...] = (), env: str = "dev",
                  declared: frozenset[str] | None = None) -> DesiredState:  # fmt: skip
    return DesiredState(
        environment=env, custom_apis=tuple(apis), role_assignments=grants, commit="c0ffee",
        declared=declared if declared is not None else frozenset(a.name.lower() for a in apis),
        connector_ids={a.name.lower(): PLACEMENT.connector_id(a.name) for a in apis},
    )  # fmt: skip
