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
from connectorops.definitions.model import ResolvedConnector
from connectorops.engine.impact import FLOW, connection_api_id
from connectorops.engine.target import ALIASES, Capabilities, TargetId
from connectorops.errors import GatewayError
from connectorops.render import DesiredCustomApi
from connectorops.targets.arm import ARM_CAPABILITIES, ArmPlacement
from connectorops.targets.arm.gateway import RequestCounter
from connectorops.targets.arm.render import render_custom_api
from connectorops.targets.arm.target import refuse_other_name

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

    def update_connector(
        self, name: str, body: dict[str, Any], *, etag: str | None, listed_as: str | None = None
    ) -> dict[str, Any]:
        refuse_other_name(name, listed_as)
        return self.put_custom_api(name, body, if_match=etag)

    def write_markers(self, name: str, markers: dict[str, str], *, listed_as: str | None = None) -> dict[str, Any]:
        refuse_other_name(name, listed_as)
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


# --- a Power Platform environment --------------------------------------------------------------------------

PP_ENV = "00000000-0000-0000-0000-0000000000e1"
PP_APIS = "/providers/Microsoft.PowerApps/apis"
# The creator of every connector (the token's oid): listed by the service as Owner.
PP_CREATOR = "99999999-9999-9999-9999-999999999999"
PP_CAPABILITIES = Capabilities(
    tags=False,
    policy_templates=True,
    custom_code=True,
    connection_parameter_sets=True,
    server_assigned_names=True,
    roles=frozenset({"use", "share", "edit"}),
    consumers=FLOW,
    one_role_per_principal=True,
    adopts_under_another_name=True,
)
PP_ROLES = frozenset({"CanView", "CanViewWithShare", "CanEdit"})


@dataclass(frozen=True)
class PowerPlatformPlacement:
    """Logical connector ids (stable before the server names a connector) and permissions as grant roles."""

    environment_id: str = PP_ENV

    @property
    def identity(self) -> TargetId:
        return TargetId(kind="powerplatform", fields=(("environmentId", self.environment_id),))

    @property
    def capabilities(self) -> Capabilities:
        return PP_CAPABILITIES

    def scope_id(self) -> str:
        return f"/providers/Microsoft.PowerApps/environments/{self.environment_id}"

    def connector_id(self, name: str) -> str:
        return f"{self.scope_id()}/customConnectors/{name}"

    def render_connector(self, connector: ResolvedConnector, *, commit: str | None) -> DesiredCustomApi:
        return render_custom_api(connector, location="", commit=commit)

    def role_id(self, role_definition: str) -> str:
        assert role_definition in PP_ROLES, role_definition
        return role_definition


@dataclass
class InMemoryPowerPlatform:
    """A Power Platform environment in memory, behind the Target protocol as the contract maps it
    (PP_CONTRACT.md): the server names connectors (apiName), permissions become grants (Owner left out),
    connections point at the logical connector id, flows carry `connectorIds`.

    Permissions, connections and flows are stored in the wire shapes the Power Apps and Flow APIs return,
    so tests seed them exactly as a maker or the portal would leave them.
    """

    placement: PowerPlatformPlacement = field(default_factory=PowerPlatformPlacement)
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)  # metadata.name -> engine envelope
    api_names: dict[str, str] = field(default_factory=dict)  # metadata.name -> server-assigned apiName
    swaggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    permissions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # apiName -> principal -> wire
    connections: list[dict[str, Any]] = field(default_factory=list)  # wire shape
    flows: list[dict[str, Any]] = field(default_factory=list)  # wire shape
    modify_permissions: list[dict[str, Any]] = field(default_factory=list)  # every modifyPermissions body sent
    requests: RequestCounter = field(default_factory=RequestCounter)
    _changed: Counter[str] = field(default_factory=Counter)

    # the Target protocol ------------------------------------------------------------------------
    @property
    def identity(self) -> TargetId:
        return self.placement.identity

    @property
    def capabilities(self) -> Capabilities:
        return PP_CAPABILITIES

    def scope_id(self) -> str:
        return self.placement.scope_id()

    def connector_id(self, name: str) -> str:
        return self.placement.connector_id(name)

    def render_connector(self, connector: ResolvedConnector, *, commit: str | None) -> DesiredCustomApi:
        return self.placement.render_connector(connector, commit=commit)

    def role_id(self, role_definition: str) -> str:
        return self.placement.role_id(role_definition)

    def list_connectors(self) -> list[dict[str, Any]]:
        self._count("GET", "apis")
        return [self._with_aliases(name, copy.deepcopy(c)) for name, c in self.connectors.items()]

    def _with_aliases(self, name: str, envelope: dict[str, Any]) -> dict[str, Any]:
        api_name = self.api_names.get(name, name)
        return {**envelope, ALIASES: [api_name]} if api_name != name else envelope

    def list_grants(self) -> list[dict[str, Any]]:
        grants = []
        for name, api_name in sorted(self.api_names.items()):
            self._count("GET", "permissions")
            for principal, wire in sorted(self.permissions.get(api_name, {}).items()):
                props = wire["properties"]
                if props["roleName"] == "Owner":
                    continue  # the creator's: the contract leaves it out
                grants.append({"id": wire["id"], "name": principal, "properties": {
                    "scope": self.connector_id(name), "principalId": principal,
                    "principalType": props["principal"]["type"], "roleDefinitionId": props["roleName"]}})  # fmt: skip
        return grants

    def list_connections(self) -> list[dict[str, Any]]:
        self._count("GET", "connections")
        views = (self._connection_view(c) for c in self.connections)
        return [v for v in views if v is not None]

    def list_consumers(self) -> list[dict[str, Any]]:
        self._count("GET", "flows")
        logical = {f"{PP_APIS}/{api}".lower(): self.connector_id(name) for name, api in self.api_names.items()}
        views = []
        for flow in self.flows:
            view = copy.deepcopy(flow)
            refs = view["properties"].get("connectionReferences") or {}
            ids = {logical[r["id"].lower()] for r in refs.values() if r.get("id", "").lower() in logical}
            view["properties"]["connectorIds"] = sorted(ids)
            views.append(view)
        return views

    def get_connector(self, name: str) -> dict[str, Any] | None:
        self._count("GET", "apis")
        found = self.connectors.get(name)
        return copy.deepcopy(found) if found is not None else None

    def download_definition(self, connector: dict[str, Any]) -> dict[str, Any] | None:
        self._count("GET", "swagger")
        return copy.deepcopy(self.swaggers.get(str(connector["name"])))

    def connections_of(self, connector_id: str) -> list[dict[str, Any]]:
        wanted = connector_id.rstrip("/").lower()
        return [c for c in self.list_connections() if connection_api_id(c).rstrip("/").lower() == wanted]

    def create_connector(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self._count("POST", "apis")
        if name in self.connectors:
            raise GatewayError("a connector of that name exists", status=412, arm_code="PreconditionFailed")
        api_name = f"shared_{name}-{len(self.api_names) + 1:016x}"
        self.api_names[name] = api_name
        self.permissions[api_name] = {PP_CREATOR: self._permission(api_name, PP_CREATOR, "User", "Owner")}
        return self._store(name, body)

    def update_connector(
        self, name: str, body: dict[str, Any], *, etag: str | None, listed_as: str | None = None
    ) -> dict[str, Any]:
        self._count("PATCH", "apis")
        self._rename(listed_as, name)
        current = self.connectors.get(name)
        if current is None or (etag is not None and current["etag"] != etag):
            raise GatewayError("precondition failed", status=412, arm_code="PreconditionFailed")
        return self._store(name, body)

    def write_markers(self, name: str, markers: dict[str, str], *, listed_as: str | None = None) -> dict[str, Any]:
        self._count("PATCH", "apis")
        self._rename(listed_as, name)
        current = self.connectors[name]
        return self._store(name, {"tags": markers, "properties": {**current["properties"],
                                                                   "swagger": self.swaggers[name]}})  # fmt: skip

    def delete_connector(self, name: str) -> bool:
        self._count("DELETE", "apis")
        if self.connectors.pop(name, None) is None:
            return False
        api_name = self.api_names.pop(name)
        self.permissions.pop(api_name, None)
        # the service deletes its connections; flows keep dangling references
        self.connections = [c for c in self.connections if c["properties"]["apiId"] != f"{PP_APIS}/{api_name}"]
        return True

    def grant(self, connector: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        props = body["properties"]
        principal = {"id": props["principalId"], "type": props["principalType"]}
        put = {"properties": {"roleName": props["roleDefinitionId"], "capabilities": [],
                              "NotifyShareTargetOption": "Notify", "principal": principal}}  # fmt: skip
        self._modify(self.api_names[connector], {"put": [put], "delete": []})
        return self.permissions[self.api_names[connector]][props["principalId"]]

    def revoke(self, grant_id: str) -> bool:
        api_name = grant_id.split(f"{PP_APIS}/", 1)[1].split("/", 1)[0]
        existed = grant_id.rsplit("/", 1)[-1] in self.permissions.get(api_name, {})
        self._modify(api_name, {"put": [], "delete": [{"id": grant_id}]})
        return existed

    # the wire side -------------------------------------------------------------------------------
    def _rename(self, listed_as: str | None, name: str) -> None:
        """Adopting `listed_as` under `name`: the record now names it (its apiName, connections, flows stay)."""
        if not listed_as or listed_as == name:
            return
        if tags.is_managed(self.connectors.get(listed_as, {}).get("tags")):
            raise GatewayError(f"{listed_as!r} is managed", status=412, arm_code="PreconditionFailed")
        connector = self.connectors.pop(listed_as)
        self.connectors[name] = {**connector, "name": name, "id": self.connector_id(name)}
        self.api_names[name] = self.api_names.pop(listed_as)
        self.swaggers[name] = self.swaggers.pop(listed_as, {})
        self._changed[name] = self._changed.pop(listed_as, 0)

    def _count(self, verb: str, kind: str) -> None:
        self.requests.counts[(verb, kind)] += 1

    def _store(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        props = copy.deepcopy(body.get("properties") or {})
        self.swaggers[name] = props.pop("swagger", {})
        for param in (props.get("connectionParameters") or {}).values():
            (param.get("oAuthSettings") or {}).pop("clientSecret", None)  # never returned
        self._changed[name] += 1
        self.connectors[name] = {"name": name, "id": self.connector_id(name), "type": "Microsoft.PowerApps/apis",
                                 "etag": f"2026-11-29T19:00:{self._changed[name]:02d}Z",
                                 "tags": dict(body.get("tags") or {}), "properties": props}  # fmt: skip
        return copy.deepcopy(self.connectors[name])

    def _permission(self, api_name: str, principal: str, kind: str, role: str) -> dict[str, Any]:
        return {"name": principal, "id": f"{PP_APIS}/{api_name}/permissions/{principal}",
                "properties": {"roleName": role, "principal": {"id": principal, "type": kind}}}  # fmt: skip

    def _modify(self, api_name: str, body: dict[str, Any]) -> None:
        """POST apis/{apiName}/modifyPermissions, with the service's rules."""
        self._count("POST", "modifyPermissions")
        self.modify_permissions.append(copy.deepcopy(body))
        held = self.permissions.setdefault(api_name, {})
        for entry in body["put"]:
            props = entry["properties"]
            principal = props["principal"]
            if principal["type"] == "Tenant" and props["roleName"] != "CanView":
                raise GatewayError("InvalidTenantPermission", status=400, arm_code="InvalidTenantPermission")
            held[principal["id"]] = self._permission(api_name, principal["id"], principal["type"], props["roleName"])
        for entry in body["delete"]:
            principal = entry["id"].rsplit("/", 1)[-1]
            if held.get(principal, {}).get("properties", {}).get("roleName") == "Owner":
                raise AssertionError(f"the creator's Owner permission was revoked: {entry['id']}")
            held.pop(principal, None)

    def _connection_view(self, wire: dict[str, Any]) -> dict[str, Any] | None:
        api_name = wire["properties"]["apiId"].rsplit("/", 1)[-1]
        name = next((n for n, a in self.api_names.items() if a == api_name), None)
        if name is None:
            return None
        view = copy.deepcopy(wire)
        view["properties"]["api"] = {"id": self.connector_id(name)}
        return view

    # what a maker does in the portal -------------------------------------------------------------
    def portal_share(self, connector: str, principal: str, kind: str, role: str) -> None:
        api_name = self.api_names[connector]
        self.permissions[api_name][principal] = self._permission(api_name, principal, kind, role)

    def add_connection(self, name: str, connector: str, status: str = "Connected") -> str:
        api_id = f"{PP_APIS}/{self.api_names[connector]}"
        self.connections.append({"name": name, "id": f"{api_id}/connections/{name}", "properties": {
            "apiId": api_id, "displayName": name, "statuses": [{"status": status}]}})  # fmt: skip
        return f"{api_id}/connections/{name}"

    def add_flow(self, display_name: str, connector: str, connection: str, *operations: str,
                 summary: bool = True, name: str | None = None) -> dict[str, Any]:  # fmt: skip
        """A flow whose actions call `operations` through `connection`: as the list returns it (definitionSummary)
        or as GET returns it (full definition)."""
        api_id = f"{PP_APIS}/{self.api_names[connector]}"
        key = f"shared_{connector}"
        props: dict[str, Any] = {"displayName": display_name, "state": "Started", "connectionReferences": {
            key: {"connectionName": connection, "id": api_id, "apiName": self.api_names[connector]}}}  # fmt: skip
        if summary:
            props["definitionSummary"] = {"actions": [
                {"type": "OpenApiConnection", "swaggerOperationId": op, "api": {"name": self.api_names[connector],
                                                                                  "id": api_id}}
                for op in operations]}  # fmt: skip
        else:
            props["definition"] = {"triggers": {}, "actions": {"Scope": {"type": "Scope", "actions": {
                f"Call{op}": {"type": "OpenApiConnection", "inputs": {"host": {
                    "connectionName": key, "operationId": op, "apiId": api_id}, "parameters": {}}}
                for op in operations}}}}  # fmt: skip
        flow_name = name or f"{len(self.flows) + 1:08d}-0000-0000-0000-000000000000"  # the service names by GUID
        flow = {"name": flow_name, "type": "Microsoft.ProcessSimple/environments/flows",
                "id": f"/providers/Microsoft.ProcessSimple/environments/{PP_ENV}/flows/{flow_name}",
                "properties": props}  # fmt: skip
        self.flows.append(flow)
        return flow
