"""ARM request throttling as the emulator applies it: token buckets per subscription and operation class.

Mirrors ARM's regional limits (reads 250 refilled 25/s; writes and deletes 200 refilled 10/s);
off by default. The clock is injected so the buckets can be tested without sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

OperationClass = Literal["reads", "writes", "deletes"]
Clock = Callable[[], float]


@dataclass(frozen=True)
class BucketSpec:
    capacity: float
    refill_per_second: float


@dataclass(frozen=True)
class ThrottleConfig:
    """Bucket sizes per operation class. ARM's defaults; pass smaller ones to provoke 429s."""

    reads: BucketSpec = field(default_factory=lambda: BucketSpec(250, 25))
    writes: BucketSpec = field(default_factory=lambda: BucketSpec(200, 10))
    deletes: BucketSpec = field(default_factory=lambda: BucketSpec(200, 10))

    def spec(self, operation: OperationClass) -> BucketSpec:
        return {"reads": self.reads, "writes": self.writes, "deletes": self.deletes}[operation]


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    remaining: int  # whole tokens left after this request (the x-ms-ratelimit-remaining-* value)
    retry_after: float  # seconds until one token is available again (0 when allowed)


class TokenBucket:
    """Classic token bucket: starts full, refills continuously, one token per request."""

    def __init__(self, spec: BucketSpec, clock: Clock) -> None:
        if spec.capacity <= 0 or spec.refill_per_second <= 0:
            raise ValueError("bucket capacity and refill rate must be positive")
        self._spec = spec
        self._clock = clock
        self._tokens = float(spec.capacity)
        self._updated = clock()

    def take(self) -> ThrottleDecision:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._spec.capacity, self._tokens + elapsed * self._spec.refill_per_second)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return ThrottleDecision(True, int(self._tokens), 0.0)
        missing = 1.0 - self._tokens
        return ThrottleDecision(False, 0, missing / self._spec.refill_per_second)


def operation_class(verb: str) -> OperationClass:
    if verb == "DELETE":
        return "deletes"
    if verb in ("GET", "HEAD", "OPTIONS"):
        return "reads"
    return "writes"


def retry_after_header(seconds: float) -> str:
    """ARM sends whole seconds; never 0, or a client would retry at once and be refused again."""
    return str(max(1, math.ceil(seconds)))


class Throttle:
    """Buckets keyed by (subscription, operation class), created on first use."""

    def __init__(self, config: ThrottleConfig, clock: Clock = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._buckets: dict[tuple[str, OperationClass], TokenBucket] = {}
        self._lock = threading.Lock()
        self.refused = 0  # 429s answered, for tests and benchmarks

    def check(self, subscription: str, verb: str) -> tuple[OperationClass, ThrottleDecision]:
        operation = operation_class(verb)
        with self._lock:
            key = (subscription.lower(), operation)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(self.config.spec(operation), self._clock)
            decision = bucket.take()
            if not decision.allowed:
                self.refused += 1
        return operation, decision
