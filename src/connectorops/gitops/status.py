"""What the controller knows about itself: the /status document and the /metrics counters.

The loop writes, the HTTP server thread reads; one lock guards both so a reader never sees half an update.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def iso(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else None


@dataclass(frozen=True)
class ReconcileOutcome:
    """One reconcile: what it saw and did. `result`: success | failure | invalid (user error in git) | interrupted."""

    commit: str
    result: str
    started: float
    finished: float
    changes: int = 0  # actions in the plan other than no-op
    applied: int = 0  # actions applied this time
    drift: dict[str, Any] = field(default_factory=dict)  # summary: counts per kind plus names
    lease: str = "not needed"  # held | held by <holder> | not needed
    message: str = ""
    actions: tuple[str, ...] = ()  # e.g. "update orders", for the log and /status
    environment: str = ""  # resolved name (the CLI may not have named one: connectorops.yaml's default)

    @property
    def duration(self) -> float:
        return self.finished - self.started

    def to_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "result": self.result,
            "started": iso(self.started),
            "finished": iso(self.finished),
            "durationSeconds": round(self.duration, 3),
            "changes": self.changes,
            "applied": self.applied,
            "lease": self.lease,
            "message": self.message,
            "actions": list(self.actions),
        }


class ControllerStatus:
    """Thread-safe state behind /healthz, /status and /metrics."""

    def __init__(self, *, environment: str, mode: str, branch: str, repo_url: str, interval: float) -> None:
        self._lock = threading.Lock()
        self.environment = environment
        self.mode = mode
        self.branch = branch
        self.repo_url = repo_url  # already redacted by the caller
        self.interval = interval
        self.started = time.time()
        self.heartbeat = self.started
        self.revision: str | None = None
        self.last: ReconcileOutcome | None = None
        self.last_success: float | None = None
        self.drift: dict[str, Any] = {}
        self.next_run: float | None = None
        self.circuit = "closed"
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.lease_holder: str | None = None
        self.lease_held = False
        self.stopping = False
        self.reconciling = False
        self.counters: Counter[tuple[str, str]] = Counter()  # (metric, label value) -> count
        self.duration_sum = 0.0
        self.duration_count = 0

    def update(self, **values: Any) -> None:
        with self._lock:
            for key, value in values.items():
                if not hasattr(self, key) or key.startswith("_"):
                    raise AttributeError(key)
                setattr(self, key, value)
            self.heartbeat = time.time()

    def count(self, metric: str, label: str = "", amount: int = 1) -> None:
        with self._lock:
            self.counters[(metric, label)] += amount

    def record(self, outcome: ReconcileOutcome) -> None:
        with self._lock:
            self.last = outcome
            self.environment = outcome.environment or self.environment
            self.revision = outcome.commit or self.revision
            self.counters[("reconcile_total", outcome.result)] += 1
            self.counters[("applied_actions_total", "")] += outcome.applied
            self.duration_sum += outcome.duration
            self.duration_count += 1
            if outcome.result == "success":
                self.last_success = outcome.finished
                self.drift = dict(outcome.drift)
                self.last_error = None
            else:
                self.last_error = outcome.message
            self.heartbeat = time.time()

    def healthy(self, now: float | None = None) -> bool:
        """The loop is alive: it updated within three polls (or a long reconcile is running)."""
        with self._lock:
            stale_after = max(3 * min(self.interval, 60.0), 30.0)
            return self.reconciling or ((now or time.time()) - self.heartbeat) < stale_after

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "environment": self.environment,
                "mode": self.mode,
                "repoUrl": self.repo_url,
                "branch": self.branch,
                "revision": self.revision,
                "lastReconcile": self.last.to_dict() if self.last else None,
                "lastSuccess": iso(self.last_success),
                "drift": self.drift,
                "nextRun": iso(self.next_run),
                "reconciling": self.reconciling,
                "circuit": self.circuit,
                "consecutiveFailures": self.consecutive_failures,
                "lastError": self.last_error,
                "lease": {"held": self.lease_held, "holder": self.lease_holder},
                "stopping": self.stopping,
                "startedAt": iso(self.started),
            }

    def metrics_text(self) -> str:
        """Prometheus text exposition format 0.0.4."""
        with self._lock:
            env = _label(self.environment)
            lines: list[str] = []

            def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
                lines.append(f"# HELP connectorops_{name} {help_}")
                lines.append(f"# TYPE connectorops_{name} {kind}")
                for labels, value in samples:
                    joined = ",".join(x for x in (f'environment="{env}"', labels) if x)
                    lines.append(f"connectorops_{name}{{{joined}}} {_number(value)}")

            results = ("success", "failure", "invalid", "interrupted")
            metric(
                "reconcile_total",
                "counter",
                "Reconciles by result.",
                [(f'result="{r}"', self.counters[("reconcile_total", r)]) for r in results],
            )
            metric(
                "reconcile_duration_seconds",
                "summary",
                "Time spent per reconcile.",
                [],
            )
            lines.append(f'connectorops_reconcile_duration_seconds_sum{{environment="{env}"}} {self.duration_sum}')
            lines.append(f'connectorops_reconcile_duration_seconds_count{{environment="{env}"}} {self.duration_count}')
            metric(
                "applied_actions_total",
                "counter",
                "Plan actions applied.",
                [("", self.counters[("applied_actions_total", "")])],
            )
            metric(
                "git_fetch_failures_total",
                "counter",
                "Failed git syncs (after retries).",
                [("", self.counters[("git_fetch_failures_total", "")])],
            )
            metric(
                "last_success_timestamp_seconds",
                "gauge",
                "Unix time of the last successful reconcile.",
                [("", self.last_success or 0)],
            )
            drift_total = self.drift.get("total", 0) if isinstance(self.drift.get("total", 0), int) else 0
            metric("drift_resources", "gauge", "Resources differing from git at the last check.", [("", drift_total)])
            metric(
                "plan_changes",
                "gauge",
                "Actions other than no-op in the last plan.",
                [("", self.last.changes if self.last else 0)],
            )
            metric(
                "consecutive_failures",
                "gauge",
                "Failures since the last success.",
                [("", self.consecutive_failures)],
            )
            metric("circuit_open", "gauge", "1 while the circuit breaker is open.", [("", self.circuit == "open")])
            metric("lease_held", "gauge", "1 while this controller holds the apply lease.", [("", self.lease_held)])
            return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float | bool) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))
