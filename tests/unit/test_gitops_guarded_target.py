"""GuardedTarget: reads pass through; writes start only while not stopping and while the lease is ours."""

from __future__ import annotations

import time

import pytest
from in_memory_target import InMemoryTarget

from connectorops.engine.target import WRITES, Placement, Target
from connectorops.gitops.reconcile import GuardedTarget, WriteRefused


class FakeLease:
    def __init__(self, held: bool, expires_in: float, ttl: float = 60) -> None:
        self.held = held
        self.ttl = ttl
        self.expires_at = time.time() + expires_in
        self.renewals = 0
        self.renew_result = True

    def check(self) -> bool:
        return self.held and self.expires_at > time.time()

    def acquire(self) -> bool:
        self.renewals += 1
        self.held = self.renew_result
        if self.held:
            self.expires_at = time.time() + self.ttl
        return self.held


PUT = ("PUT", "Microsoft.Web/customApis")
GET = ("GET", "Microsoft.Web/customApis")


def calls(inner: InMemoryTarget) -> dict[tuple[str, str], int]:
    return {key: n for key, n in inner.requests.counts.items() if n}


def test_writes_pass_while_lease_is_fresh_and_no_stop() -> None:
    inner, lease = InMemoryTarget(), FakeLease(held=True, expires_in=55)
    gw = GuardedTarget(inner, lease, lambda: False)  # type: ignore[arg-type]
    assert gw.create_connector("a", {"tags": {"x": "1"}})["tags"] == {"x": "1"}
    assert gw.get_connector("a")["name"] == "a"
    assert calls(inner) == {PUT: 1, GET: 1} and lease.renewals == 0


def test_stop_refuses_new_writes_but_not_reads() -> None:
    inner, lease = InMemoryTarget(), FakeLease(held=True, expires_in=55)
    gw = GuardedTarget(inner, lease, lambda: True)  # type: ignore[arg-type]
    with pytest.raises(WriteRefused, match="stopping"):
        gw.create_connector("a", {})
    assert gw.get_connector("a") is None
    assert calls(inner) == {GET: 1} and gw.refused == 1


def test_half_spent_lease_is_renewed_before_a_write() -> None:
    inner, lease = InMemoryTarget(), FakeLease(held=True, expires_in=10)
    gw = GuardedTarget(inner, lease, lambda: False)  # type: ignore[arg-type]
    gw.create_connector("a", {})
    assert lease.renewals == 1 and calls(inner) == {PUT: 1}


def test_lost_lease_refuses_writes() -> None:
    inner, lease = InMemoryTarget(), FakeLease(held=True, expires_in=10)
    lease.renew_result = False  # another controller took over
    gw = GuardedTarget(inner, lease, lambda: False)  # type: ignore[arg-type]
    with pytest.raises(WriteRefused, match="no longer holds the lease"):
        gw.create_connector("a", {})
    assert calls(inner) == {}


READS = {
    "scope_id", "connector_id", "list_connectors", "list_grants", "list_connections", "list_consumers",
    "get_connector", "download_definition", "connections_of", "render_connector", "role_id",
}  # fmt: skip


def test_every_method_of_the_protocol_is_a_read_or_a_guarded_write() -> None:
    methods = {
        name for cls in (Placement, Target) for name, value in vars(cls).items()
        if callable(value) and not name.startswith("_")
    }  # fmt: skip
    assert methods == READS | WRITES and not READS & WRITES  # a new method must be classified here


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_write_is_refused_while_stopping(write: str) -> None:
    inner, lease = InMemoryTarget(), FakeLease(held=True, expires_in=55)
    gw = GuardedTarget(inner, lease, lambda: True)  # type: ignore[arg-type]
    with pytest.raises(WriteRefused, match="stopping"):
        getattr(gw, write)("a", {}) if write != "revoke" else gw.revoke("a")
    assert calls(inner) == {}
