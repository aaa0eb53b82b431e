"""Token buckets of the emulator's ARM throttling, driven by an injected clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectorops.emulator.throttle import (
    BucketSpec,
    Throttle,
    ThrottleConfig,
    TokenBucket,
    operation_class,
    retry_after_header,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_starts_full_and_refuses_when_empty() -> None:
    clock = FakeClock()
    bucket = TokenBucket(BucketSpec(capacity=3, refill_per_second=1), clock)
    decisions = [bucket.take() for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert decisions[3].retry_after == pytest.approx(1.0)


def test_bucket_refills_continuously_but_never_beyond_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(BucketSpec(capacity=2, refill_per_second=4), clock)
    bucket.take()
    bucket.take()
    clock.now += 0.125  # half a token
    refused = bucket.take()
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(0.125)
    clock.now += 10  # far more than capacity
    assert [bucket.take().allowed for _ in range(3)] == [True, True, False]


def test_clock_going_backwards_adds_no_tokens() -> None:
    clock = FakeClock()
    bucket = TokenBucket(BucketSpec(capacity=1, refill_per_second=1), clock)
    bucket.take()
    clock.now -= 50
    assert not bucket.take().allowed


def test_invalid_bucket_spec_is_rejected() -> None:
    with pytest.raises(ValueError):
        TokenBucket(BucketSpec(capacity=0, refill_per_second=1), FakeClock())


def test_buckets_are_separate_per_subscription_and_operation_class() -> None:
    clock = FakeClock()
    one = BucketSpec(capacity=1, refill_per_second=0.5)
    throttle = Throttle(ThrottleConfig(reads=one, writes=one, deletes=one), clock)
    assert throttle.check("sub-a", "PUT")[1].allowed
    assert not throttle.check("sub-a", "PATCH")[1].allowed  # PATCH shares the writes bucket
    assert throttle.check("sub-a", "GET")[1].allowed
    assert throttle.check("sub-a", "DELETE")[1].allowed
    assert throttle.check("SUB-B", "PUT")[1].allowed
    assert not throttle.check("sub-b", "PUT")[1].allowed  # subscription ids compare case-insensitively
    assert throttle.refused == 2


def test_arm_default_limits() -> None:
    config = ThrottleConfig()
    assert (config.reads.capacity, config.reads.refill_per_second) == (250, 25)
    assert (config.writes.capacity, config.writes.refill_per_second) == (200, 10)
    assert (config.deletes.capacity, config.deletes.refill_per_second) == (200, 10)


@pytest.mark.parametrize(
    ("verb", "expected"),
    [
        ("GET", "reads"),
        ("HEAD", "reads"),
        ("PUT", "writes"),
        ("PATCH", "writes"),
        ("POST", "writes"),
        ("DELETE", "deletes"),
    ],
)
def test_operation_class_of_verbs(verb: str, expected: str) -> None:
    assert operation_class(verb) == expected


@pytest.mark.parametrize(("seconds", "header"), [(0.0, "1"), (0.01, "1"), (1.0, "1"), (1.2, "2"), (7.9, "8")])
def test_retry_after_is_whole_seconds_and_at_least_one(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


@given(
    capacity=st.integers(min_value=1, max_value=50),
    rate=st.floats(min_value=0.5, max_value=100),
    gaps=st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200),
)
def test_bucket_never_admits_more_than_capacity_plus_refill(capacity: int, rate: float, gaps: list[float]) -> None:
    clock = FakeClock()
    bucket = TokenBucket(BucketSpec(capacity=capacity, refill_per_second=rate), clock)
    start = clock.now
    admitted = 0
    for gap in gaps:
        clock.now += gap
        decision = bucket.take()
        if decision.allowed:
            admitted += 1
        else:
            assert decision.retry_after > 0
    assert admitted <= capacity + rate * (clock.now - start) + 1e-9
