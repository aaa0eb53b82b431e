"""Small in-memory stand-ins for the engine's unit tests: connectors, definitions and a fake gateway.

The fake gateway keeps customApis, role assignments, connections and workflows in dicts and
counts requests like the real one, so apply/observe logic is tested without a server.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectorops.azure.gateway import RequestCounter
from connectorops.definitions.model import ResolvedDefinition
from connectorops.engine.desired import DesiredState, custom_api_scope
from connectorops.errors import GatewayError
from connectorops.policy.role_assignments import DesiredRoleAssignment, role_assignment_name
from connectorops.render import DesiredCustomApi, render_custom_api
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-test"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"
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
    return render_custom_api(connector(name, **spec), resolved(doc), env, location="westeurope", commit=commit)


def grant(name: str = "orders", principal_id: str = "11111111-1111-1111-1111-111111111111") -> DesiredRoleAssignment:
    scope = custom_api_scope(SUB, RG, name)
    return DesiredRoleAssignment(
        name=role_assignment_name(scope, principal_id, READER), scope=scope, principal_name="sales-team",
        principal_id=principal_id, principal_type="Group", role_name="use", role_definition_id=READER,
    )  # fmt: skip


def desired_state(*apis: DesiredCustomApi, grants: tuple[DesiredRoleAssignment, ...] = (), env: str = "dev",
                  declared: frozenset[str] | None = None) -> DesiredState:  # fmt: skip
    return DesiredState(
        environment=env, custom_apis=tuple(apis), role_assignments=grants, commit="c0ffee",
        declared=declared if declared is not None else frozenset(a.name.lower() for a in apis),
    )  # fmt: skip


@dataclass
class FakeTarget:
    subscription_id: str = SUB
    resource_group: str = RG
    location: str = "westeurope"


@dataclass
class FakeGateway:
    """Mimics ArmGateway semantics the engine relies on (ids, etags, swagger not echoed, tags PATCH)."""

    custom_apis: dict[str, dict[str, Any]] = field(default_factory=dict)
    swaggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: list[dict[str, Any]] = field(default_factory=list)
    workflows: list[dict[str, Any]] = field(default_factory=list)
    role_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: RequestCounter = field(default_factory=RequestCounter)
    fail_on: set[str] = field(default_factory=set)  # customApi names whose PUT fails
    sent_bodies: list[dict[str, Any]] = field(default_factory=list)
    target: FakeTarget = field(default_factory=FakeTarget)
    _etags: Counter[str] = field(default_factory=Counter)

    def _count(self, verb: str, kind: str) -> None:
        self.requests.counts[(verb, kind)] += 1

    def resource_group_id(self) -> str:
        return RG_ID

    def custom_api_id(self, name: str) -> str:
        return f"{RG_ID}/providers/Microsoft.Web/customApis/{name}"

    def list_custom_apis(self) -> list[dict[str, Any]]:
        self._count("GET", "Microsoft.Web/customApis")
        return [copy.deepcopy(v) for v in self.custom_apis.values()]

    def get_custom_api(self, name: str) -> dict[str, Any] | None:
        self._count("GET", "Microsoft.Web/customApis")
        found = self.custom_apis.get(name)
        return copy.deepcopy(found) if found is not None else None

    def put_custom_api(
        self, name: str, body: dict[str, Any], *, if_match: str | None = None, if_none_match: str | None = None
    ) -> dict[str, Any]:
        self._count("PUT", "Microsoft.Web/customApis")
        self.sent_bodies.append(copy.deepcopy(body))
        if name in self.fail_on:
            # echoes the request like some ARM errors do: apply must scrub secrets from it
            raise GatewayError(f"InternalServerError on {name}: {body}", status=500, arm_code="InternalServerError")
        current = self.custom_apis.get(name)
        if if_match is not None and current is not None and current["etag"] != if_match:
            raise GatewayError("precondition failed", status=412, arm_code="PreconditionFailed")
        if if_none_match == "*" and current is not None:
            raise GatewayError("precondition failed", status=412, arm_code="PreconditionFailed")
        props = copy.deepcopy(body.get("properties") or {})
        self.swaggers[name] = props.pop("swagger", {})
        for param in (props.get("connectionParameters") or {}).values():
            (param.get("oAuthSettings") or {}).pop("clientSecret", None)  # write-only, like ARM
        props["runtimeUrls"] = ["https://tempuri.org"]
        props["apiDefinitions"] = {"originalSwaggerUrl": f"https://swagger/{name}"}
        return self._store(name, {"location": body.get("location"), "tags": dict(body.get("tags") or {}),
                                  "properties": props})  # fmt: skip

    def _store(self, name: str, resource: dict[str, Any]) -> dict[str, Any]:
        self._etags[name] += 1
        resource.update(id=self.custom_api_id(name), name=name, type="Microsoft.Web/customApis",
                        etag=f'"{name}-{self._etags[name]}"')  # fmt: skip
        self.custom_apis[name] = resource
        return copy.deepcopy(resource)

    def patch_custom_api_tags(self, name: str, tags: dict[str, str]) -> dict[str, Any]:
        self._count("PATCH", "Microsoft.Web/customApis")
        resource = self.custom_apis[name]
        resource["tags"] = dict(tags)
        return self._store(name, resource)

    def delete_custom_api(self, name: str) -> bool:
        self._count("DELETE", "Microsoft.Web/customApis")
        existed = self.custom_apis.pop(name, None) is not None
        api_id = self.custom_api_id(name).lower()
        self.connections = [c for c in self.connections if c["properties"]["api"]["id"].lower() != api_id]
        return existed

    def download_swagger(self, custom_api: dict[str, Any]) -> dict[str, Any] | None:
        self._count("GET", "swagger")
        return copy.deepcopy(self.swaggers.get(str(custom_api["name"])))

    def list_connections(self) -> list[dict[str, Any]]:
        self._count("GET", "Microsoft.Web/connections")
        return copy.deepcopy(self.connections)

    def list_workflows(self) -> list[dict[str, Any]]:
        self._count("GET", "Microsoft.Logic/workflows")
        return copy.deepcopy(self.workflows)

    def list_role_assignments(self, scope: str | None = None) -> list[dict[str, Any]]:
        self._count("GET", "Microsoft.Authorization/roleAssignments")
        return copy.deepcopy(list(self.role_assignments.values()))

    def put_role_assignment(self, scope: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self._count("PUT", "Microsoft.Authorization/roleAssignments")
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        resource = {"id": assignment_id, "name": name, "properties": {**body["properties"], "scope": scope}}
        self.role_assignments[assignment_id.lower()] = resource
        return copy.deepcopy(resource)

    def delete_role_assignment(self, assignment_id: str) -> bool:
        self._count("DELETE", "Microsoft.Authorization/roleAssignments")
        return self.role_assignments.pop(assignment_id.lower(), None) is not None

    # test helpers ------------------------------------------------------------------------------
    def add_connection(self, name: str, api: str, status: str = "Connected") -> str:
        conn_id = f"{RG_ID}/providers/Microsoft.Web/connections/{name}"
        self.connections.append({"id": conn_id, "name": name, "properties": {
            "api": {"id": self.custom_api_id(api)}, "statuses": [{"status": status}]}})  # fmt: skip
        return conn_id

    def add_workflow(self, name: str, *connection_ids: str) -> None:
        value = {f"c{i}": {"connectionId": cid} for i, cid in enumerate(connection_ids)}
        self.workflows.append({"id": f"{RG_ID}/providers/Microsoft.Logic/workflows/{name}", "name": name,
                               "properties": {"parameters": {"$connections": {"value": value}}}})  # fmt: skip
