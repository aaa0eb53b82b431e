"""What openapi.py refuses (structure) and tolerates (value nits Microsoft's service accepts); JSON/YAML parsing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectorops.definitions.documents import MAX_DEFINITION_BYTES, parse_document, parse_json, strip_jsonc
from connectorops.definitions.openapi import validate_openapi
from connectorops.errors import ConnectoropsError, DefinitionError, Severity

BASE: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "T", "version": "1"},
    "host": "a.example.com",
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "GetItem",
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def variant(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    document.update(changes)
    return document


def severities(document: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(str(p.severity), p.code) for p in validate_openapi(document, "d.json")]


def test_valid_document_has_no_problems() -> None:
    assert validate_openapi(BASE, "d.json") == []


def test_wrong_default_type_is_a_warning_but_an_error_when_strict() -> None:
    document = variant()
    document["paths"]["/items/{id}"]["get"]["parameters"].append(
        {"name": "flag", "in": "query", "type": "boolean", "default": "false"}
    )
    problems = validate_openapi(document, "d.json")
    assert [(p.severity, "'false' is not of type 'boolean'" in p.message) for p in problems] == [
        (Severity.WARNING, True)
    ]
    assert [p.severity for p in validate_openapi(document, "d.json", strict=True)] == [Severity.ERROR]


def test_empty_responses_object_is_tolerated() -> None:
    document = variant()
    document["paths"]["/items/{id}"]["get"]["responses"] = {}
    assert {s for s, _ in severities(document)} == {"warning"}


def test_unresolved_path_parameter_is_an_error() -> None:
    document = variant()
    document["paths"]["/items/{id}"]["get"]["parameters"] = []
    assert ("error", "UnresolvableParameterError") in severities(document)


def test_duplicate_operation_id_is_an_error() -> None:
    document = variant()
    document["paths"]["/other"] = {"get": {"operationId": "GetItem", "responses": {"200": {"description": "ok"}}}}
    assert ("error", "DuplicateOperationIDError") in severities(document)


def test_openapi_3_is_refused_with_a_hint() -> None:
    problems = validate_openapi({"openapi": "3.0.1", "info": {}, "paths": {"/a": {"get": {}}}}, "d.yaml")
    assert [p.code for p in problems] == ["WrongOpenApiVersion"]
    assert "2.0" in (problems[0].hint or "")


def test_json_error_position_and_lenient_jsonc() -> None:
    text = b'{\n  // comment\n  "a": [1, 2,],\n  /* block\n  */ "b": "x // not a comment",\n}\n'
    value, warnings = parse_json(text, "p.json", lenient=True)
    assert value == {"a": [1, 2], "b": "x // not a comment"}
    assert [w.code for w in warnings] == ["LenientJson"] and warnings[0].line == 2
    with pytest.raises(DefinitionError) as caught:
        parse_json(text, "p.json")
    assert (caught.value.problem.line, caught.value.problem.column) == (2, 3)


def test_strip_jsonc_keeps_positions() -> None:
    text = '{"a": 1, // x\n"b": [2,]}'
    cleaned = strip_jsonc(text)
    assert len(cleaned) == len(text) and cleaned.count("\n") == text.count("\n")


def test_utf8_bom_is_accepted_and_other_encodings_are_not() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', "bom.json")[0] == {"a": 1}
    with pytest.raises(ConnectoropsError, match="UTF-8"):
        parse_json(b'{"a": "\xff"}', "latin.json")


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(DefinitionError, match=r"1,048,577 bytes, over the 1 MB limit \(1,048,576 bytes\)"):
        parse_document(b" " * (MAX_DEFINITION_BYTES + 1), "big.yaml")


def test_yaml_dates_and_integer_keys_become_json_strings() -> None:
    value, _ = parse_document(b"when: 2024-01-02\nresponses: {200: {description: ok}}\n", "a.yaml")
    assert value == {"when": "2024-01-02", "responses": {"200": {"description": "ok"}}}


def test_nan_is_not_json() -> None:
    with pytest.raises(ConnectoropsError):
        parse_json(b'{"a": NaN}', "n.json")
