"""One controller reconcile through the engine: load the tree, observe, plan, detect drift, apply under the lease.

Writes go through `GuardedTarget`, which refuses to start a new write once a stop was requested or
the lease is no longer ours: the action in flight finishes, nothing new starts.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from connectorops.engine.apply import apply_plan
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift import DriftReport, detect_drift
from connectorops.engine.observe import SwaggerCache
from connectorops.engine.pipeline import Inputs, desired_state, inputs_from_tree, plan_environment
from connectorops.engine.plan import Plan, PlanOptions, blocked_message
from connectorops.engine.target import WRITES, Target
from connectorops.errors import ConnectoropsError, GatewayError, ValidationFailed
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.gitops.lease import Lease
from connectorops.gitops.revisions import GitTree
from connectorops.gitops.status import ReconcileOutcome
from connectorops.targets.arm.target import ResourceGroupTarget
from connectorops.targets.connect import connect

MAX_STATUS_ITEMS = 50


class WriteRefused(ConnectoropsError):
    """A write was not started: the controller is stopping or lost its lease."""


class GuardedTarget:
    """Delegates to a Target; before every write (engine.target.WRITES) checks stop + lease (renewing the
    lease when half spent)."""

    def __init__(self, inner: Target, lease: Lease, should_stop: Callable[[], bool]) -> None:
        self._inner = inner
        self._lease = lease
        self._should_stop = should_stop
        self._lock = threading.Lock()
        self.refused = 0

    def _may_write(self) -> None:
        with self._lock:
            if self._should_stop():
                self.refused += 1
                raise WriteRefused("not started: the controller is stopping")
            remaining = (self._lease.expires_at or 0.0) - time.time()
            if self._lease.held and remaining < self._lease.ttl / 2:
                self._lease.acquire()
            if not self._lease.check():
                self.refused += 1
                raise WriteRefused("not started: this controller no longer holds the lease")

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in WRITES:
            return attribute

        def guarded(*args: Any, **kwargs: Any) -> Any:
            self._may_write()
            return attribute(*args, **kwargs)

        return guarded


def drift_summary(report: DriftReport, plan: Plan) -> dict[str, Any]:
    """The /status drift document: counts plus the first items, never bodies or secrets."""
    return {
        "total": len(report.drift),
        "byKind": {k: n for k, n in report.counts().items()},
        "items": [
            {
                "kind": item.kind,
                "connector": item.connector,
                "detail": item.detail,
                "fields": [c.path for c in item.changes][:20],
            }
            for item in report.drift[:MAX_STATUS_ITEMS]
        ],
        "planChanges": len(plan.changes),
    }


class EngineReconciler:
    """Keeps one gateway (and one lease) per environment config; everything else is read afresh each time."""

    def __init__(
        self,
        local_root: Path,
        environment: str | None,
        holder: str,
        *,
        lease_ttl: float,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.local_root = local_root
        self.environment = environment
        self.holder = holder
        self.lease_ttl = lease_ttl
        self.environ = os.environ if environ is None else environ
        self._stack = ExitStack()
        self._key: str | None = None
        self._target: ResourceGroupTarget | None = None
        self.lease: Lease | None = None
        # Drift reads every deployed swagger; unchanged etags are served from memory between intervals.
        self.swagger_cache = SwaggerCache()
        # A commit's desired state never changes: loaded and resolved once per (commit, environment, target),
        # so an idle interval costs the observe and the plan only.
        self._inputs: tuple[tuple[str, str | None], Inputs] | None = None
        self._desired: tuple[tuple[str, str], DesiredState] | None = None
        self.resolutions = 0  # desired states built (a test and /metrics-minded readers count them)

    def _inputs_of(self, tree: GitTree) -> Inputs:
        key = (tree.sha, self.environment)
        if self._inputs is None or self._inputs[0] != key:
            self._inputs = (key, inputs_from_tree(self.local_root, tree, self.environment, tree.sha))
        return self._inputs[1]

    def _desired_of(self, inputs: Inputs, target: Target) -> DesiredState:
        key = (str(inputs.commit), self._key or "")  # _key: environment + its config (the target)
        if self._desired is None or self._desired[0] != key:
            self._desired = None
            self.resolutions += 1
            self._desired = (key, desired_state(inputs, target))
        return self._desired[1]

    def _connect(self, inputs: Inputs) -> tuple[ResourceGroupTarget, Lease]:
        config = inputs.repo.config.environments[inputs.environment]
        key = inputs.environment + ":" + config.model_dump_json()
        if key != self._key or self._target is None or self.lease is None:
            self._disconnect()
            target = self._stack.enter_context(connect(inputs))
            if not isinstance(target, ResourceGroupTarget):
                self._stack.close()
                raise ConnectoropsError(
                    f"environment {inputs.environment!r}: the controller runs on ARM environments only (its writer "
                    "lease lives in a resource group)",
                    hint="run `connectorops plan`/`apply`/`drift` for Power Platform environments",
                )
            self._target = target
            self.lease = Lease(self._target.gateway, inputs.environment, self.holder, ttl=self.lease_ttl)
            self._key = key
        return self._target, self.lease

    def _disconnect(self) -> None:
        if self.lease is not None and self.lease.held:
            with suppress(ConnectoropsError):  # expiry frees it anyway
                self.lease.release()
        self._stack.close()
        self._stack = ExitStack()
        self._target = None
        self.lease = None
        self._key = None

    def reconcile(self, tree: GitTree, *, apply: bool, should_stop: Callable[[], bool]) -> ReconcileOutcome:
        started = time.time()
        inputs = self._inputs_of(tree)
        environment = inputs.environment
        try:
            target, lease = self._connect(inputs)
            desired, observed, plan = plan_environment(
                inputs,
                target,
                PlanOptions(),
                drift=True,
                swagger_cache=self.swagger_cache,
                deletion_policies=GitDeletionPolicies(tree.commit.repo, tree.prefix),
                desired=self._desired_of(inputs, target),
                now=datetime.now(UTC),
            )
            report = detect_drift(desired, observed, target)
            summary = drift_summary(report, plan)
            if not apply:
                return self._outcome(tree, started, plan, summary, "not needed (observe mode)", environment)
            held = lease.acquire()
            lease_text = "held" if held else f"held by {lease.seen_holder or 'another controller'}"
            if not held or not plan.changes:
                return self._outcome(tree, started, plan, summary, lease_text, environment)
            if plan.is_blocked:
                raise ValidationFailed(plan.blocked_reasons(), summary=blocked_message("the plan", "nothing applied"))
            guarded = GuardedTarget(target, lease, should_stop)
            result = apply_plan(plan, cast("Target", guarded), secrets=self.environ)
        except GatewayError:
            self._disconnect()  # a broken connection or expired credential: start clean next time
            raise
        done = [f"{r.kind} {r.name}" for r in result.done]
        # A delete refused at the last moment (blocked) is a failure to report, not a success.
        failed = [f"{r.kind} {r.name}: {r.message}" for r in result.failed + result.blocked]
        outcome = "interrupted" if guarded.refused else "failure" if failed else "success"
        return ReconcileOutcome(
            tree.sha,
            outcome,
            started,
            time.time(),
            changes=len(plan.changes),
            applied=len(done),
            drift=summary,
            lease=lease_text,
            message="; ".join(failed[:5]),
            actions=tuple(done),
            environment=environment,
        )

    def _outcome(
        self, tree: GitTree, started: float, plan: Plan, summary: dict[str, Any], lease: str, environment: str
    ) -> ReconcileOutcome:
        pending = [f"{a.kind} {a.name}" for a in plan.changes]
        return ReconcileOutcome(
            tree.sha,
            "success",
            started,
            time.time(),
            changes=len(plan.changes),
            drift=summary,
            lease=lease,
            actions=(),
            message=("not applied: " + ", ".join(pending[:10])) if pending else "",
            environment=environment,
        )

    def close(self) -> None:
        self._disconnect()
