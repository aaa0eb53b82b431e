"""Property tests: canonical JSON ignores key order; the field diff is empty exactly for equal values."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectorops.canonical import canonical_json
from connectorops.engine.diff import FieldChange, diff_values

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)
documents = st.dictionaries(st.text(max_size=6), json_values, max_size=5)


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _pruned(value: Any) -> Any:
    """The value with every "not set" member (None, "", [], {} or all-unset objects) removed."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    return value


@settings(max_examples=150, deadline=None)
@given(documents, st.integers(0, 1000))
def test_canonical_json_ignores_key_order(doc: dict[str, Any], seed: int) -> None:
    assert canonical_json(doc) == canonical_json(_shuffled(doc, random.Random(seed)))


@settings(max_examples=150, deadline=None)
@given(documents, st.integers(0, 1000))
def test_a_document_never_differs_from_itself_reordered(doc: dict[str, Any], seed: int) -> None:
    changes: list[FieldChange] = []
    diff_values("root", doc, _shuffled(doc, random.Random(seed)), changes)
    assert changes == []


@settings(max_examples=300, deadline=None)
@given(documents, documents)
def test_diff_is_empty_exactly_when_equal_up_to_unset_values(left: dict[str, Any], right: dict[str, Any]) -> None:
    changes: list[FieldChange] = []
    diff_values("root", left, right, changes)
    assert (changes == []) == (canonical_json(_pruned(left)) == canonical_json(_pruned(right)))
