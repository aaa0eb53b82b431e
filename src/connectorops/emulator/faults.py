"""Seeded fault injection for the emulator: 500/503 answers, connection resets, lost replies, latency.

A reset drops the connection before the request is served; a lost reply serves it (the write
happens) and then drops the connection without answering, as a reply lost on the network looks.

Each HTTP verb draws from its own RNG seeded from (seed, verb), so the sequence of faults a
verb sees is reproducible however the verbs interleave across threads.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["none", "error_500", "error_503", "reset", "lost_reply"]


@dataclass(frozen=True)
class VerbFaults:
    """Probabilities (0..1) for one verb. Latency is added before the answer (or the fault)."""

    error_500: float = 0.0
    error_503: float = 0.0
    reset: float = 0.0
    lost_reply: float = 0.0
    latency: float = 0.0
    latency_seconds: float = 0.05

    def __post_init__(self) -> None:
        for name in ("error_500", "error_503", "reset", "lost_reply", "latency"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault probability {name}={value} is outside 0..1")
        if self.error_500 + self.error_503 + self.reset + self.lost_reply > 1.0:
            raise ValueError("error_500 + error_503 + reset + lost_reply must not exceed 1")


@dataclass(frozen=True)
class FaultConfig:
    """Rates per verb; `scripted` forces the first requests of a verb (tests that need one exact fault)."""

    seed: int = 0
    per_verb: Mapping[str, VerbFaults] = field(default_factory=dict)
    default: VerbFaults = field(default_factory=VerbFaults)
    scripted: Mapping[str, Sequence[FaultKind]] = field(default_factory=dict)

    def for_verb(self, verb: str) -> VerbFaults:
        return self.per_verb.get(verb.upper(), self.default)


@dataclass(frozen=True)
class FaultDecision:
    kind: FaultKind
    delay: float  # seconds to sleep before answering


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rngs: dict[str, random.Random] = {}
        self._scripted = {verb.upper(): list(kinds) for verb, kinds in config.scripted.items()}
        self._lock = threading.Lock()
        self.injected: dict[FaultKind, int] = {
            "none": 0, "error_500": 0, "error_503": 0, "reset": 0, "lost_reply": 0,
        }  # fmt: skip

    def decide(self, verb: str) -> FaultDecision:
        verb = verb.upper()
        faults = self.config.for_verb(verb)
        with self._lock:
            rng = self._rngs.get(verb)
            if rng is None:
                rng = self._rngs[verb] = random.Random(f"{self.config.seed}:{verb}")
            # Always draw twice so one verb's sequence does not depend on which branch was taken.
            latency_draw, fault_draw = rng.random(), rng.random()
            delay = faults.latency_seconds if latency_draw < faults.latency else 0.0
            kind: FaultKind = "none"
            if fault_draw < faults.error_500:
                kind = "error_500"
            elif fault_draw < faults.error_500 + faults.error_503:
                kind = "error_503"
            elif fault_draw < faults.error_500 + faults.error_503 + faults.reset:
                kind = "reset"
            elif fault_draw < faults.error_500 + faults.error_503 + faults.reset + faults.lost_reply:
                kind = "lost_reply"
            script = self._scripted.get(verb)
            if script:
                kind = script.pop(0)
            self.injected[kind] += 1
        return FaultDecision(kind, delay)
