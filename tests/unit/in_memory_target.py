"""InMemoryTarget: the one fake Target of the unit tests and of the contract suite (tests/contract).

It speaks the engine's Target protocol (engine/target.py). Its connectors, grants, connections and consumers
are kept in dicts shaped like the ARM JSON the real target returns (ids, etags, tags, the swagger not echoed,
write-only secrets dropped), and it counts requests like the real gateway, so apply/observe logic is tested
without a server. The ARM-shaped methods (put_custom_api, add_connection, ...) seed and inspect that state;
they are also the gateway surface `ResourceGroupTarget` and the controller's lease use.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectorops import tags
from connectorops.engine.impact import connection_api_id
from connectorops.engine.target import Capabilities, TargetId
from connectorops.errors import GatewayError
from connectorops.targets.arm import ARM_CAPABILITIES, ArmPlacement
from connectorops.targets.arm.gateway import RequestCounter

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-test"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"


@dataclass
class FakeLocation:
    subscription_id: str = SUB
    resource_group: str = RG
    location: str = "westeurope"


@dataclass
class InMemoryTarget:
    """A resource group in memory: the Target protocol over dicts (and the ARM-shaped seeding surface)."""

    custom_apis: dict[str, dict[str, Any]] = field(default_factory=dict)
    swaggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: list[dict[str, Any]] = field(default_factory=list)
    workflows: list[dict[str, Any]] = field(default_factory=list)
    role_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: RequestCounter = field(default_factory=RequestCounter)
    fail_on: set[str] = field(default_factory=set)  # customApi names whose PUT fails
    sent_bodies: list[dict[str, Any]] = field(default_factory=list)
    target: FakeLocation = field(default_factory=FakeLocation)
    _etags: Counter[str] = field(default_factory=Counter)

    # the Target protocol ------------------------------------------------------------------------
    @property
    def identity(self) -> TargetId:
        return ArmPlacement(self.target.subscription_id, self.target.resource_group, self.target.location).identity

    @property
    def capabilities(self) -> Capabilities:
        return ARM_CAPABILITIES

    def scope_id(self) -> str:
        return self.resource_group_id()

    def connector_id(self, name: str) -> str:
        return self.custom_api_id(name)

    def list_connectors(self) -> list[dict[str, Any]]:
        return [a for a in self.list_custom_apis() if not tags.is_lease_marker(a)]

    def list_grants(self) -> list[dict[str, Any]]:
        return self.list_role_assignments()

    def list_consumers(self) -> list[dict[str, Any]]:
        return self.list_workflows()

    def get_connector(self, name: str) -> dict[str, Any] | None:
        return self.get_custom_api(name)

    def download_definition(self, connector: dict[str, Any]) -> dict[str, Any] | None:
        return self.download_swagger(connector)

    def connections_of(self, connector_id: str) -> list[dict[str, Any]]:
        wanted = connector_id.rstrip("/").lower()
        return [c for c in self.list_connections() if connection_api_id(c).rstrip("/").lower() == wanted]

    def create_connector(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.put_custom_api(name, body, if_none_match="*")

    def update_connector(self, name: str, body: dict[str, Any], *, etag: str | None) -> dict[str, Any]:
        return self.put_custom_api(name, body, if_match=etag)

    def write_markers(self, name: str, markers: dict[str, str]) -> dict[str, Any]:
        return self.patch_custom_api_tags(name, markers)

    def delete_connector(self, name: str) -> bool:
        return self.delete_custom_api(name)

    def grant(self, connector: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.put_role_assignment(self.connector_id(connector), name, body)

    def revoke(self, grant_id: str) -> bool:
        return self.delete_role_assignment(grant_id)

    # ARM-shaped state (seeding, inspection, and the gateway surface) ------------------------------
    def _count(self, verb: str, kind: str) -> None:
        self.requests.counts[(verb, kind)] += 1

    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.target.subscription_id}/resourceGroups/{self.target.resource_group}"

    def custom_api_id(self, name: str) -> str:
        return f"{self.resource_group_id()}/providers/Microsoft.Web/customApis/{name}"

    def connection_id(self, name: str) -> str:
        return f"{self.resource_group_id()}/providers/Microsoft.Web/connections/{name}"

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
        if if_match is not None and (current is None or current["etag"] != if_match):
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
    def add_custom_api(self, name: str, tags: dict[str, str]) -> dict[str, Any]:
        """A connector deployed earlier (by an apply, or by hand) with these tags."""
        return self._store(name, {"location": self.target.location, "tags": dict(tags), "properties": {}})

    def add_connection(self, name: str, api: str, status: str = "Connected") -> str:
        conn_id = self.connection_id(name)
        self.connections.append({"id": conn_id, "name": name, "properties": {
            "api": {"id": self.custom_api_id(api)}, "statuses": [{"status": status}]}})  # fmt: skip
        return conn_id

    def add_workflow(self, name: str, *connection_ids: str) -> None:
        value = {f"c{i}": {"connectionId": cid} for i, cid in enumerate(connection_ids)}
        workflow_id = f"{self.resource_group_id()}/providers/Microsoft.Logic/workflows/{name}"
        self.workflows.append({"id": workflow_id, "name": name,
                               "properties": {"parameters": {"$connections": {"value": value}}}})  # fmt: skip
