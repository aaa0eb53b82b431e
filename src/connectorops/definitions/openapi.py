"""OpenAPI 2.0 checks: structure we refuse, and value nits Microsoft's service accepts.

Structural errors (wrong version, no paths, unresolved path parameters, duplicate
operationIds, bad refs) are ERRORs. Mismatched example/default values, empty objects where
the schema wants non-empty ones, `type: file` in schemas and unknown keys are WARNINGs:
about 6% of Microsoft's published connectors have them and the service takes them.
"""

from __future__ import annotations

import functools
import os
import re
from typing import TYPE_CHECKING, Any

from connectorops.definitions.openapi_clean import keyword_pass_clean, schema_pass_clean
from connectorops.definitions.refs import follow_local_ref, pointer_escape
from connectorops.errors import Problem, Severity

# openapi-spec-validator switches to jsonschema-rs whenever it is installed (schemathesis brings it);
# the ERROR/WARNING split below reads the Python jsonschema backend's error objects, so pin it.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")

if TYPE_CHECKING:  # imported when a document is validated: the validator stack costs ~0.3 s to import
    from jsonschema.exceptions import ValidationError

# JSON-schema keys under which values are examples, not structure.
_VALUE_KEYS = {"example", "examples", "default", "x-example", "x-ms-test-value", "enum"}
MAX_REPORTED = 20
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
_OPERATION_KEYS = {"responses", "operationId", "parameters"}
_TOLERATED_HINT = "accepted because Microsoft's service accepts it; fix when you can"


@functools.cache
def _structural_errors() -> tuple[type[Exception], ...]:
    from openapi_spec_validator.validation.exceptions import (
        DuplicateOperationIDError,
        ExtraParametersError,
        ParameterDuplicateError,
        UnresolvableParameterError,
    )

    return (DuplicateOperationIDError, ExtraParametersError, ParameterDuplicateError, UnresolvableParameterError)


def check_structure(swagger: Any, file: str) -> list[Problem]:
    """The minimum every deployable document needs; checked before schema validation."""
    if not isinstance(swagger, dict):
        return [Problem("an OpenAPI 2.0 document must be a mapping at the top level", file=file, code="NotOpenApi")]
    problems: list[Problem] = []
    version = swagger.get("swagger")
    if "openapi" in swagger and "swagger" not in swagger:
        problems.append(
            Problem(
                f"OpenAPI {swagger.get('openapi')} is not supported: custom connectors need OpenAPI 2.0",
                file=file,
                field="openapi",
                code="WrongOpenApiVersion",
                hint="convert the document to Swagger/OpenAPI 2.0 (swagger: '2.0')",
            )
        )
    elif version != "2.0":
        problems.append(
            Problem(
                f"swagger: {version!r} is not '2.0'",
                file=file,
                field="swagger",
                code="WrongOpenApiVersion",
                hint="custom connectors need an OpenAPI 2.0 document with swagger: '2.0'",
            )
        )
    paths = swagger.get("paths")
    if not isinstance(paths, dict) or not any(isinstance(v, dict) and v for v in paths.values()):
        problems.append(
            Problem(
                "the document has no paths",
                file=file,
                field="paths",
                code="NoPaths",
                hint="a connector needs at least one operation",
            )
        )
    return problems


def validate_openapi(swagger: dict[str, Any], file: str, *, strict: bool = False) -> list[Problem]:
    """openapi-spec-validator's findings, each classified as ERROR or WARNING (all ERROR if strict).

    A pass that openapi_clean proves clean is not run: it would find nothing.

    $refs must already be checked (refs.bundle_refs): the validator would otherwise try to
    download URL refs.
    """
    problems = check_structure(swagger, file)
    if problems:
        return problems
    # Most documents are clean: proving it is ~50x cheaper than the reference, which then runs
    # only for a pass that may have findings, so every message still comes from it.
    schema_clean, keyword_clean = schema_pass_clean(swagger), keyword_pass_clean(swagger)
    if schema_clean and keyword_clean:
        return []
    from openapi_spec_validator import OpenAPIV2SpecValidator

    validator = OpenAPIV2SpecValidator(swagger)
    # The validator library raises (KeyError, TypeError, ...) on documents its schema pass already
    # refused, e.g. `responses: null`: each pass runs on its own, and a crash becomes a located Problem.
    try:
        schema_errors = [] if schema_clean else list(validator.schema_validator.iter_errors(swagger))
    except Exception as crash:
        return [_crash_problem(crash, swagger, file)]
    # The meta-schema says "non-empty" twice (minProperties and a `not {}`): keep the readable one.
    schema_errors = [e for e in schema_errors if not (e.validator == "not" and e.instance in ({}, []))]
    problems.extend(_schema_problem(e, file, strict=strict) for e in schema_errors)
    try:
        keyword_errors = [] if keyword_clean else list(validator.root_validator(validator.schema_path))
    except Exception as crash:
        if not any(p.severity == Severity.ERROR for p in problems):
            problems.append(_crash_problem(crash, swagger, file))
        keyword_errors = []
    problems.extend(_keyword_problem(e, file, strict=strict) for e in keyword_errors)
    return _deduplicate(problems)


def _crash_problem(crash: Exception, swagger: dict[str, Any], file: str) -> Problem:
    """The validator's own exception, placed at the first operation whose key it could not use."""
    key = crash.args[0] if isinstance(crash, KeyError) and crash.args else None
    pointer = _operation_missing(swagger, key) if isinstance(key, str) else None
    detail = f"{key!r} is missing or null" if pointer else f"{type(crash).__name__}: {crash}"
    return Problem(
        f"the OpenAPI validator could not check this document: {_short(detail)}",
        file=file,
        field=pointer or "/",
        code="OpenApiValidatorFailed",
        hint="every operation needs responses, every parameter a name and in; fix the value at this path",
    )


def _operation_missing(swagger: dict[str, Any], key: str) -> str | None:
    """JSON pointer of the first operation or parameter (after a local $ref) where `key` is absent or null."""
    paths = swagger.get("paths")
    if not isinstance(paths, dict):
        return None
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        where = f"/paths/{pointer_escape(path)}"
        candidates: list[tuple[str, Any]] = [(f"{where}/parameters", item.get("parameters"))]
        for method, operation in item.items():
            if isinstance(operation, dict) and method.lower() in _METHODS:
                if operation.get(key) is None and key in _OPERATION_KEYS:
                    return f"{where}/{method}/{pointer_escape(key)}"
                candidates.append((f"{where}/{method}/parameters", operation.get("parameters")))
        for at, parameters in candidates:
            for index, parameter in enumerate(parameters if isinstance(parameters, list) else []):
                target = follow_local_ref(swagger, parameter)
                if isinstance(target, dict) and target.get(key) is None:
                    return f"{at}/{index}"
    return None


def _schema_problem(error: ValidationError, file: str, *, strict: bool) -> Problem:
    path = list(error.absolute_path)
    pointer = "".join(f"/{pointer_escape(p)}" for p in path)
    tolerated = (
        any(str(p) in _VALUE_KEYS for p in path)
        or (error.validator in ("minProperties", "not", "minItems") and error.instance in ({}, []))
        or error.validator == "additionalProperties"
        or (error.validator == "anyOf" and error.instance == "file")
    )
    severity = Severity.WARNING if tolerated and not strict else Severity.ERROR
    return Problem(
        _short(error.message),
        severity=severity,
        file=file,
        field=pointer or "/",
        code="OpenApiSchema" if severity == Severity.ERROR else "OpenApiSchemaTolerated",
        hint=None if severity == Severity.ERROR else _TOLERATED_HINT,
    )


def _keyword_problem(error: ValidationError, file: str, *, strict: bool) -> Problem:
    structural = isinstance(error, _structural_errors())
    severity = Severity.ERROR if structural or strict else Severity.WARNING
    message = _short(error.message)
    if not structural:
        message = f"a schema, default or example value is not valid: {message}"
    return Problem(
        message,
        severity=severity,
        file=file,
        field=_operation_pointer(error),
        code=type(error).__name__ if structural else "OpenApiValueTolerated",
        hint="declare every {param} of the path as a path parameter" if "Path parameter" in message else None,
    )


# The keyword validators name the operation only in words: "... for 'get' in '/orders' ..."
_OPERATION_IN_MESSAGE = re.compile(r"'(get|put|post|delete|options|head|patch)'(?: operation)? in '([^']*)'")


def _operation_pointer(error: ValidationError) -> str:
    """JSON pointer of what a keyword error concerns: its own path, else the operation its message names."""
    path = list(error.absolute_path)
    if path:
        return "".join(f"/{pointer_escape(p)}" for p in path)
    match = _OPERATION_IN_MESSAGE.search(error.message)
    if match:
        return f"/paths/{pointer_escape(match.group(2))}/{match.group(1)}"
    return "/paths"


def _short(message: str) -> str:
    return message if len(message) <= 300 else message[:297] + "..."


def _deduplicate(problems: list[Problem]) -> list[Problem]:
    """Keep every error and at most MAX_REPORTED warnings, each once."""
    seen: set[tuple[str, str | None, str | None]] = set()
    result: list[Problem] = []
    warnings = 0
    for problem in problems:
        key = (problem.message, problem.field, str(problem.severity))
        if key in seen:
            continue
        seen.add(key)
        if problem.severity == Severity.WARNING:
            warnings += 1
            if warnings > MAX_REPORTED:
                continue
        result.append(problem)
    if warnings > MAX_REPORTED:
        result.append(
            Problem(
                f"{warnings - MAX_REPORTED} more tolerated validation warning(s) not shown",
                severity=Severity.WARNING,
                file=problems[0].file,
            )
        )
    return result
