"""One drift item: what differs between git and the target for one resource, in the class people act on.

Its own module so each resource kind (engine/kinds/) can make its items without importing drift's report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectorops.engine.diff import FieldChange

DRIFT = "drift"
INFO = "info"


@dataclass(frozen=True)
class DriftItem:
    kind: str  # modified | deleted | pending | undeclared | unmanaged | extra-role-assignment | ...
    connector: str
    resource_id: str
    detail: str
    severity: str = DRIFT  # drift (counts for the exit code) | info
    changes: tuple[FieldChange, ...] = ()
    principal: str | None = None
    role: str | None = None
    since: str | None = None
    commit: str | None = None  # the git commit the live resource was applied from (its tag)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "connector": self.connector,
            "resourceId": self.resource_id,
            "detail": self.detail,
            "changes": [c.to_dict() for c in self.changes],
            "principal": self.principal,
            "role": self.role,
            "since": self.since,
            "commit": self.commit,
        }
