"""Certification findings as data: which rule, where (file + JSON pointer), what to do.

Enforcement follows the CrossGuard model: mandatory findings fail plan/certify, advisory
ones are reported, disabled rules produce no findings at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from connectorops.definitions.refs import pointer_escape
from connectorops.errors import Problem, Severity

Enforcement = Literal["mandatory", "advisory", "disabled"]
ENFORCEMENTS: tuple[Enforcement, ...] = ("mandatory", "advisory", "disabled")
ROW_FIELDS = ("rule_id", "severity", "enforcement", "file", "pointer", "message", "hint", "connector")


@dataclass(frozen=True)
class Finding:
    rule_id: str  # stable; Microsoft's swagger validator code where one exists
    severity: Severity
    enforcement: Enforcement
    file: str
    pointer: str  # JSON pointer into the deployed swagger ("" = the connector as a whole)
    message: str
    hint: str
    connector: str | None = None  # set where findings of many connectors meet (the desired state, a plan)

    @property
    def blocking(self) -> bool:
        return self.enforcement == "mandatory"

    def with_enforcement(self, enforcement: Enforcement) -> Finding:
        return replace(self, enforcement=enforcement)

    def to_problem(self) -> Problem:
        # A mandatory finding blocks, so it is an error whatever the rule's own severity.
        if self.blocking:
            severity = Severity.ERROR
        else:
            severity = Severity.INFO if self.severity == Severity.INFO else Severity.WARNING
        return Problem(
            f"[{self.rule_id}] {self.message}",
            severity=severity,
            file=self.file,
            field=self.pointer or None,
            hint=self.hint,
            code=self.rule_id,
        )

    def to_dict(self) -> dict[str, str]:
        data = {
            "ruleId": self.rule_id,
            "severity": str(self.severity),
            "enforcement": self.enforcement,
            "file": self.file,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
        }
        if self.connector is not None:  # absent, not null: the verdict cache and certify reports never had it
            data["connector"] = self.connector
        return data

    # As rows, not objects, in caches: a connector has a dozen, and decoding their keys was a tenth of a hit.
    def to_row(self) -> list[Any]:
        return [getattr(self, name) for name in ROW_FIELDS]

    @classmethod
    def from_row(cls, row: Any) -> Finding:
        """The inverse of `to_row`; ValueError for anything else (a corrupt cache entry)."""
        if not isinstance(row, list) or len(row) != len(ROW_FIELDS) or row[2] not in ENFORCEMENTS:
            raise ValueError("not a finding")
        rule_id, severity, enforcement, file, pointer, message, hint, connector = row
        return cls(str(rule_id), Severity(severity), enforcement, str(file), str(pointer), str(message), str(hint),
                   None if connector is None else str(connector))  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The inverse of `to_dict` (the verdict cache stores findings as JSON)."""
        enforcement = data["enforcement"]
        if enforcement not in ENFORCEMENTS:
            raise ValueError(f"unknown enforcement {enforcement!r}")
        return cls(
            rule_id=str(data["ruleId"]),
            severity=Severity(data["severity"]),
            enforcement=enforcement,
            file=str(data["file"]),
            pointer=str(data["pointer"]),
            message=str(data["message"]),
            hint=str(data["hint"]),
            connector=None if data.get("connector") is None else str(data["connector"]),
        )


def json_pointer(*parts: str | int) -> str:
    """RFC 6901: '~' -> '~0', '/' -> '~1' (path keys such as /orders/{id} contain slashes)."""
    return "".join("/" + pointer_escape(p) for p in parts)
