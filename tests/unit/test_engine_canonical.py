"""Canonical JSON: key order and number spelling never change the bytes."""

from __future__ import annotations

from connectorops.canonical import body_fingerprint, canonical_json, semantically_equal


def test_sorted_compact_and_integral_floats_normalised() -> None:
    assert canonical_json({"b": 1.0, "a": [2, {"d": 1, "c": 0.5}]}) == '{"a":[2,{"c":0.5,"d":1}],"b":1}'


def test_semantic_equality_ignores_order_not_values() -> None:
    assert semantically_equal({"x": [1, 2], "y": 1}, {"y": 1.0, "x": [1, 2]})
    assert not semantically_equal({"x": [1, 2]}, {"x": [2, 1]})


def test_fingerprint_leaves_out_volatile_tags_only() -> None:
    body = {"properties": {"a": 1}, "tags": {"managed-by": "connectorops", "connectorops-commit": "x"}}
    same = {"properties": {"a": 1}, "tags": {"managed-by": "connectorops", "connectorops-fingerprint": "y"}}
    other = {"properties": {"a": 1}, "tags": {"managed-by": "someone"}}
    assert body_fingerprint(body) == body_fingerprint(same)
    assert body_fingerprint(body) != body_fingerprint(other)
    assert body["tags"]["connectorops-commit"] == "x"  # input not mutated
