"""What a certification rule looks at, what it returns, and walkers over the swagger.

Rules are pure functions of a `CertificationSubject` (swagger dict, connector texts, icon
bytes, connection parameters) so the CLI, the engine and the CrossGuard pack share them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from connectorops.definitions.operations import HTTP_METHODS
from connectorops.definitions.refs import follow_local_ref
from connectorops.errors import Severity
from connectorops.policy.certification.findings import Enforcement, json_pointer


@dataclass(frozen=True)
class CertificationSubject:
    swagger: dict[str, Any]
    display_name: str | None
    description: str | None
    brand_color: str | None
    icon_png: bytes | None
    connection_parameters: dict[str, Any] | None

    @property
    def title(self) -> str | None:
        info = self.swagger.get("info")
        fallback = info.get("title") if isinstance(info, dict) else None
        value = self.display_name if self.display_name is not None else fallback
        return value if isinstance(value, str) else None

    @property
    def info_description(self) -> str | None:
        info = self.swagger.get("info")
        fallback = info.get("description") if isinstance(info, dict) else None
        value = self.description if self.description is not None else fallback
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Hit:
    """One breach found by a rule: where and what; the rule adds id, severity and hint."""

    pointer: str
    message: str
    hint: str | None = None  # overrides the rule's generic hint when more specific


Check = Callable[[CertificationSubject], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str  # one line, for docs and `certify` output
    hint: str
    check: Check

    @property
    def default_enforcement(self) -> Enforcement:
        return "mandatory" if self.severity == Severity.ERROR else "advisory"


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    body: dict[str, Any]

    @property
    def pointer(self) -> str:
        return json_pointer("paths", self.path, self.method)

    @property
    def label(self) -> str:
        operation_id = self.body.get("operationId")
        return f"operation {operation_id!r}" if operation_id else f"{self.method.upper()} {self.path}"


def operations(swagger: dict[str, Any]) -> Iterator[Operation]:
    paths = swagger.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method, body in item.items():
            if method.lower() in HTTP_METHODS and isinstance(body, dict):
                yield Operation(str(path), method, body)


def resolve_local(swagger: dict[str, Any], node: Any) -> Any:
    """Follow one local `$ref` ("#/parameters/x"); anything else is returned as it is."""
    return follow_local_ref(swagger, node)


@dataclass(frozen=True)
class Parameter:
    operation: Operation
    pointer: str
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.body.get("name", "?"))


def parameters(swagger: dict[str, Any], operation: Operation) -> Iterator[Parameter]:
    """The operation's parameters plus its path item's shared ones, $refs resolved."""
    path_item = (swagger.get("paths") or {}).get(operation.path) or {}
    shared = path_item.get("parameters") if isinstance(path_item, dict) else None
    seen: set[tuple[str, str]] = set()
    own = operation.body.get("parameters")
    for base, items in ((operation.pointer, own), (json_pointer("paths", operation.path), shared)):
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            body = resolve_local(swagger, item)
            if not isinstance(body, dict):
                continue
            key = (str(body.get("name")), str(body.get("in")))
            if key in seen:
                continue  # an operation-level parameter overrides the path-level one
            seen.add(key)
            pointer = base + json_pointer("parameters", index)
            yield Parameter(operation, pointer, body)
