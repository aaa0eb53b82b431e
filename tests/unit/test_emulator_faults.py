"""Seeded fault injection: reproducible per verb, probabilities honoured, bad configs refused."""

from __future__ import annotations

import pytest

from connectorops.emulator.faults import FaultConfig, FaultInjector, VerbFaults

NOISY = FaultConfig(
    seed=42,
    per_verb={
        "GET": VerbFaults(error_503=0.2, reset=0.1, latency=0.3, latency_seconds=0.01),
        "PUT": VerbFaults(error_500=0.25),
    },
)


def _sequence(injector: FaultInjector, verb: str, n: int) -> list[tuple[str, float]]:
    return [(d.kind, d.delay) for d in (injector.decide(verb) for _ in range(n))]


def test_same_seed_gives_the_same_sequence_per_verb_regardless_of_interleaving() -> None:
    alone = _sequence(FaultInjector(NOISY), "GET", 200)
    mixed_injector = FaultInjector(NOISY)
    mixed: list[tuple[str, float]] = []
    for _ in range(200):
        mixed_injector.decide("PUT")  # other verbs in between must not shift GET's sequence
        mixed.append(_sequence(mixed_injector, "get", 1)[0])
    assert mixed == alone


def test_different_seeds_give_different_sequences() -> None:
    other = FaultConfig(seed=43, per_verb=NOISY.per_verb)
    assert _sequence(FaultInjector(NOISY), "GET", 200) != _sequence(FaultInjector(other), "GET", 200)


def test_frequencies_follow_the_configured_probabilities() -> None:
    injector = FaultInjector(NOISY)
    n = 4000
    kinds = [kind for kind, _ in _sequence(injector, "GET", n)]
    assert kinds.count("error_503") / n == pytest.approx(0.2, abs=0.03)
    assert kinds.count("reset") / n == pytest.approx(0.1, abs=0.03)
    assert kinds.count("error_500") == 0
    delays = [delay for _, delay in _sequence(FaultInjector(NOISY), "GET", n)]
    assert sum(1 for d in delays if d) / n == pytest.approx(0.3, abs=0.03)
    assert set(delays) == {0.0, 0.01}
    assert injector.injected["error_503"] == kinds.count("error_503")


def test_verbs_without_faults_never_fail() -> None:
    injector = FaultInjector(NOISY)
    assert {kind for kind, _ in _sequence(injector, "DELETE", 500)} == {"none"}


@pytest.mark.parametrize(
    "faults",
    [
        {"error_500": 1.5},
        {"reset": -0.1},
        {"error_500": 0.6, "error_503": 0.6},
    ],
)
def test_impossible_probabilities_are_refused(faults: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        VerbFaults(**faults)


def test_lost_replies_are_drawn_at_their_rate_after_the_other_faults() -> None:
    config = FaultConfig(seed=7, per_verb={"PUT": VerbFaults(error_503=0.1, lost_reply=0.1)})
    n = 4000
    kinds = [kind for kind, _ in _sequence(FaultInjector(config), "PUT", n)]
    assert kinds.count("lost_reply") / n == pytest.approx(0.1, abs=0.03)
    assert kinds.count("error_503") / n == pytest.approx(0.1, abs=0.03)
    with pytest.raises(ValueError, match="lost_reply"):
        VerbFaults(reset=0.6, lost_reply=0.6)


def test_scripted_faults_come_first_in_order_then_the_rates() -> None:
    injector = FaultInjector(FaultConfig(scripted={"patch": ["reset", "lost_reply"]}))
    assert [kind for kind, _ in _sequence(injector, "PATCH", 4)] == ["reset", "lost_reply", "none", "none"]
    assert _sequence(injector, "PUT", 1) == [("none", 0.0)]
    assert injector.injected["reset"] == 1 and injector.injected["lost_reply"] == 1
