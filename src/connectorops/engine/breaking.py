"""Breaking changes between the deployed swagger and the new one, for callers of the connector.

Logic Apps and flows built on a connector keep working only if every operation, parameter and response field
they use still exists with the same meaning; auth changes force every connection to re-authorize.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from connectorops.definitions.operations import HTTP_METHODS
from connectorops.definitions.refs import follow_local_ref
from connectorops.engine.impact import FLOW, ConsumerUse, Impact

HIGH = "high"
MEDIUM = "medium"
MAX_SCHEMA_DEPTH = 8


@dataclass(frozen=True)
class BreakingChange:
    kind: str  # operation-removed, required-parameter-added, parameter-removed, parameter-type-changed, ...
    severity: str  # high | medium
    message: str
    operations: tuple[str, ...] = ()  # operationIds (or "METHOD /path") affected
    logic_apps: tuple[str, ...] = ()  # Logic Apps calling the affected operations (via the connector's connections)
    endpoints: tuple[str, ...] = ()  # "get /orders/{id}" of the affected operations; empty = the whole connector
    flows: tuple[str, ...] = ()  # flows whose actions call the affected operations (Power Platform)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "operations": list(self.operations),
            "logicApps": list(self.logic_apps),
            "endpoints": list(self.endpoints),
        }
        if self.flows:  # only then: plan files saved before flows keep their fingerprints
            data["flows"] = list(self.flows)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BreakingChange:
        return cls(
            kind=data["kind"],
            severity=data["severity"],
            message=data["message"],
            operations=tuple(data.get("operations", [])),
            logic_apps=tuple(data.get("logicApps", [])),
            endpoints=tuple(data.get("endpoints", [])),
            flows=tuple(data.get("flows", [])),
        )


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follow one local $ref (#/parameters/x, #/definitions/y); unknown refs stay as they are."""
    for _ in range(16):  # a chain of refs, but never a cycle forever
        target = follow_local_ref(doc, node)
        if target is node:
            return node
        node = target
    return node


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    ops: dict[tuple[str, str], dict[str, Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                ops[(method, str(path))] = {**op, "_shared": shared}
    return ops


def _label(method: str, path: str, op: dict[str, Any]) -> str:
    return str(op.get("operationId") or f"{method.upper()} {path}")


def _parameters(doc: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in list(op.get("_shared") or []) + list(op.get("parameters") or []):
        param = _resolve(doc, raw)
        if isinstance(param, dict) and param.get("name"):
            params[(str(param["name"]), str(param.get("in", "")))] = param
    return params


def _param_type(doc: dict[str, Any], param: dict[str, Any]) -> str:
    if param.get("in") == "body":
        schema = _resolve(doc, param.get("schema") or {})
        return str(schema.get("type") or ("object" if schema.get("properties") else "")) if schema else ""
    return str(param.get("type") or "")


def _enum(doc: dict[str, Any], param: dict[str, Any]) -> list[Any] | None:
    values = param.get("enum")
    return list(values) if isinstance(values, list) else None


def _schema_properties(
    doc: dict[str, Any], schema: Any, prefix: str, depth: int, seen: frozenset[str]
) -> Iterator[str]:
    """Dotted property paths of a response schema (arrays as `[]`), cycle- and depth-bounded."""
    if depth > MAX_SCHEMA_DEPTH or not isinstance(schema, dict):
        return
    ref = schema.get("$ref") if isinstance(schema.get("$ref"), str) else None
    if ref in seen:
        return
    resolved = _resolve(doc, schema)
    if not isinstance(resolved, dict):
        return
    next_seen = seen | {ref} if ref else seen
    if resolved.get("type") == "array" or "items" in resolved:
        yield from _schema_properties(doc, resolved.get("items"), f"{prefix}[]", depth + 1, next_seen)
        return
    for name, sub in (resolved.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else str(name)
        yield path
        yield from _schema_properties(doc, sub, path, depth + 1, next_seen)


def _response_properties(doc: dict[str, Any], op: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for code, response in (op.get("responses") or {}).items():
        if str(code) not in ("200", "201"):
            continue
        resolved = _resolve(doc, response)
        if isinstance(resolved, dict) and resolved.get("schema") is not None:
            found.update(_schema_properties(doc, resolved["schema"], "", 0, frozenset()))
    return found


def _operation_changes(
    old: dict[str, Any], new: dict[str, Any], label: str, old_op: dict[str, Any], new_op: dict[str, Any]
) -> Iterator[BreakingChange]:
    old_params = _parameters(old, old_op)
    new_params = _parameters(new, new_op)
    for key, param in sorted(new_params.items()):
        name, where = key
        before = old_params.get(key)
        if param.get("required") and (before is None or not before.get("required")):
            what = "added" if before is None else "became required"
            yield BreakingChange(
                "required-parameter-added", HIGH, f"{label}: required {where} parameter `{name}` {what}", (label,)
            )
    for key, param in sorted(old_params.items()):
        name, where = key
        after = new_params.get(key)
        if after is None:
            yield BreakingChange("parameter-removed", MEDIUM, f"{label}: {where} parameter `{name}` removed", (label,))
            continue
        old_type, new_type = _param_type(old, param), _param_type(new, after)
        if old_type and new_type and old_type != new_type:
            yield BreakingChange(
                "parameter-type-changed",
                HIGH,
                f"{label}: {where} parameter `{name}` type changed from {old_type} to {new_type}",
                (label,),
            )
        old_enum, new_enum = _enum(old, param), _enum(new, after)
        if old_enum is not None:
            lost = [v for v in old_enum if new_enum is not None and v not in new_enum]
            if lost:
                shown = ", ".join(repr(v) for v in lost[:5])
                yield BreakingChange(
                    "enum-narrowed", MEDIUM, f"{label}: parameter `{name}` no longer accepts {shown}", (label,)
                )
    removed = sorted(_response_properties(old, old_op) - _response_properties(new, new_op))
    # Report the outermost removed property once, not each of its children.
    tops = [p for p in removed if not any(p.startswith(q + ".") or p.startswith(q + "[]") for q in removed if q != p)]
    for prop in tops:
        yield BreakingChange(
            "response-property-removed", MEDIUM, f"{label}: response property `{prop}` removed", (label,)
        )


def _auth_signature(swagger: dict[str, Any], connection_parameters: dict[str, Any]) -> tuple[str, str]:
    kind = "none"
    defs = swagger.get("securityDefinitions") or {}
    if isinstance(defs, dict) and defs:
        first = next(iter(defs.values()))
        if isinstance(first, dict):
            kind = str(first.get("type", "none"))
    provider = ""
    for param in (connection_parameters or {}).values():
        settings = param.get("oAuthSettings") if isinstance(param, dict) else None
        if isinstance(settings, dict) and settings.get("identityProvider"):
            provider = str(settings["identityProvider"])
            break
    return kind, provider


def breaking_changes(
    old_swagger: dict[str, Any],
    new_swagger: dict[str, Any],
    *,
    old_connection_parameters: dict[str, Any] | None = None,
    new_connection_parameters: dict[str, Any] | None = None,
    impact: Impact | None = None,
) -> tuple[BreakingChange, ...]:
    """Every change that can break an existing caller, each naming operations and the Logic Apps or flows.

    `impact`: who uses the connector; an operation-level change names only the consumers calling that
    operation (Logic Apps by method and path, flows by operationId; unknown calls: named to be safe).
    """
    found: list[BreakingChange] = []
    old_ops, new_ops = _operations(old_swagger), _operations(new_swagger)
    new_ids = {str(op.get("operationId")): key for key, op in new_ops.items() if op.get("operationId")}
    for key, op in sorted(old_ops.items()):
        label = _label(key[0], key[1], op)
        counterpart = new_ops.get(key)
        if counterpart is None and op.get("operationId") in new_ids:
            counterpart = new_ops[new_ids[str(op["operationId"])]]  # same operation, moved path
        endpoint = (f"{key[0]} {key[1]}",)
        if counterpart is None:
            message = f"operation `{label}` ({key[0].upper()} {key[1]}) removed"
            found.append(BreakingChange("operation-removed", HIGH, message, (label,), endpoints=endpoint))
            continue
        found.extend(
            replace(change, endpoints=endpoint)
            for change in _operation_changes(old_swagger, new_swagger, label, op, counterpart)
        )
    old_auth = _auth_signature(old_swagger, old_connection_parameters or {})
    new_auth = _auth_signature(new_swagger, new_connection_parameters or {})
    if old_auth[0] != new_auth[0]:
        found.append(
            BreakingChange(
                "auth-type-changed",
                HIGH,
                f"auth type changed from {old_auth[0]} to {new_auth[0]}: "
                "every connection must be re-created or re-authorized",
            )
        )
    elif old_auth[1] != new_auth[1] and (old_auth[1] or new_auth[1]):
        found.append(
            BreakingChange(
                "identity-provider-changed",
                HIGH,
                f"identity provider changed from {old_auth[1] or 'none'} to "
                f"{new_auth[1] or 'none'}: every connection must be re-authorized",
            )
        )
    if impact is None or not impact.consumers:
        return tuple(found)
    if impact.consumer_kind == FLOW:
        return tuple(replace(c, flows=_affected(c, impact.consumers)) for c in found)
    return tuple(replace(c, logic_apps=_affected(c, impact.consumers)) for c in found)


def _template_matches(template: str, path: str) -> bool:
    """`/orders/{id}` matches `/orders/@{triggerBody()['id']}` and `/orders/42`."""
    want = template.strip("/").split("/")
    have = path.split("?", 1)[0].strip("/").split("/")
    dynamic = next((i for i, part in enumerate(have) if "@" in part), None)
    if dynamic is not None:
        # A workflow expression may itself contain '/': compare only the literal segments before it.
        have, want = have[:dynamic], want[:dynamic]
        if len(want) < dynamic:
            return False
    elif len(want) != len(have):
        return False
    return all(w == h or (w.startswith("{") and w.endswith("}")) for w, h in zip(want, have, strict=True))


def _calls(change: BreakingChange, use: ConsumerUse) -> bool:
    """Whether `use` may call what `change` affects (a connector-wide change affects every consumer)."""
    if not change.endpoints:
        return True
    if use.operations is not None:  # flows call operations by operationId
        return any(op in use.operations for op in change.operations)
    if use.calls is None:
        return True  # cannot tell which operations it calls: assume it may call this one
    for endpoint in change.endpoints:
        method, template = endpoint.split(" ", 1)
        if any(m == method and _template_matches(template, p) for m, p in use.calls):
            return True
    return False


def _affected(change: BreakingChange, consumers: tuple[ConsumerUse, ...]) -> tuple[str, ...]:
    return tuple(sorted({use.name for use in consumers if _calls(change, use)}))
