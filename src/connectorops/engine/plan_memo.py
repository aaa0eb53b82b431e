"""The last plan and drift report of a long-running caller, reused while their inputs are provably the same.

make_plan and detect_drift are pure functions of (desired, observed, options, target, deletion policies).
The controller keeps one desired state per commit, so an idle interval repeats them with the same desired
object and, unless something changed in the target, an observation whose JSON text is identical: the
result is then the one computed last time (createdAt aside). Anything edited in the portal changes the
listed resources (their etag at least), so drift is never hidden. A plan that read a deletion policy from
git is not kept: git may learn a commit it did not have (a fetch), and that policy could change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from connectorops.engine.deletion_policy import DeletionPolicy, DeletionPolicySource
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift import DriftReport, detect_drift
from connectorops.engine.observe import ObservedState
from connectorops.engine.plan import Plan, PlanOptions, make_plan, plan_timestamp
from connectorops.engine.target import TargetId

if TYPE_CHECKING:
    from connectorops.engine.target import Target


def observed_text(observed: ObservedState) -> str | None:
    """The observation as exact JSON text (types and order kept); None when it is not plain JSON."""
    parts = [observed.scope_id, observed.custom_apis, observed.connections, observed.role_assignments,
             observed.workflows, observed.swaggers, observed.swagger_texts]  # fmt: skip
    try:
        return json.dumps(parts, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return None


class _Consulted:
    """A DeletionPolicySource that notes whether it was asked."""

    def __init__(self, inner: DeletionPolicySource) -> None:
        self.inner = inner
        self.asked = False

    def __call__(self, *, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
        self.asked = True
        return self.inner(name=name, source_path=source_path, commit=commit, environment=environment)


@dataclass
class _Entry:
    desired: DesiredState
    options: PlanOptions
    target: TargetId
    observed: str
    plan: Plan
    drift: DriftReport | None = None


class PlanMemo:
    """One entry: the inputs and results of the last plan (and its drift report)."""

    def __init__(self) -> None:
        self._entry: _Entry | None = None
        self._observed: tuple[ObservedState, str | None] | None = None  # the last observation and its text
        self.reused = 0  # plans answered from the memo (tests and readers of the controller's counters)

    def _text(self, observed: ObservedState) -> str | None:
        if self._observed is None or self._observed[0] is not observed:
            self._observed = (observed, observed_text(observed))
        return self._observed[1]

    def _matching(self, desired: DesiredState, observed: ObservedState, target: TargetId) -> _Entry | None:
        entry, text = self._entry, self._text(observed)
        if entry is None or text is None or entry.desired is not desired or entry.target != target:
            return None
        return entry if entry.observed == text else None

    def plan(
        self,
        desired: DesiredState,
        observed: ObservedState,
        options: PlanOptions,
        *,
        target: TargetId,
        deletion_policies: DeletionPolicySource,
        now: datetime,
    ) -> Plan:
        """make_plan(...), or the last plan with this `now` when every input is the same."""
        entry = self._matching(desired, observed, target)
        if entry is not None and entry.options == options:
            self.reused += 1
            return replace(entry.plan, created_at=plan_timestamp(now))
        consulted = _Consulted(deletion_policies)
        plan = make_plan(desired, observed, options, target=target, deletion_policies=consulted, now=now)
        text = self._text(observed)
        self._entry = None if consulted.asked or text is None else _Entry(desired, options, target, text, plan)
        return plan

    def drift(self, desired: DesiredState, observed: ObservedState, source: Target) -> DriftReport:
        """detect_drift(...), or the report made last time for the same inputs as the kept plan."""
        entry = self._matching(desired, observed, source.identity)
        if entry is not None and entry.drift is not None:
            return entry.drift
        report = detect_drift(desired, observed, source)
        if entry is not None:
            entry.drift = report
        return report
