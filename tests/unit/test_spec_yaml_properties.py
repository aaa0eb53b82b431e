"""Property tests: the located loader agrees with PyYAML on ordinary data, locates every value,
and never fails with anything but SpecError, whatever the bytes."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectorops.errors import SpecError
from connectorops.spec.loader import load_yaml

keys = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"), min_size=1)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
documents = st.dictionaries(
    keys,
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4)),
    min_size=1,
    max_size=6,
)


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans())
def test_round_trips_and_locates_every_value(document: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, width=10_000)
    loaded, source_map = load_yaml(text.encode(), "x.yaml")
    assert loaded == yaml.safe_load(text)  # PyYAML itself does not round-trip a few line-break characters
    lines = len(re.split("\r\n|[\n\r\x85\u2028\u2029]", text))  # YAML's line breaks
    for path in paths(loaded):
        position = source_map.locate(path)
        assert position is not None, path
        assert 1 <= position[0] <= lines and position[1] >= 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_load_or_raise_spec_error(data: bytes) -> None:
    try:
        load_yaml(data, "x.yaml")
    except SpecError as error:
        assert error.problem.file == "x.yaml"
        assert error.problem.message


yaml_pieces = st.sampled_from(list("[]{}:-&*!|>'\"#%@`,? \n\t<=abc01.~") + ["&a ", "*a", "<<: ", "---\n", "!!str "])
yamlish = st.lists(yaml_pieces, max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(yamlish)
def test_arbitrary_yaml_syntax_loads_or_raises_spec_error(text: str) -> None:
    try:
        load_yaml(text.encode(), "x.yaml")
    except SpecError as error:
        assert error.problem.file == "x.yaml"
        assert error.problem.message
