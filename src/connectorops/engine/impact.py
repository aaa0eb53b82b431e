"""Who depends on a connector: its connections, and the consumers (Logic Apps or flows) that use them.

Connections point at the connector via properties.api.id. A Consumption Logic App points at connections
via properties.parameters.$connections.value[*].connectionId and calls (method, path) through them; a
Power Automate flow names them in properties.connectionReferences[key].connectionName and calls
operationIds (properties.definition actions' inputs.host, or the list's definitionSummary). Ids compare
case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LOGIC_APP = "logicApp"
FLOW = "flow"
# (singular, plural) of each consumer kind, as reports say them
NOUNS = {LOGIC_APP: ("Logic App", "Logic Apps"), FLOW: ("flow", "flows")}


@dataclass(frozen=True)
class ConnectionImpact:
    name: str
    id: str
    status: str  # e.g. Connected, Error, Unknown


@dataclass(frozen=True)
class ConsumerUse:
    """One Logic App or flow using some of a connector's connections, and what it calls through them."""

    name: str
    id: str
    connections: tuple[str, ...]  # names of the connector's connections it uses
    # Logic Apps: (method, path) of every call its actions/triggers make through those connections; None: unknown
    calls: frozenset[tuple[str, str]] | None = None
    # flows: the operationIds its actions/triggers call through those connections; None: unknown
    operations: frozenset[str] | None = None


@dataclass(frozen=True)
class Impact:
    connections: tuple[ConnectionImpact, ...] = ()
    consumers: tuple[ConsumerUse, ...] = ()
    consumer_kind: str = LOGIC_APP  # what the target's consumers are (also when there are none)

    @property
    def connection_count(self) -> int:
        return len(self.connections)

    @property
    def logic_apps(self) -> tuple[ConsumerUse, ...]:
        return self.consumers if self.consumer_kind == LOGIC_APP else ()

    @property
    def flows(self) -> tuple[ConsumerUse, ...]:
        return self.consumers if self.consumer_kind == FLOW else ()

    @property
    def logic_app_count(self) -> int:
        return len(self.logic_apps)

    @property
    def flow_count(self) -> int:
        return len(self.flows)

    @property
    def is_empty(self) -> bool:
        return not self.connections and not self.consumers

    @property
    def consumer_nouns(self) -> str:
        """'Logic Apps' or 'flows'."""
        return NOUNS[self.consumer_kind][1]

    def consumer_count(self) -> str:
        """'2 Logic App(s)' or '1 flow(s)'."""
        return f"{len(self.consumers)} {NOUNS[self.consumer_kind][0]}(s)"

    def consumer_names(self) -> str:
        """The consumers' names, comma-separated ('' when none)."""
        return ", ".join(c.name for c in self.consumers)

    def to_dict(self) -> dict[str, Any]:
        connections = [{"name": c.name, "id": c.id, "status": c.status} for c in self.connections]
        if self.consumer_kind == FLOW:
            return {
                "connectionCount": self.connection_count,
                "connections": connections,
                "consumerKind": FLOW,
                "flowCount": self.flow_count,
                "flows": [
                    {
                        "name": f.name,
                        "id": f.id,
                        "connections": list(f.connections),
                        "operations": sorted(f.operations) if f.operations is not None else None,
                    }
                    for f in self.flows
                ],
            }
        # Logic Apps: the shape plan files have always had (their fingerprints cover it)
        return {
            "connectionCount": self.connection_count,
            "logicAppCount": self.logic_app_count,
            "connections": connections,
            "logicApps": [
                {
                    "name": w.name,
                    "id": w.id,
                    "connections": list(w.connections),
                    "calls": sorted(f"{m} {p}" for m, p in w.calls) if w.calls is not None else None,
                }
                for w in self.logic_apps
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Impact:
        connections = tuple(ConnectionImpact(c["name"], c["id"], c["status"]) for c in data.get("connections", []))
        if data.get("consumerKind") == FLOW:
            flows = tuple(
                ConsumerUse(
                    f["name"],
                    f["id"],
                    tuple(f.get("connections", [])),
                    operations=frozenset(map(str, f["operations"])) if f.get("operations") is not None else None,
                )
                for f in data.get("flows", [])
            )
            return cls(connections, flows, FLOW)
        return cls(
            connections=connections,
            consumers=tuple(
                ConsumerUse(w["name"], w["id"], tuple(w.get("connections", [])), _calls_from(w.get("calls")))
                for w in data.get("logicApps", [])
            ),
        )


def _calls_from(value: Any) -> frozenset[tuple[str, str]] | None:
    if value is None:
        return None
    return frozenset((str(c).split(" ", 1)[0], str(c).split(" ", 1)[1]) for c in value if " " in str(c))


# --- Logic Apps ------------------------------------------------------------------------------


def _connection_keys(workflow: dict[str, Any], connection_ids: set[str]) -> set[str]:
    """$connections keys of the workflow that point at one of `connection_ids`."""
    params = (workflow.get("properties") or {}).get("parameters") or {}
    value = (params.get("$connections") or {}).get("value") if isinstance(params, dict) else None
    if not isinstance(value, dict):
        return set()
    return {
        str(key)
        for key, entry in value.items()
        if isinstance(entry, dict) and _norm(str(entry.get("connectionId", ""))) in connection_ids
    }


def _walk_calls(node: Any, keys: set[str], found: set[tuple[str, str]], depth: int = 0) -> None:
    if depth > 40:
        return
    if isinstance(node, dict):
        inputs = node.get("inputs")
        if isinstance(inputs, dict) and isinstance(inputs.get("host"), dict):
            connection = (inputs["host"].get("connection") or {}).get("name")
            if isinstance(connection, str) and any(f"['{key}']" in connection for key in keys):
                found.add((str(inputs.get("method", "get")).lower(), str(inputs.get("path", ""))))
        for child in node.values():
            _walk_calls(child, keys, found, depth + 1)
    elif isinstance(node, list):
        for child in node:
            _walk_calls(child, keys, found, depth + 1)


def workflow_calls(workflow: dict[str, Any], connection_ids: set[str]) -> frozenset[tuple[str, str]] | None:
    """The (method, path) calls a workflow makes through the given connections; None without a definition."""
    definition = (workflow.get("properties") or {}).get("definition")
    if not isinstance(definition, dict):
        return None
    found: set[tuple[str, str]] = set()
    keys = _connection_keys(workflow, connection_ids)
    _walk_calls({"triggers": definition.get("triggers"), "actions": definition.get("actions")}, keys, found)
    return frozenset(found)


def workflow_connection_ids(workflow: dict[str, Any]) -> list[str]:
    """connectionId of every entry of the workflow's $connections parameter."""
    params = (workflow.get("properties") or {}).get("parameters") or {}
    conns = params.get("$connections") if isinstance(params, dict) else None
    value = conns.get("value") if isinstance(conns, dict) else None
    if not isinstance(value, dict):
        return []
    return [str(v["connectionId"]) for v in value.values() if isinstance(v, dict) and v.get("connectionId")]


# --- flows -----------------------------------------------------------------------------------


def flow_references(flow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The flow's connectionReferences (key -> {connectionName, id, apiName?}) that name a connection."""
    refs = (flow.get("properties") or {}).get("connectionReferences")
    if not isinstance(refs, dict):
        return {}
    return {str(k): v for k, v in refs.items() if isinstance(v, dict) and v.get("connectionName")}


def _flow_connector_ids(flow: dict[str, Any]) -> set[str] | None:
    """The logical ids of the connectors the flow references (the target's `connectorIds`); None: not given."""
    ids = (flow.get("properties") or {}).get("connectorIds")
    return {_norm(str(i)) for i in ids} if isinstance(ids, list) else None


def _api_keys(ref: dict[str, Any]) -> set[str]:
    """How a flow's actions may name the api of one reference: its id and its apiName (lower case)."""
    api_id = _norm(str(ref.get("id") or ""))
    keys = {api_id, api_id.rsplit("/", 1)[-1]} if api_id else set()
    if ref.get("apiName"):
        keys.add(str(ref["apiName"]).lower())
    return keys - {""}


def _walk_operations(node: Any, keys: set[str], found: set[str], depth: int = 0) -> None:
    if depth > 40:
        return
    if isinstance(node, dict):
        inputs = node.get("inputs")
        host = inputs.get("host") if isinstance(inputs, dict) else None
        if isinstance(host, dict) and str(host.get("connectionName", "")) in keys and host.get("operationId"):
            found.add(str(host["operationId"]))
        for child in node.values():
            _walk_operations(child, keys, found, depth + 1)
    elif isinstance(node, list):
        for child in node:
            _walk_operations(child, keys, found, depth + 1)


def flow_operations(flow: dict[str, Any], keys: set[str]) -> frozenset[str] | None:
    """The operationIds a flow calls through the connection references `keys`.

    From the full definition (inputs.host.connectionName/operationId) when the flow has one, else from the
    list's definitionSummary (actions by swaggerOperationId and api); None when neither is there.
    """
    props = flow.get("properties") or {}
    definition = props.get("definition")
    found: set[str] = set()
    if isinstance(definition, dict):
        _walk_operations({"triggers": definition.get("triggers"), "actions": definition.get("actions")}, keys, found)
        return frozenset(found)
    summary = props.get("definitionSummary")
    if not isinstance(summary, dict):
        return None
    refs = flow_references(flow)
    apis = set().union(*(_api_keys(refs[k]) for k in keys if k in refs))
    for entry in [*(summary.get("triggers") or []), *(summary.get("actions") or [])]:
        if not isinstance(entry, dict) or not entry.get("swaggerOperationId"):
            continue
        api = entry["api"] if isinstance(entry.get("api"), dict) else {}
        named = {_norm(str(api.get("id") or "")), str(api.get("name") or "").lower()} - {""}
        if named & apis:
            found.add(str(entry["swaggerOperationId"]))
    return frozenset(found)


def _references(ref: dict[str, Any], ours: dict[str, list[tuple[str, str | None]]]) -> bool:
    """Whether a flow's connection reference names one of our connections: by name, and by api where both
    the reference and the connection's id say which api (connection names are unique per api only)."""
    candidates = ours.get(str(ref["connectionName"]).lower(), [])
    ref_api = _norm(str(ref.get("id") or ""))
    return any(api is None or not ref_api or api == ref_api for _, api in candidates)


# --- the index -------------------------------------------------------------------------------


def _norm(resource_id: str) -> str:
    return resource_id.strip().rstrip("/").lower()


def _status(connection: dict[str, Any]) -> str:
    statuses = (connection.get("properties") or {}).get("statuses") or []
    for entry in statuses:
        if isinstance(entry, dict) and entry.get("status"):
            return str(entry["status"])
    return "Unknown"


def connection_api_id(connection: dict[str, Any]) -> str:
    api = (connection.get("properties") or {}).get("api") or {}
    return str(api.get("id") or "") if isinstance(api, dict) else ""


def impact_of(
    connector_id: str,
    connections: Iterable[dict[str, Any]],
    consumers: Iterable[dict[str, Any]],
    *,
    consumer_kind: str = LOGIC_APP,
) -> Impact:
    return ImpactIndex(connections, consumers, consumer_kind=consumer_kind).impact(connector_id)


class ImpactIndex:
    """Connections by connector and consumers by connection, built once per plan.

    Looking each connector up in the whole lists would make planning quadratic in the size of
    the target. Logic Apps are found by connection id, flows by connection name.
    """

    def __init__(
        self,
        connections: Iterable[dict[str, Any]],
        consumers: Iterable[dict[str, Any]],
        *,
        consumer_kind: str = LOGIC_APP,
    ) -> None:
        self.consumer_kind = consumer_kind
        self._connections: dict[str, list[dict[str, Any]]] = {}
        for connection in connections:
            self._connections.setdefault(_norm(connection_api_id(connection)), []).append(connection)
        # Logic Apps by connection id; flows by connection name (their references carry no connection id)
        self._consumers: dict[str, list[dict[str, Any]]] = {}
        for consumer in consumers:
            if consumer_kind == FLOW:
                keys = {str(r["connectionName"]).lower() for r in flow_references(consumer).values()}
            else:
                keys = {_norm(cid) for cid in workflow_connection_ids(consumer)}
            for key in keys:
                self._consumers.setdefault(key, []).append(consumer)

    def impact(self, connector_id: str) -> Impact:
        mine = sorted(self._connections.get(_norm(connector_id), []), key=lambda c: str(c.get("name", "")))
        connections = tuple(ConnectionImpact(str(c.get("name", "")), str(c.get("id", "")), _status(c)) for c in mine)
        if self.consumer_kind == FLOW:
            uses = self._flows(connector_id, mine)
        else:
            uses = self._logic_apps({_norm(str(c.get("id", ""))): str(c.get("name", "")) for c in mine})
        uses.sort(key=lambda w: w.name)
        return Impact(connections=connections, consumers=tuple(uses), consumer_kind=self.consumer_kind)

    def _candidates(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for key in keys:
            for consumer in self._consumers.get(key, []):
                found[id(consumer)] = consumer
        return list(found.values())

    def _logic_apps(self, by_id: dict[str, str]) -> list[ConsumerUse]:
        uses = []
        for workflow in self._candidates(by_id):
            used = sorted({by_id[_norm(cid)] for cid in workflow_connection_ids(workflow) if _norm(cid) in by_id})
            calls = workflow_calls(workflow, set(by_id))
            uses.append(ConsumerUse(str(workflow.get("name", "")), str(workflow.get("id", "")), tuple(used), calls))
        return uses

    def _flows(self, connector_id: str, mine: list[dict[str, Any]]) -> list[ConsumerUse]:
        # connection name (lower case) -> (its name, the api path of its id when the id has one)
        ours: dict[str, list[tuple[str, str | None]]] = {}
        for connection in mine:
            name, connection_id = str(connection.get("name", "")), _norm(str(connection.get("id", "")))
            api = connection_id.split("/connections/", 1)[0] if "/connections/" in connection_id else None
            ours.setdefault(name.lower(), []).append((name, api))
        uses = []
        for flow in self._candidates(ours):
            referenced = _flow_connector_ids(flow)
            if referenced is not None and _norm(connector_id) not in referenced:
                continue  # a same-name connection of another connector
            refs = {k: r for k, r in flow_references(flow).items() if _references(r, ours)}
            if not refs:
                continue
            used = sorted({ours[str(r["connectionName"]).lower()][0][0] for r in refs.values()})
            operations = flow_operations(flow, set(refs))
            # A flow's name is a GUID; people know it by its display name.
            name = str((flow.get("properties") or {}).get("displayName") or flow.get("name", ""))
            uses.append(ConsumerUse(name, str(flow.get("id", "")), tuple(used), operations=operations))
        return uses
