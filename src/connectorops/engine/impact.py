"""Who depends on a customApi: its connections and the Logic Apps that use those connections.

Connections point at the connector via properties.api.id; Consumption workflows point at
connections via properties.parameters.$connections.value[*].connectionId. ARM ids compare
case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConnectionImpact:
    name: str
    id: str
    status: str  # e.g. Connected, Error, Unknown


@dataclass(frozen=True)
class LogicAppUse:
    name: str
    id: str
    connections: tuple[str, ...]  # names of the connector's connections this workflow uses
    # (method, path) of every call its actions/triggers make through those connections; None: unknown
    calls: frozenset[tuple[str, str]] | None = None


@dataclass(frozen=True)
class Impact:
    connections: tuple[ConnectionImpact, ...] = ()
    logic_apps: tuple[LogicAppUse, ...] = ()

    @property
    def connection_count(self) -> int:
        return len(self.connections)

    @property
    def logic_app_count(self) -> int:
        return len(self.logic_apps)

    @property
    def is_empty(self) -> bool:
        return not self.connections and not self.logic_apps

    def to_dict(self) -> dict[str, Any]:
        return {
            "connectionCount": self.connection_count,
            "logicAppCount": self.logic_app_count,
            "connections": [{"name": c.name, "id": c.id, "status": c.status} for c in self.connections],
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
        return cls(
            connections=tuple(ConnectionImpact(c["name"], c["id"], c["status"]) for c in data.get("connections", [])),
            logic_apps=tuple(
                LogicAppUse(w["name"], w["id"], tuple(w.get("connections", [])), _calls_from(w.get("calls")))
                for w in data.get("logicApps", [])
            ),
        )


def _calls_from(value: Any) -> frozenset[tuple[str, str]] | None:
    if value is None:
        return None
    return frozenset((str(c).split(" ", 1)[0], str(c).split(" ", 1)[1]) for c in value if " " in str(c))


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


def workflow_connection_ids(workflow: dict[str, Any]) -> list[str]:
    """connectionId of every entry of the workflow's $connections parameter."""
    params = (workflow.get("properties") or {}).get("parameters") or {}
    conns = params.get("$connections") if isinstance(params, dict) else None
    value = conns.get("value") if isinstance(conns, dict) else None
    if not isinstance(value, dict):
        return []
    return [str(v["connectionId"]) for v in value.values() if isinstance(v, dict) and v.get("connectionId")]


def impact_of(custom_api_id: str, connections: Iterable[dict[str, Any]], workflows: Iterable[dict[str, Any]]) -> Impact:
    return ImpactIndex(connections, workflows).impact(custom_api_id)


class ImpactIndex:
    """Connections by connector and workflows by connection, built once per plan.

    Looking each connector up in the whole lists would make planning quadratic in the size of
    the resource group.
    """

    def __init__(self, connections: Iterable[dict[str, Any]], workflows: Iterable[dict[str, Any]]) -> None:
        self._connections: dict[str, list[dict[str, Any]]] = {}
        for connection in connections:
            self._connections.setdefault(_norm(connection_api_id(connection)), []).append(connection)
        self._workflows: dict[str, list[dict[str, Any]]] = {}
        for workflow in workflows:
            for connection_id in {_norm(cid) for cid in workflow_connection_ids(workflow)}:
                self._workflows.setdefault(connection_id, []).append(workflow)

    def impact(self, custom_api_id: str) -> Impact:
        mine = sorted(self._connections.get(_norm(custom_api_id), []), key=lambda c: str(c.get("name", "")))
        by_id = {_norm(str(c.get("id", ""))): str(c.get("name", "")) for c in mine}
        candidates: dict[int, dict[str, Any]] = {}
        for connection_id in by_id:
            for workflow in self._workflows.get(connection_id, []):
                candidates[id(workflow)] = workflow
        uses: list[LogicAppUse] = []
        for workflow in candidates.values():
            used = sorted({by_id[_norm(cid)] for cid in workflow_connection_ids(workflow) if _norm(cid) in by_id})
            calls = workflow_calls(workflow, set(by_id))
            uses.append(LogicAppUse(str(workflow.get("name", "")), str(workflow.get("id", "")), tuple(used), calls))
        uses.sort(key=lambda w: w.name)
        return Impact(
            connections=tuple(ConnectionImpact(str(c.get("name", "")), str(c.get("id", "")), _status(c)) for c in mine),
            logic_apps=tuple(uses),
        )
