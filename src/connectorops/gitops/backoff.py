"""When to try again after failures: jittered exponential backoff and a circuit breaker.

After `threshold` consecutive failures the breaker opens and the controller stops hammering git/ARM
for a cool-down; then one trial run (half-open) decides whether it closes again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


def jittered_backoff(failures: int, *, initial: float, maximum: float, rng: random.Random | None = None) -> float:
    """'Full jitter' wait after the n-th consecutive failure: uniform in [initial/2, min(max, initial*2^(n-1))]."""
    if failures <= 0:
        return 0.0
    ceiling = min(maximum, initial * 2 ** min(failures - 1, 30))
    return (rng or random).uniform(min(initial, ceiling) / 2, ceiling)


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass
class CircuitBreaker:
    """Counts consecutive failures; open for `cooldown` seconds (doubling up to `max_cooldown`) after `threshold`."""

    threshold: int = 5
    cooldown: float = 60.0
    max_cooldown: float = 1800.0
    failures: int = 0
    opened_until: float | None = None
    trips: int = 0  # times it opened since the last success

    def state(self, now: float) -> CircuitState:
        if self.opened_until is None:
            return CircuitState.CLOSED
        return CircuitState.OPEN if now < self.opened_until else CircuitState.HALF_OPEN

    def allows(self, now: float) -> bool:
        return self.state(now) != CircuitState.OPEN

    def record_success(self) -> None:
        self.failures = 0
        self.trips = 0
        self.opened_until = None

    def record_failure(self, now: float) -> None:
        self.failures += 1
        half_open = self.opened_until is not None
        if half_open or self.failures >= self.threshold:
            self.trips += 1
            wait = min(self.max_cooldown, self.cooldown * 2 ** (self.trips - 1))
            self.opened_until = now + wait
