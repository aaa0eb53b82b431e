"""Drift: how the deployed resources differ from git, sorted into the classes people act on.

Each resource kind turns the plan's classification into its items (engine/kinds/): for connectors
modified out of band (with the fields), deleted out of band, pending (git changed since the last
apply), undeclared (managed but no longer in git), unmanaged (reported, never touched); for grants
extra grants on managed connectors, missing grants, inherited grants (information only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectorops.engine.classify import classify_connectors
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift_items import DRIFT, INFO, DriftItem
from connectorops.engine.kinds import KINDS
from connectorops.engine.observe import ObservedState
from connectorops.engine.target import ARM, TargetId
from connectorops.errors import Problem, Severity

if TYPE_CHECKING:
    from connectorops.engine.target import Target

__all__ = ["DRIFT", "INFO", "DriftItem", "DriftReport", "detect_drift"]


@dataclass(frozen=True)
class DriftReport:
    environment: str
    items: tuple[DriftItem, ...] = ()
    problems: tuple[Problem, ...] = ()
    commit: str | None = None
    target: TargetId = field(default_factory=lambda: TargetId(ARM))
    # `drift --fix`: the drift found and corrected in this run (items then holds what is left).
    fixed: tuple[DriftItem, ...] = ()

    @property
    def drift(self) -> list[DriftItem]:
        return [i for i in self.items if i.severity == DRIFT]

    @property
    def info(self) -> list[DriftItem]:
        return [i for i in self.items if i.severity == INFO]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 1
        return 2 if self.drift else 0

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for item in self.items:
            result[item.kind] = result.get(item.kind, 0) + 1
        return dict(sorted(result.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": 1,
            "environment": self.environment,
            "target": dict(sorted(self.target.to_dict().items())),
            "commit": self.commit,
            "summary": {
                "drift": len(self.drift),
                "info": len(self.info),
                "byKind": self.counts(),
                "fixed": len(self.fixed),
            },
            "items": [i.to_dict() for i in self.items],
            "fixed": [i.to_dict() for i in self.fixed],
            "problems": [p.to_dict() for p in self.problems],
            "exitCode": self.exit_code,
        }


def detect_drift(
    desired: DesiredState,
    observed: ObservedState,
    source: Target | None = None,
) -> DriftReport:
    """Drift as a view over the plan's classification (engine/classify.py) of desired against observed.

    Pure: what it compares was fetched by `observe(drift=True)`; `source` only names the report's target.
    """
    classes = classify_connectors(desired, observed)
    target = source.identity if source is not None else TargetId(ARM)
    items = [item for kind in KINDS.values() for item in kind.drift(desired, observed, classes)]
    items.sort(key=lambda i: (i.severity != DRIFT, i.connector.lower(), i.kind))
    return DriftReport(
        environment=desired.environment,
        items=tuple(items),
        problems=desired.problems,
        commit=desired.commit,
        target=target,
    )
