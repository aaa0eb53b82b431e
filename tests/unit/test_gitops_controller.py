"""The controller loop with a fake source and reconciler on a fake clock: when it reconciles, backs off, stops."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from connectorops.errors import ConnectoropsError, GatewayError, GitError, Problem, ValidationFailed
from connectorops.gitops.controller import Controller, ControllerSettings, parse_interval
from connectorops.gitops.status import ControllerStatus, ReconcileOutcome


@dataclass
class FakeTree:
    sha: str


@dataclass
class FakeSource:
    shas: list[str]
    failures: set[int] = field(default_factory=set)  # sync call numbers (1-based) that fail
    calls: int = 0

    def sync(self) -> FakeTree:
        self.calls += 1
        if self.calls in self.failures:
            raise GitError("cannot fetch branch 'main' from /gone")
        return FakeTree(self.shas[min(self.calls - 1, len(self.shas) - 1)])


@dataclass
class FakeReconciler:
    clock: FakeClock
    results: list[str | Exception] = field(default_factory=list)
    seen: list[tuple[str, bool]] = field(default_factory=list)
    closed: int = 0
    duration: float = 0.5

    def reconcile(self, tree: FakeTree, *, apply: bool, should_stop: Callable[[], bool]) -> ReconcileOutcome:
        self.seen.append((tree.sha, apply))
        started = self.clock.now
        self.clock.now += self.duration
        result = self.results.pop(0) if self.results else "success"
        if isinstance(result, Exception):
            raise result
        return ReconcileOutcome(tree.sha, result, started, self.clock.now, lease="held", drift={"total": 1})

    def close(self) -> None:
        self.closed += 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def run_steps(
    source: FakeSource, reconciler: FakeReconciler, clock: FakeClock, steps: int, **settings: object
) -> tuple[Controller, list[float]]:
    """Drive the loop for `steps` waits; each wait advances the fake clock."""
    stop = threading.Event()
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds
        if len(waits) >= steps:
            stop.set()

    status = ControllerStatus(environment="dev", mode="apply", branch="main", repo_url="/r", interval=60)
    opts = {"interval": 60.0, "mode": "apply", **settings}
    controller = Controller(
        source,  # type: ignore[arg-type]
        reconciler,  # type: ignore[arg-type]
        ControllerSettings(**opts),  # type: ignore[arg-type]
        status,
        stop=stop,
        clock=clock,
        wait=wait,
    )
    assert controller.run() == 0
    return controller, waits


def test_reconciles_on_new_commit_and_on_interval_only() -> None:
    clock = FakeClock()
    # poll every 10s; commit b appears at the 3rd poll; interval 60s
    source = FakeSource(["a", "a", "b"] + ["b"] * 20)
    rec = FakeReconciler(clock)
    controller, waits = run_steps(source, rec, clock, steps=10, poll=10.0)

    assert [sha for sha, _ in rec.seen] == ["a", "b", "b"]  # first run, new commit, then interval drift check
    assert all(apply for _, apply in rec.seen)
    assert rec.closed == 1
    assert controller.status.to_dict()["lastReconcile"]["commit"] == "b"


def test_observe_mode_never_asks_to_apply() -> None:
    clock = FakeClock()
    rec = FakeReconciler(clock)
    run_steps(FakeSource(["a", "b"]), rec, clock, steps=3, mode="observe", poll=1.0)
    assert rec.seen and not any(apply for _, apply in rec.seen)


def test_git_failures_back_off_open_the_circuit_then_recover() -> None:
    clock = FakeClock()
    source = FakeSource(["a"] * 30, failures={1, 2, 3})
    attempts: list[float] = []
    sync = source.sync

    def timed_sync() -> FakeTree:
        attempts.append(clock.now)
        return sync()

    source.sync = timed_sync  # type: ignore[method-assign]
    rec = FakeReconciler(clock)
    controller, waits = run_steps(
        source, rec, clock, steps=20, failure_threshold=3, backoff_initial=2.0, cooldown=100.0, poll=10.0
    )

    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:], strict=False)]
    assert 1.0 <= gaps[0] <= 2.0 and 1.0 <= gaps[1] <= 4.0  # jittered exponential backoff
    assert gaps[2] == pytest.approx(100.0)  # the third failure opened the circuit for the cool-down
    assert max(waits) <= 10.0  # but the loop still wakes every poll (fresh /healthz heartbeat)
    assert rec.seen[0][0] == "a"  # recovered: the half-open trial succeeded
    status = controller.status.to_dict()
    assert status["circuit"] == "closed" and status["consecutiveFailures"] == 0
    assert 'connectorops_git_fetch_failures_total{environment="dev"} 3' in controller.status.metrics_text()


def test_failed_reconcile_is_retried_for_the_same_commit() -> None:
    clock = FakeClock()
    rec = FakeReconciler(clock, results=[GatewayError("ARM unavailable", status=503), "success"])
    controller, _ = run_steps(FakeSource(["a"] * 10), rec, clock, steps=3, poll=10.0)
    assert [sha for sha, _ in rec.seen][:2] == ["a", "a"]
    assert controller.status.counters[("reconcile_total", "failure")] == 1
    assert controller.status.counters[("reconcile_total", "success")] == 1


def test_user_error_in_git_does_not_back_off_or_retry_until_next_commit() -> None:
    clock = FakeClock()
    invalid = ValidationFailed([Problem("bad", file="connectors/a/connector.yaml", line=3)])
    rec = FakeReconciler(clock, results=[invalid])
    controller, waits = run_steps(FakeSource(["a", "a", "b"]), rec, clock, steps=3, poll=10.0)
    assert [sha for sha, _ in rec.seen] == ["a", "b"]
    assert controller.breaker.failures == 0
    assert controller.status.counters[("reconcile_total", "invalid")] == 1


def test_unexpected_crash_is_a_failure_without_leaking_its_text() -> None:
    clock = FakeClock()
    rec = FakeReconciler(clock, results=[RuntimeError("token=abc123")])
    controller, _ = run_steps(FakeSource(["a"]), rec, clock, steps=1, poll=10.0)
    last = controller.status.to_dict()["lastReconcile"]
    assert last["result"] == "failure"
    assert "abc123" not in str(controller.status.to_dict())


def test_stop_requested_during_reconcile_starts_no_new_one() -> None:
    clock = FakeClock()
    stop = threading.Event()

    class Stopping(FakeReconciler):
        def reconcile(self, tree: FakeTree, *, apply: bool, should_stop: Callable[[], bool]) -> ReconcileOutcome:
            stop.set()  # SIGTERM arrives mid-reconcile
            out = super().reconcile(tree, apply=apply, should_stop=should_stop)
            assert should_stop() is True  # the reconciler can see it and finish its current action
            return out

    rec = Stopping(clock)
    status = ControllerStatus(environment="dev", mode="apply", branch="main", repo_url="/r", interval=1)
    controller = Controller(
        FakeSource(["a", "b"]),  # type: ignore[arg-type]
        rec,  # type: ignore[arg-type]
        ControllerSettings(interval=1, mode="apply"),
        status,
        stop=stop,
        clock=clock,
        wait=lambda s: None,
    )
    controller.run()
    assert len(rec.seen) == 1 and rec.closed == 1
    assert status.to_dict()["stopping"] is True


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("1.5m", 90), ("2S", 2)])
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["5", "m", "5d", "-1s", "0s", "abc", ""])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(ConnectoropsError, match="--interval"):
        parse_interval(text)


def test_unknown_mode_is_refused() -> None:
    status = ControllerStatus(environment="dev", mode="x", branch="main", repo_url="/r", interval=1)
    with pytest.raises(ConnectoropsError, match="unknown --mode"):
        Controller(FakeSource(["a"]), FakeReconciler(FakeClock()), ControllerSettings(1, "x"), status)  # type: ignore[arg-type]
