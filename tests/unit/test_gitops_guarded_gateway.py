"""GuardedGateway: reads pass through; writes start only while not stopping and while the lease is ours."""

from __future__ import annotations

import time
from typing import Any

import pytest

from connectorops.gitops.reconcile import GuardedGateway, WriteRefused


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


class Inner:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_custom_api(self, name: str) -> dict[str, Any]:
        self.calls.append(f"get {name}")
        return {"name": name}

    def put_custom_api(self, name: str, body: dict[str, Any], *, if_match: str | None = None) -> dict[str, Any]:
        self.calls.append(f"put {name}")
        return body


def test_writes_pass_while_lease_is_fresh_and_no_stop() -> None:
    inner, lease = Inner(), FakeLease(held=True, expires_in=55)
    gw = GuardedGateway(inner, lease, lambda: False)  # type: ignore[arg-type]
    assert gw.put_custom_api("a", {"x": 1}) == {"x": 1}
    assert gw.get_custom_api("a") == {"name": "a"}
    assert inner.calls == ["put a", "get a"] and lease.renewals == 0


def test_stop_refuses_new_writes_but_not_reads() -> None:
    inner, lease = Inner(), FakeLease(held=True, expires_in=55)
    gw = GuardedGateway(inner, lease, lambda: True)  # type: ignore[arg-type]
    with pytest.raises(WriteRefused, match="stopping"):
        gw.put_custom_api("a", {})
    assert gw.get_custom_api("a") == {"name": "a"}
    assert inner.calls == ["get a"] and gw.refused == 1


def test_half_spent_lease_is_renewed_before_a_write() -> None:
    inner, lease = Inner(), FakeLease(held=True, expires_in=10)
    gw = GuardedGateway(inner, lease, lambda: False)  # type: ignore[arg-type]
    gw.put_custom_api("a", {})
    assert lease.renewals == 1 and inner.calls == ["put a"]


def test_lost_lease_refuses_writes() -> None:
    inner, lease = Inner(), FakeLease(held=True, expires_in=10)
    lease.renew_result = False  # another controller took over
    gw = GuardedGateway(inner, lease, lambda: False)  # type: ignore[arg-type]
    with pytest.raises(WriteRefused, match="no longer holds the lease"):
        gw.put_custom_api("a", {})
    assert inner.calls == []
