"""The fast paths of parse_json and bundle_refs answer exactly what the checked paths answer.

parse_json parses first and checks only a clean result; bundle_refs copies a document whose refs are
all internal and resolve. Anything else takes the checked path: same errors, same places.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectorops.definitions.documents import MAX_NESTING, parse_json
from connectorops.definitions.refs import bundle_refs
from connectorops.errors import DefinitionError


def _nested(depth: int, inner: str = "") -> bytes:
    return ("[" * depth + inner + "]" * depth).encode()


def test_nesting_at_the_limit_parses_and_one_more_is_refused_at_its_bracket() -> None:
    assert parse_json(_nested(MAX_NESTING), "d.json")[0] is not None
    assert parse_json(_nested(MAX_NESTING, "1"), "d.json")[0] is not None
    with pytest.raises(DefinitionError) as refused:
        parse_json(_nested(MAX_NESTING + 1), "d.json")  # empty innermost array: still one level too many
    assert (refused.value.problem.line, refused.value.problem.column) == (1, MAX_NESTING + 1)


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"a": "' + "[" * (MAX_NESTING + 5) + '"}'
    assert parse_json(text.encode(), "d.json")[0] == {"a": "[" * (MAX_NESTING + 5)}


def test_a_lone_surrogate_in_otherwise_valid_json_is_refused_with_its_place() -> None:
    with pytest.raises(DefinitionError, match="half of a UTF-16 surrogate pair") as refused:
        parse_json(b'{\n  "title": "x\\ud800"\n}', "d.json")
    assert (refused.value.problem.line, refused.value.problem.column) == (2, 14)
    assert parse_json(b'{"title": "\\ud83d\\ude00"}', "d.json")[0] == {"title": "\U0001f600"}  # a pair is fine


def test_lenient_json_still_warns() -> None:
    value, warnings = parse_json(b'{"a": [1, 2,], // note\n "b": 1}', "d.json", lenient=True)
    assert value == {"a": [1, 2], "b": 1} and [w.code for w in warnings] == ["LenientJson"]


def _read_nothing(path: str) -> Any:
    raise AssertionError(f"no file should be read, asked for {path}")


DOCUMENT: dict[str, Any] = {
    "paths": {"/a": {"get": {"responses": {"200": {"schema": {"$ref": "#/definitions/A"}}}}}},
    "definitions": {"A": {"type": "object", "properties": {"b": {"$ref": "#/definitions/B"}}}, "B": {"type": "string"}},
    "x-codes": [1, 1.0, True, None],
}


def test_internal_refs_only_give_an_equal_independent_copy() -> None:
    bundled = bundle_refs(DOCUMENT, file="c/d.json", folder="c", read=_read_nothing)
    assert bundled == DOCUMENT
    assert [type(v) for v in bundled["x-codes"]] == [int, float, bool, type(None)]
    bundled["definitions"]["A"]["properties"]["b"]["$ref"] = "#/definitions/C"
    assert DOCUMENT["definitions"]["A"]["properties"]["b"]["$ref"] == "#/definitions/B"


@pytest.mark.parametrize(
    ("ref", "field"),
    [("#/definitions/Missing", "/definitions/A/properties/b/$ref"), ("", "/definitions/A/properties/b/$ref")],
)
def test_a_dangling_internal_ref_is_reported_where_it_is(ref: str, field: str) -> None:
    document = {**DOCUMENT, "definitions": {**DOCUMENT["definitions"], "A": {"properties": {"b": {"$ref": ref}}}}}
    with pytest.raises(DefinitionError, match="points to nothing") as refused:
        bundle_refs(document, file="c/d.json", folder="c", read=_read_nothing)
    assert refused.value.problem.field == field


def test_a_file_ref_is_still_inlined() -> None:
    document = {"definitions": {"A": {"$ref": "models.json#/Pet"}}}
    bundled = bundle_refs(document, file="c/d.json", folder="c", read=lambda path: {"Pet": {"type": "object"}})
    assert bundled == {"definitions": {"A": {"type": "object"}}}
