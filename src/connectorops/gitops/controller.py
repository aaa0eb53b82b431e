"""The reconcile loop: fetch the branch, reconcile on a new commit and on every interval, one at a time.

Level-triggered like controller-runtime: each reconcile reads git and the target afresh, so a crash or a
missed commit never confuses it. Failures back off (jittered exponential) and trip a circuit breaker;
a stop request (SIGTERM/SIGINT) lets the running reconcile finish its current action and starts no new one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from connectorops.errors import ConnectoropsError, GatewayError, GitError
from connectorops.gitops.backoff import CircuitBreaker, jittered_backoff
from connectorops.gitops.revisions import GitTree
from connectorops.gitops.status import ControllerStatus, ReconcileOutcome

log = logging.getLogger("connectorops.gitops.controller")

MODES = ("observe", "apply")


class Source(Protocol):
    """Where the desired state comes from (a `Workspace`): the newest tree of the watched branch."""

    def sync(self) -> GitTree: ...


class Reconciler(Protocol):
    """One observe -> plan -> (apply) pass for a tree. Must not raise for failures it can describe."""

    def reconcile(self, tree: GitTree, *, apply: bool, should_stop: Callable[[], bool]) -> ReconcileOutcome: ...

    def close(self) -> None:
        """Release the lease and the target connection (called once, on the way out)."""
        ...


@dataclass(frozen=True)
class ControllerSettings:
    interval: float  # full reconcile (drift) period, seconds
    mode: str = "observe"
    poll: float | None = None  # how often to look for a new commit; default min(interval, 60s)
    failure_threshold: int = 5  # consecutive failures before the circuit opens
    backoff_initial: float = 1.0
    cooldown: float | None = None  # circuit open time; default 4 x interval, within [5s, 30min]

    @property
    def poll_seconds(self) -> float:
        return self.poll if self.poll is not None else min(self.interval, 60.0)

    @property
    def cooldown_seconds(self) -> float:
        return self.cooldown if self.cooldown is not None else min(max(4 * self.interval, 5.0), 1800.0)


class Controller:
    """Runs until `stop` is set; one reconcile at a time because everything happens on the calling thread."""

    def __init__(
        self,
        source: Source,
        reconciler: Reconciler,
        settings: ControllerSettings,
        status: ControllerStatus,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
        wait: Callable[[float], object] | None = None,
    ) -> None:
        if settings.mode not in MODES:
            raise ConnectoropsError(f"unknown --mode {settings.mode!r}", field="--mode", hint="use observe or apply")
        self.source = source
        self.reconciler = reconciler
        self.settings = settings
        self.status = status
        self.stop = stop or threading.Event()
        self._clock = clock
        self._wait = wait or self.stop.wait
        self.breaker = CircuitBreaker(
            threshold=settings.failure_threshold, cooldown=settings.cooldown_seconds, max_cooldown=1800.0
        )
        self.last_commit: str | None = None  # last commit reconciled without failure
        self.next_reconcile = 0.0
        self.not_before = 0.0  # no git/ARM attempt before this time (backoff or open circuit)

    def run(self) -> int:
        """The loop; returns the process exit code (0 after a requested stop)."""
        log.info(
            "controller started",
            extra={"event": "controller_started", "mode": self.settings.mode, "interval": self.settings.interval},
        )
        try:
            while not self.stop.is_set():
                self._wait(self.step())
        finally:
            self.status.update(stopping=True, reconciling=False)
            try:
                self.reconciler.close()
            except ConnectoropsError as error:
                log.warning("shutdown incomplete", extra={"event": "close_failed", "error": error.problem.message})
            log.info("controller stopped", extra={"event": "controller_stopped"})
        return 0

    def step(self) -> float:
        """One pass of the loop; returns how long to wait before the next (at most one poll, so the
        heartbeat behind /healthz stays fresh during long backoffs)."""
        now = self._clock()
        if now < self.not_before:
            self.status.update(circuit=str(self.breaker.state(now)))
            return min(self.settings.poll_seconds, self.not_before - now)
        try:
            tree = self.source.sync()
        except GitError as error:
            self.status.count("git_fetch_failures_total")
            return self._failed(now, error.problem.message, event="git_sync_failed")
        self.status.update(revision=tree.sha)
        if tree.sha == self.last_commit and now < self.next_reconcile:
            return self._idle(now)
        if self.stop.is_set():
            return 0.0
        reason = "new commit" if tree.sha != self.last_commit else "interval"
        outcome = self._reconcile(tree, reason)
        finished = self._clock()
        if outcome.result == "failure":
            return self._failed(finished, outcome.message, event="reconcile_failed")
        self.breaker.record_success()
        self.last_commit = tree.sha
        self.next_reconcile = finished + self.settings.interval
        self.status.update(consecutive_failures=0, circuit="closed")
        return self._idle(finished)

    def _idle(self, now: float) -> float:
        wait = max(0.0, min(self.settings.poll_seconds, self.next_reconcile - now))
        self.status.update(next_run=self.next_reconcile)
        return wait

    def _reconcile(self, tree: GitTree, reason: str) -> ReconcileOutcome:
        apply = self.settings.mode == "apply"
        log.info("reconcile started", extra={"event": "reconcile_started", "commit": tree.sha, "reason": reason})
        self.status.update(reconciling=True)
        started = self._clock()
        try:
            outcome = self.reconciler.reconcile(tree, apply=apply, should_stop=self.stop.is_set)
        except (GatewayError, GitError) as error:
            outcome = ReconcileOutcome(tree.sha, "failure", started, self._clock(), message=error.problem.message)
        except ConnectoropsError as error:  # a user mistake in git: wait for the next commit, no backoff
            outcome = ReconcileOutcome(tree.sha, "invalid", started, self._clock(), message=str(error))
        except Exception as error:  # keep the service up; the message (not the traceback) goes to /status
            log.exception("reconcile crashed", extra={"event": "reconcile_crashed", "commit": tree.sha})
            outcome = ReconcileOutcome(tree.sha, "failure", started, self._clock(), message=type(error).__name__)
        finally:
            self.status.update(reconciling=False)
        self.status.record(outcome)
        self.status.update(lease_held=outcome.lease == "held", lease_holder=_holder(outcome.lease))
        log.info(
            "reconcile finished",
            extra={
                "event": "reconcile_finished",
                "commit": outcome.commit,
                "result": outcome.result,
                "changes": outcome.changes,
                "applied": outcome.applied,
                "drift": outcome.drift.get("total", 0),
                "lease": outcome.lease,
                "duration_seconds": round(outcome.duration, 3),
                "detail": outcome.message,
                "actions": list(outcome.actions),
            },
        )
        return outcome

    def _failed(self, now: float, message: str, *, event: str) -> float:
        self.breaker.record_failure(now)
        wait = jittered_backoff(
            self.breaker.failures, initial=self.settings.backoff_initial, maximum=max(self.settings.interval, 1.0)
        )
        state = self.breaker.state(now)
        if state != "closed" and self.breaker.opened_until is not None:
            wait = self.breaker.opened_until - now
        self.not_before = now + wait
        self.status.update(
            consecutive_failures=self.breaker.failures, circuit=str(state), last_error=message, next_run=now + wait
        )
        log.warning(
            "attempt failed",
            extra={
                "event": event,
                "error": message,
                "consecutive_failures": self.breaker.failures,
                "circuit": str(state),
                "retry_in_seconds": round(wait, 2),
            },
        )
        return min(self.settings.poll_seconds, wait)


def _holder(lease: str) -> str | None:
    if lease == "held":
        return "self"
    return lease.removeprefix("held by ") if lease.startswith("held by ") else None


INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_interval(text: str) -> float:
    """'30s' / '5m' / '1h' / '1.5m' -> seconds; ConnectoropsError naming --interval otherwise."""
    value, unit = text.strip()[:-1], text.strip()[-1:].lower()
    try:
        seconds = float(value) * INTERVAL_UNITS[unit]
    except (KeyError, ValueError):
        raise ConnectoropsError(
            f"invalid --interval {text!r}", field="--interval", hint="use a number and a unit: 30s, 5m or 1h"
        ) from None
    if not 0 < seconds <= 7 * 24 * 3600:
        raise ConnectoropsError(f"--interval {text!r} out of range", field="--interval", hint="between 1s and 168h")
    return seconds
