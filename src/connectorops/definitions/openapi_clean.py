"""Fast proofs that openapi-spec-validator would find nothing in a document, so it need not run.

Each check answers True only when the reference pass is certain to report no finding (and not to
crash); any doubt answers False and the caller runs openapi-spec-validator itself, which alone
writes messages. So a verdict never depends on which path produced it, only the time does.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The keys under which openapi-spec-validator's keyword pass (validation/keywords.py) looks.
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_MAX_REF_CHAIN = 64


class _Unsure(Exception):
    """The fast check cannot prove the document clean: let the reference judge it."""


@functools.cache
def _swagger_schema_validator() -> Any | None:
    """jsonschema-rs compiled from the very Swagger 2.0 schema file openapi-spec-validator uses; None if absent."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    spec = importlib.util.find_spec("openapi_spec_validator")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    schema_file = Path(next(iter(spec.submodule_search_locations))) / "resources" / "schemas" / "v2.0" / "schema.json"
    schema = _with_local_meta_schema(json.loads(schema_file.read_text(encoding="utf-8")))
    meta = {**_reference_meta_schema(), "id": _LOCAL_META + "#"}
    # The reference builds its Draft 4 validator without a format checker: formats are not checked.
    return jsonschema_rs.Draft4Validator(
        schema, validate_formats=False, registry=jsonschema_rs.Registry([(_LOCAL_META, meta)])
    )


# The Swagger schema borrows definitions (enum, required, ...) from the Draft 4 meta-schema by URL.
# jsonschema-rs answers that URL with a copy of its own whose `enum` allows duplicates; Python's
# jsonschema uses jsonschema-specifications' copy, which does not. Both are pointed at the latter.
_DRAFT4_META = "http://json-schema.org/draft-04/schema"
_LOCAL_META = "urn:connectorops:reference-draft-04-schema"


def _reference_meta_schema() -> dict[str, Any]:
    from jsonschema_specifications import REGISTRY

    contents: dict[str, Any] = REGISTRY[_DRAFT4_META + "#"].contents
    return contents


def _with_local_meta_schema(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DRAFT4_META):
            node = {**node, "$ref": _LOCAL_META + ref[len(_DRAFT4_META) :]}
        return {k: _with_local_meta_schema(v) if k != "$ref" else v for k, v in node.items()}
    if isinstance(node, list):
        return [_with_local_meta_schema(v) for v in node]
    return node


def schema_pass_clean(swagger: Any) -> bool:
    """True when the Swagger 2.0 schema pass (jsonschema) certainly reports no error.

    jsonschema-rs is stricter than Python's jsonschema where the two differ (a float 10.0 is no
    Draft 4 integer, `\\d` and `$` match less), never looser; a value it cannot convert is a doubt.
    """
    validator = _swagger_schema_validator()
    if validator is None or not _json_values_only(swagger):
        return False
    try:
        return bool(validator.is_valid(swagger))
    except Exception:  # non-string keys, lone surrogates, huge integers: let the reference decide
        return False


_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def _json_values_only(document: Any) -> bool:
    """Only the types a JSON parser makes: jsonschema-rs takes a tuple for an array, Python's jsonschema does not."""
    stack = [document]
    while stack:
        node = stack.pop()
        if type(node) not in _JSON_TYPES:
            return False
        if type(node) is dict:
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return True


def keyword_pass_clean(swagger: Any) -> bool:
    """True when openapi-spec-validator's keyword pass (RootValidator) certainly yields nothing.

    It walks the same nodes as the reference (tags, paths, operations, parameters, responses and
    the schemas they reach), following local $refs the way jsonschema-path does, and runs the
    reference's own schema meta-check and default-value validator wherever the reference would.
    """
    if not isinstance(swagger, dict) or not _json_values_only(swagger):  # jsonschema-rs does the meta-check
        return False
    try:
        _KeywordWalk(swagger).root()
    except _Unsure:
        return False
    except Exception:  # whatever would surprise this walk may crash the reference too
        return False
    return True


class _KeywordWalk:
    """One document's walk; mirrors RootValidator, raising _Unsure where the reference could report."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.operation_ids: set[Any] = set()
        self.meta_checked: set[int] = set()
        self.visited: set[int] = set()
        self._schema_path: Any = None

    def root(self) -> None:
        document = self.document
        if "components" in document or "$ref" in document:  # the reference would walk elsewhere
            raise _Unsure
        if "tags" in document:
            names: set[str] = set()
            for tag in self._items(self._deref(document["tags"])):
                name = self._deref(self._mapping(self._deref(tag)).get("name"))
                if not isinstance(name, str) or name in names:
                    raise _Unsure
                names.add(name)
        if "paths" in document:
            paths = self._mapping(self._deref(document["paths"]))
            for url, item in paths.items():
                self._path_item(url, ("paths", url), self._mapping(self._deref(item)))

    def _path_item(self, url: Any, parts: tuple[Any, ...], item: dict[str, Any]) -> None:
        if not isinstance(url, str):
            raise _Unsure
        shared: list[Any] | None = None
        if "parameters" in item:
            shared = self._parameters(parts + ("parameters",), item["parameters"])
        for method, operation in item.items():
            if method in _OPERATIONS:
                self._operation(url, parts + (method,), self._mapping(self._deref(operation)), shared)

    def _operation(self, url: str, parts: tuple[Any, ...], operation: dict[str, Any], shared: list[Any] | None) -> None:
        if "operationId" in operation:
            operation_id = self._deref(operation["operationId"])
            if operation_id is not None:
                if not isinstance(operation_id, str) or operation_id in self.operation_ids:
                    raise _Unsure
                self.operation_ids.add(operation_id)
        if "responses" in operation:
            responses = self._mapping(self._deref(operation["responses"]))
            for code, response in responses.items():
                if not isinstance(code, str):
                    raise _Unsure
                response = self._mapping(self._deref(response))
                if "schema" in response:
                    self._schema(parts + ("responses", code, "schema"), response["schema"], top=True)
        names: list[str] = []
        if "parameters" in operation:
            names += self._path_names(self._parameters(parts + ("parameters",), operation["parameters"]))
        if shared is not None:
            names += self._path_names(shared)
        try:
            in_url = {field for _, field, _, _ in string.Formatter().parse(url) if field}
        except ValueError:  # unbalanced braces: the reference raises
            raise _Unsure from None
        if set(names) != in_url:
            raise _Unsure

    def _parameters(self, parts: tuple[Any, ...], node: Any) -> list[Any]:
        """ParametersValidator: each parameter's schema and default; (name, in) unique."""
        parameters = [self._mapping(self._deref(p)) for p in self._items(self._deref(node))]
        seen: set[tuple[Any, Any]] = set()
        for index, parameter in enumerate(parameters):
            if "schema" in parameter:
                self._schema(parts + (index, "schema"), parameter["schema"], top=True)
            if "default" in parameter:
                self._default(parts + (index,), self._deref(parameter["default"]))
            key = (parameter["name"], parameter["in"])
            if not all(isinstance(k, str) for k in key) or key in seen:
                raise _Unsure
            seen.add(key)
        return parameters

    def _path_names(self, parameters: list[Any]) -> list[str]:
        names = []
        for parameter in parameters:
            where, name = self._deref(parameter["in"]), self._deref(parameter["name"])
            if not isinstance(where, str) or not isinstance(name, str):
                raise _Unsure
            if where == "path":
                names.append(name)
        return names

    def _schema(self, parts: tuple[Any, ...], node: Any, *, top: bool = False) -> None:
        """SchemaValidator: meta-check at the top, then every subschema; required properties; defaults."""
        schema = self._deref(node)
        if not isinstance(schema, dict):  # booleans included: rare, and left to the reference
            raise _Unsure
        if top and id(schema) not in self.meta_checked:
            self.meta_checked.add(id(schema))
            _meta_check(schema)
        if id(schema) in self.visited:
            return
        self.visited.add(id(schema))
        for keyword in _SUBSCHEMA_LISTS:
            if keyword in schema:
                for index, inner in enumerate(self._items(self._deref(schema[keyword]))):
                    self._schema(parts + (keyword, index), inner)
        for keyword in ("not", "items"):
            if keyword in schema:
                self._schema(parts + (keyword,), schema[keyword])
        if "properties" in schema:
            for name, inner in self._mapping(self._deref(schema["properties"])).items():
                self._schema(parts + ("properties", name), inner)
        # The reference reads `required` (and `nullable` beside a default) of every schema: a dangling
        # $ref there crashes it, so they are followed here too, used or not.
        required = self._deref(schema["required"]) if "required" in schema else None
        if "allOf" in schema and required:  # the reference checks these only at the top; here at every level
            declared = set(self._mapping(self._deref(schema.get("properties", {}))))
            for inner in self._items(self._deref(schema["allOf"])):
                declared |= self._properties(inner)
            if not isinstance(required, list) or any(r not in declared for r in required):
                raise _Unsure
        if "default" in schema:
            if "nullable" in schema:
                self._deref(schema["nullable"])
            self._default(parts, self._deref(schema["default"]))

    def _properties(self, schema: Any) -> set[Any]:
        """Every property name reachable through allOf/anyOf/oneOf/items/not, as _collect_properties does."""
        schema = self._mapping(self._deref(schema))
        names: set[Any] = set()
        if "properties" in schema:
            names.update(self._mapping(self._deref(schema["properties"])))
        for keyword in _SUBSCHEMA_LISTS:
            if keyword in schema:
                for inner in self._items(self._deref(schema[keyword])):
                    names |= self._properties(inner)
        for keyword in ("items", "not"):
            if keyword in schema:
                names |= self._properties(schema[keyword])
        return names

    def _default(self, parts: tuple[Any, ...], value: Any) -> None:
        """The reference's own default-value validator, on the same node reached the same way."""
        from openapi_spec_validator.validation.keywords import OpenAPIV30ValueValidator

        if self._schema_path is None:
            from jsonschema_path import SchemaPath

            self._schema_path = SchemaPath.from_dict(self.document)
        node = self._schema_path
        for part in parts:
            node = node / part
        if next(iter(_errors(OpenAPIV30ValueValidator(registry=None), node, value)), None) is not None:  # type: ignore[arg-type]
            raise _Unsure

    def _deref(self, node: Any) -> Any:
        """A local $ref's target (siblings ignored, chains followed), as jsonschema-path reads it."""
        for _ in range(_MAX_REF_CHAIN):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#") or "%" in ref:  # no URI decoding here
                raise _Unsure
            node = _pointer(self.document, ref[1:])
        raise _Unsure

    @staticmethod
    def _mapping(node: Any) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise _Unsure
        return node

    @staticmethod
    def _items(node: Any) -> list[Any]:
        if not isinstance(node, list):
            raise _Unsure
        return node


def _errors(validator: Any, node: Any, value: Any) -> Iterator[Any]:
    yield from validator(node, value)


def _pointer(document: Any, pointer: str) -> Any:
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise _Unsure
    node = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise _Unsure
    return node


def _meta_check(schema: dict[str, Any]) -> None:
    """The reference's check of a top-level schema: OAS30Validator.check_schema, a Draft 4 meta-schema.

    Its only checked format is `regex` on `pattern`: jsonschema-rs checks the rest, and every
    `pattern` string anywhere in the schema (a superset) goes through the reference's own regex check.
    """
    checker = _meta_schema_validator()
    if checker is None:
        from openapi_schema_validator.validators import OAS30Validator

        try:
            OAS30Validator.check_schema(schema)
        except Exception:
            raise _Unsure from None
        return
    validator, is_regex = checker
    try:
        valid = validator.is_valid(schema)
    except Exception:
        raise _Unsure from None
    if not valid or not all(is_regex(p) for p in _patterns(schema)):
        raise _Unsure


@functools.cache
def _meta_schema_validator() -> tuple[Any, Any] | None:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    from openapi_schema_validator.validators import OAS30Validator

    is_regex = functools.partial(OAS30Validator.FORMAT_CHECKER.conforms, format="regex")
    return jsonschema_rs.Draft4Validator(OAS30Validator.META_SCHEMA, validate_formats=False), is_regex


def _patterns(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                yield pattern
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
