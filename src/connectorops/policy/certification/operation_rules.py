"""Certification rules on operations: operationIds, responses and path parameters.

Rule ids reuse the codes of Microsoft's swagger validator (certification-swagger-validator-rules).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from connectorops.errors import Severity
from connectorops.policy.certification.subject import (
    CertificationSubject,
    Hit,
    Operation,
    Rule,
    operations,
    parameters,
    resolve_local,
)

OPERATION_ID = re.compile(r"[A-Za-z0-9]+")
# Keys that make a schema say something; `{}` says nothing ("empty response schemas aren't allowed").
SCHEMA_CONTENT_KEYS = {"$ref", "type", "properties", "items", "allOf", "x-ms-dynamic-schema", "x-ms-dynamic-properties"}


def check_operation_id_required(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        if not str(op.body.get("operationId") or "").strip():
            yield Hit(op.pointer, f"{op.label} has no operationId")


def check_operation_id_unique(s: CertificationSubject) -> Iterator[Hit]:
    # Case-insensitive: flows reference operations by id, and the designer does not tell case apart.
    seen: dict[str, list[Operation]] = defaultdict(list)
    for op in operations(s.swagger):
        operation_id = op.body.get("operationId")
        if isinstance(operation_id, str) and operation_id:
            seen[operation_id.lower()].append(op)
    for group in seen.values():
        for op in group[1:]:
            first = group[0]
            yield Hit(
                op.pointer + "/operationId",
                f"operationId {op.body['operationId']!r} of {op.method.upper()} {op.path} is also used by "
                f"{first.method.upper()} {first.path}",
            )


def check_operation_id_sanitized(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        operation_id = op.body.get("operationId")
        if isinstance(operation_id, str) and operation_id and not OPERATION_ID.fullmatch(operation_id):
            yield Hit(op.pointer + "/operationId", f"operationId {operation_id!r} contains non-alphanumeric characters")


def _responses(s: CertificationSubject, op: Operation) -> dict[str, Any]:
    responses = op.body.get("responses")
    return responses if isinstance(responses, dict) else {}


def _has_schema(s: CertificationSubject, response: Any) -> bool:
    body = resolve_local(s.swagger, response)
    schema = body.get("schema") if isinstance(body, dict) else None
    return isinstance(schema, dict) and bool(SCHEMA_CONTENT_KEYS & schema.keys())


def check_success_response_schema(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        if "x-ms-notification-content" in op.body:
            continue  # webhook triggers describe their payload there instead
        for status in ("200", "201"):
            response = _responses(s, op).get(status)
            if response is not None and not _has_schema(s, response):
                yield Hit(
                    op.pointer + f"/responses/{status}",
                    f"response {status} of {op.label} has no (or an empty) schema",
                )


def check_default_response_schema(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        response = resolve_local(s.swagger, _responses(s, op).get("default"))
        if isinstance(response, dict) and "schema" in response:
            yield Hit(op.pointer + "/responses/default/schema", f"default response of {op.label} has a schema")


def check_successful_response(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        if not any(str(code).startswith("2") for code in _responses(s, op)):
            yield Hit(op.pointer + "/responses", f"{op.label} declares no 2xx response")


def check_path_parameter_encoding(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        for param in parameters(s.swagger, op):
            if param.body.get("in") == "path" and "x-ms-url-encoding" not in param.body:
                yield Hit(param.pointer, f"path parameter {param.name!r} of {op.label} has no x-ms-url-encoding")


RULES = (
    Rule(
        "OperationIdRequired",
        Severity.ERROR,
        "Every operation has an operationId.",
        "add operationId: flows refer to the operation by it",
        check_operation_id_required,
    ),
    Rule(
        "OperationIdNotUnique",
        Severity.ERROR,
        "operationIds are unique (ignoring case).",
        "rename one of the operations",
        check_operation_id_unique,
    ),
    Rule(
        "OperationIdSanitized",
        Severity.WARNING,
        "operationIds contain only letters and digits.",
        "use PascalCase without '-', '_', '.' or spaces, e.g. GetOrder",
        check_operation_id_sanitized,
    ),
    Rule(
        "SchemaDefinitionSetIncorrectly",
        Severity.ERROR,
        "200 and 201 responses have a schema (or the operation has x-ms-notification-content).",
        "describe the response body under `schema:`; use x-ms-dynamic-schema when it is dynamic",
        check_success_response_schema,
    ),
    Rule(
        "DefaultResponseHasSchema",
        Severity.ERROR,
        "Default responses have no schema.",
        "remove `schema` from the default response, or declare the exact status code instead",
        check_default_response_schema,
    ),
    Rule(
        "OperationShouldHaveSuccessfulResponse",
        Severity.ERROR,
        "Every operation declares a 2xx response.",
        "add the success response (e.g. 200 with its schema)",
        check_successful_response,
    ),
    Rule(
        "PathParameterMissingEncoding",
        Severity.WARNING,
        "Path parameters say how they are URL-encoded.",
        'add "x-ms-url-encoding": "single" to the parameter',
        check_path_parameter_encoding,
    ),
)
