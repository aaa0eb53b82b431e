"""openapi_clean proves a document clean only when openapi-spec-validator finds nothing in it.

The property is checked three ways: on every document of the shared corpus, on documents built to
hit each finding the reference can report, and on seeded random mutations of a rich document.
A proof that fails costs only time (the reference runs); a proof that is wrong would change a verdict.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, corpus_repo

from connectorops.commands.validate import validate_repository
from connectorops.definitions import openapi
from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.openapi_clean import keyword_pass_clean, schema_pass_clean
from connectorops.spec.source import FileSystemTree


def _reference(document: Any) -> tuple[list[str], list[str]]:
    """openapi-spec-validator's two passes, as messages; a crash is a message too."""
    from openapi_spec_validator import OpenAPIV2SpecValidator

    validator = OpenAPIV2SpecValidator(document)
    passes: list[list[str]] = []
    schema_pass = lambda: validator.schema_validator.iter_errors(document)  # noqa: E731
    keyword_pass = lambda: validator.root_validator(validator.schema_path)  # noqa: E731
    for run in (schema_pass, keyword_pass):
        try:
            passes.append([e.message for e in run()])
        except Exception as crash:
            passes.append([f"crash: {crash!r}"])
    return passes[0], passes[1]


def _assert_sound(document: Any) -> tuple[bool, bool]:
    schema_errors, keyword_errors = _reference(document)
    proven = schema_pass_clean(document), keyword_pass_clean(document)
    assert not (proven[0] and schema_errors), schema_errors
    assert not (proven[1] and keyword_errors), keyword_errors
    return proven


BASE: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Orders", "version": "1.0"},
    "host": "orders.contoso.com",
    "basePath": "/api",
    "schemes": ["https"],
    "tags": [{"name": "orders"}, {"name": "items"}],
    "paths": {
        "/orders/{id}": {
            "parameters": [{"$ref": "#/parameters/id"}],
            "get": {
                "operationId": "GetOrder",
                "parameters": [{"name": "expand", "in": "query", "type": "string", "default": "none",
                                "enum": ["none", "items"], "x-ms-visibility": "internal"}],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Order"}},
                              "default": {"$ref": "#/responses/Problem"}},
            },
            "put": {
                "operationId": "PutOrder",
                "parameters": [{"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Order"}}],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Order"}}},
            },
        }
    },
    "parameters": {"id": {"name": "id", "in": "path", "required": True, "type": "string", "pattern": "^[a-z]+$"}},
    "responses": {"Problem": {"description": "a problem", "schema": {"type": "object"}}},
    "definitions": {
        "Order": {
            "allOf": [{"$ref": "#/definitions/Base"}],
            "required": ["id", "total"],
            "properties": {"total": {"type": "number", "default": 0},
                           "items": {"type": "array", "items": {"$ref": "#/definitions/Order"}},
                           "state": {"type": "string", "default": "open", "pattern": "^[a-z]+$"}},
        },
        "Base": {"type": "object", "properties": {"id": {"type": "string"}}},
    },
}  # fmt: skip


def test_a_rich_clean_document_is_proven_clean_without_the_reference() -> None:
    assert _assert_sound(BASE) == (True, True)
    assert validate_openapi(copy.deepcopy(BASE), "d.json") == []


def _operation(document: dict[str, Any], method: str = "get") -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"]["/orders/{id}"][method]
    return operation


def _duplicate_operation_id(d: dict[str, Any]) -> None:
    _operation(d, "put")["operationId"] = "GetOrder"


def _unresolved_path_parameter(d: dict[str, Any]) -> None:
    d["paths"]["/orders/{id}/{line}"] = d["paths"].pop("/orders/{id}")


def _duplicate_parameter(d: dict[str, Any]) -> None:
    _operation(d)["parameters"].append(dict(_operation(d)["parameters"][0]))


def _duplicate_tag(d: dict[str, Any]) -> None:
    d["tags"].append({"name": "orders"})


def _bad_parameter_default(d: dict[str, Any]) -> None:
    _operation(d)["parameters"][0]["default"] = "all"


def _bad_schema_default(d: dict[str, Any]) -> None:
    d["definitions"]["Order"]["properties"]["total"]["default"] = "zero"


def _default_against_pattern(d: dict[str, Any]) -> None:
    d["definitions"]["Order"]["properties"]["state"]["default"] = "Open"


def _required_not_declared(d: dict[str, Any]) -> None:
    d["definitions"]["Order"]["required"].append("customer")


def _bad_regex_in_schema(d: dict[str, Any]) -> None:
    d["responses"]["Problem"]["schema"]["pattern"] = "([a-z]"


def _float_where_an_integer_is_required(d: dict[str, Any]) -> None:
    d["parameters"]["id"]["maxLength"] = 10.0


def _unknown_top_level_key(d: dict[str, Any]) -> None:
    d["servers"] = [{"url": "https://orders.contoso.com"}]


def _schema_not_an_object(d: dict[str, Any]) -> None:
    d["responses"]["Problem"]["schema"] = ["object"]


def _parameter_without_in(d: dict[str, Any]) -> None:
    del d["parameters"]["id"]["in"]


def _response_without_description(d: dict[str, Any]) -> None:
    del d["responses"]["Problem"]["description"]


def _tuple_for_an_array(d: dict[str, Any]) -> None:
    d["schemes"] = ("https",)  # no parser makes one; jsonschema-rs would take it for an array


def _ref_at_the_root(d: dict[str, Any]) -> None:
    d["$ref"] = "#/x-elsewhere"  # jsonschema-path follows it: the keyword pass then walks these paths
    d["x-elsewhere"] = {"paths": {"/a/{b}": {"get": {"responses": {}}}}}
    del _operation(d)["parameters"][0]["default"]  # no default check, which would stumble on the ref by chance
    for schema in d["definitions"]["Order"]["properties"].values():
        schema.pop("default", None)


def _duplicate_enum_value(d: dict[str, Any]) -> None:
    _operation(d)["parameters"][0]["enum"] = ["none", "items", "none"]  # jsonschema-rs's own Draft 4 copy allows it


def _dangling_ref_as_required(d: dict[str, Any]) -> None:
    d["definitions"]["Base"]["properties"]["id"]["required"] = {"$ref": "#/definitions/Nowhere"}  # read, not used


def _dangling_ref_as_nullable(d: dict[str, Any]) -> None:
    d["definitions"]["Order"]["properties"]["total"]["nullable"] = {"$ref": "#/definitions/Nowhere"}


def _tuple_in_a_schema(d: dict[str, Any]) -> None:
    d["responses"]["Problem"]["schema"]["required"] = ("id",)  # the keyword pass's meta-check must see it


FINDINGS = [_duplicate_operation_id, _unresolved_path_parameter, _duplicate_parameter, _duplicate_tag,
            _bad_parameter_default, _bad_schema_default, _default_against_pattern, _required_not_declared,
            _bad_regex_in_schema, _float_where_an_integer_is_required, _unknown_top_level_key,
            _schema_not_an_object, _parameter_without_in, _response_without_description,
            _tuple_for_an_array, _tuple_in_a_schema, _ref_at_the_root, _duplicate_enum_value,
            _dangling_ref_as_required, _dangling_ref_as_nullable]  # fmt: skip


@pytest.mark.parametrize("change", FINDINGS, ids=lambda f: f.__name__.strip("_"))
def test_a_document_the_reference_reports_on_is_never_proven_clean(change: Any) -> None:
    document = copy.deepcopy(BASE)
    change(document)
    schema_errors, keyword_errors = _reference(document)
    assert schema_errors or keyword_errors  # the change really is a finding
    assert _assert_sound(document) != (True, True)
    assert validate_openapi(document, "d.json") != []  # and validate reports it


def _mutate(document: Any, rng: random.Random) -> None:
    """One random edit at a random node: delete, retype, duplicate or rename something."""
    nodes: list[tuple[Any, Any]] = []
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        for key in keys:
            nodes.append((node, key))
            stack.append(node[key])
    parent, key = rng.choice(nodes)
    values: list[Any] = [None, "x", "{id}", 10, 10.0, True, [], {}, ["a", "a"], {"$ref": "#/definitions/Base"},
                         {"$ref": "#/definitions/Nowhere"}, {"type": "string", "default": 3}, "path"]  # fmt: skip
    action = rng.randrange(4)
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 1 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    elif action == 2 and isinstance(parent, dict):
        keys = ["name", "in", "default", "required", "operationId", "allOf", "items", "$ref", "nullable", "enum",
                "properties", "schema", "parameters", "responses", "tags", "pattern", "type", "not"]  # fmt: skip
        parent[rng.choice(keys)] = copy.deepcopy(rng.choice(values))
    else:
        parent[key] = copy.deepcopy(rng.choice(values))


def test_random_mutations_are_never_proven_clean_when_the_reference_reports() -> None:
    rng = random.Random(13)
    proven = reported = 0
    for _ in range(150):
        document = copy.deepcopy(BASE)
        for _ in range(rng.randint(1, 3)):
            _mutate(document, rng)
        schema_ok, keyword_ok = _assert_sound(document)
        proven += schema_ok and keyword_ok
        reported += not (schema_ok and keyword_ok)
    assert proven > 10 and reported > 50  # both outcomes exercised


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_every_corpus_document_proven_clean_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documents exactly as validate hands them over: bundled, converted from Postman, from paconn folders."""
    repo = tmp_path / "repo"
    corpus_repo(repo)
    documents: list[Any] = []

    def recorded(swagger: Any) -> bool:
        documents.append(json.loads(json.dumps(swagger)))  # a copy: the walk must not see later edits
        return schema_pass_clean(swagger)

    monkeypatch.setattr(openapi, "schema_pass_clean", recorded)
    validate_repository(FileSystemTree(repo), repo, None)
    assert len(documents) > 80
    proven = [_assert_sound(document) for document in documents]
    assert sum(all(p) for p in proven) > 70  # the reference ran for only a handful
