"""The lease protocol against an in-memory fake of the two gateway calls it uses (etags, 412 on mismatch)."""

from __future__ import annotations

from typing import Any

import pytest
from in_memory_target import InMemoryTarget

from connectorops.errors import GatewayError
from connectorops.gitops.lease import (
    EXPIRES_TAG,
    HOLDER_TAG,
    Lease,
    LeaseRecord,
    lease_name,
)
from connectorops.tags import is_lease_marker


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def make(gw: InMemoryTarget, holder: str, clock: Clock, ttl: float = 30) -> Lease:
    return Lease(gw, "dev", holder, ttl=ttl, clock=clock)  # type: ignore[arg-type]


def test_first_controller_takes_lease_second_is_refused_until_expiry() -> None:
    gw, clock = InMemoryTarget(), Clock()
    a, b = make(gw, "host-a", clock), make(gw, "host-b", clock)

    assert a.acquire() is True
    assert b.acquire() is False
    assert b.seen_holder == "host-a"
    marker = gw.custom_apis[lease_name("dev")]
    assert marker["tags"][HOLDER_TAG] == "host-a"
    assert is_lease_marker(marker)

    clock.now += 31  # a died without releasing
    assert b.acquire() is True
    assert a.acquire() is False
    assert a.seen_holder == "host-b"


def test_renewal_extends_expiry_and_keeps_lease() -> None:
    gw, clock = InMemoryTarget(), Clock()
    a, b = make(gw, "host-a", clock), make(gw, "host-b", clock)
    assert a.acquire()
    clock.now += 20
    assert a.acquire()  # renew
    clock.now += 20  # 40s after first take, 20s after renewal
    assert b.acquire() is False
    assert LeaseRecord.from_resource(gw.custom_apis[a.name]).expires == pytest.approx(clock.now + 10)


def test_release_lets_another_take_over_immediately() -> None:
    gw, clock = InMemoryTarget(), Clock()
    a, b = make(gw, "host-a", clock), make(gw, "host-b", clock)
    assert a.acquire()
    a.release()
    assert a.held is False
    assert b.acquire() is True


def test_takeover_race_on_expired_lease_has_one_winner() -> None:
    gw, clock = InMemoryTarget(), Clock()
    a, b, c = make(gw, "host-a", clock), make(gw, "host-b", clock), make(gw, "host-c", clock)
    assert a.acquire()
    clock.now += 60
    # c reads the expired marker, then b takes it before c writes: c's If-Match must fail.
    results: dict[str, bool] = {}
    original_get = gw.get_custom_api

    def get_then_b_wins(name: str) -> dict[str, Any] | None:
        seen = original_get(name)
        gw.get_custom_api = original_get  # type: ignore[method-assign]
        results["b"] = b.acquire()
        return seen

    gw.get_custom_api = get_then_b_wins  # type: ignore[method-assign]
    results["c"] = c.acquire()
    assert results == {"b": True, "c": False}
    assert gw.custom_apis[c.name]["tags"][HOLDER_TAG] == "host-b"


def test_simultaneous_create_has_one_winner() -> None:
    gw, clock = InMemoryTarget(), Clock()
    a, b = make(gw, "host-a", clock), make(gw, "host-b", clock)
    # Both see "no marker"; b's create lands between a's read and a's create: a's If-None-Match fails.
    real_get = gw.get_custom_api
    results: dict[str, bool] = {}

    def get_then_b_creates(name: str) -> dict[str, Any] | None:
        seen = real_get(name)
        gw.get_custom_api = real_get  # type: ignore[method-assign]
        results["b"] = b.acquire()
        return seen

    gw.get_custom_api = get_then_b_creates  # type: ignore[method-assign]
    results["a"] = a.acquire()
    assert results == {"b": True, "a": False}
    assert a.seen_holder == "host-b"
    assert gw.custom_apis[a.name]["tags"][HOLDER_TAG] == "host-b"


def test_unreadable_expiry_counts_as_expired() -> None:
    record = LeaseRecord.from_resource({"tags": {HOLDER_TAG: "x", EXPIRES_TAG: "tomorrow"}, "etag": "1"})
    assert record.expires == 0.0


def test_lease_name_is_a_valid_arm_name_and_marker_detection() -> None:
    assert lease_name("dev") == "connectorops-lease-dev"
    assert len(lease_name("e" * 200)) == 80
    assert not is_lease_marker({"name": "orders", "tags": {HOLDER_TAG: "x"}})
    assert not is_lease_marker({"name": "connectorops-lease-dev", "tags": {}})


def test_other_gateway_errors_propagate() -> None:
    gw, clock = InMemoryTarget(), Clock()

    def boom(name: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        raise GatewayError("throttled", status=429)

    gw.put_custom_api = boom  # type: ignore[method-assign]
    with pytest.raises(GatewayError, match="throttled"):
        make(gw, "a", clock).acquire()


def test_takeover_is_read_back_when_the_endpoint_ignores_conditional_headers() -> None:
    class Careless(InMemoryTarget):
        def put_custom_api(self, name: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
            return super().put_custom_api(name, body)  # If-Match / If-None-Match dropped on the floor

    gw, clock = Careless(), Clock()
    a, b = make(gw, "host-a", clock), make(gw, "host-b", clock)
    real_put = gw.put_custom_api

    def put_then_b_overwrites(name: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
        written = real_put(name, body, **kw)
        gw.put_custom_api = real_put  # type: ignore[method-assign]
        real_put(name, b._body("host-b", clock.now + 30))  # b's create lands right after a's
        return written

    gw.put_custom_api = put_then_b_overwrites  # type: ignore[method-assign]
    assert a.acquire() is False  # a's read-back sees b's write: a does not believe it holds the lease
    assert a.seen_holder == "host-b"
