"""Bytes -> JSON-compatible data for definition files (OpenAPI, collections, apiProperties).

Enforces the 1 MB limit, reports syntax errors with file:line:column, accepts the lenient
JSON Microsoft's tools accept, and reads YAML through the spec's hardened loader.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from connectorops.errors import DefinitionError, Problem, Severity
from connectorops.spec.yaml_located import load_yaml

# Microsoft: definition files and Postman collections "must be no larger than 1 MB".
MAX_DEFINITION_BYTES = 1_048_576
MAX_NESTING = 200


def check_size(size: int, file: str) -> None:
    """Refuse a file over the 1 MB limit before reading or parsing it."""
    if size > MAX_DEFINITION_BYTES:
        raise DefinitionError(
            f"file is {size:,} bytes, over the 1 MB limit ({MAX_DEFINITION_BYTES:,} bytes)",
            file=file,
            hint="Power Platform and Logic Apps refuse definitions over 1 MB: split the API or trim examples",
        )


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text (a leading BOM is tolerated: Microsoft's tools write one)."""
    check_size(len(data), file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DefinitionError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})",
            file=file,
            line=line,
            hint="save the file as UTF-8",
        ) from None


def parse_json(data: bytes, file: str, *, lenient: bool = False) -> tuple[Any, list[Problem]]:
    """Parse JSON; with `lenient`, also accept // and /* */ comments and trailing commas.

    Lenient input is reported as a WARNING so the author can fix it; positions in errors
    always refer to the original file because the cleanup keeps every line and column.
    """
    text = decode_text(data, file)
    value = _parsed_cleanly(text)
    if value is not None:
        return value[0], []
    check_json_nesting(text, MAX_NESTING, lambda line, column: _too_deep(file, line, column))
    _refuse_lone_surrogates(text, file)
    try:
        return _check_depth(_loads(text, file), file), []
    except json.JSONDecodeError as strict_error:
        if not lenient:
            raise _json_error(strict_error, file) from None
        try:
            value = _loads(strip_jsonc(text), file)
        except json.JSONDecodeError as error:
            raise _json_error(error, file) from None
        warning = Problem(
            "not strict JSON (comments or trailing commas); accepted because Microsoft's tools accept it",
            severity=Severity.WARNING,
            file=file,
            line=strict_error.lineno,
            column=strict_error.colno,
            code="LenientJson",
            hint="remove the comments and trailing commas",
        )
        return _check_depth(value, file), [warning]


def _parsed_cleanly(text: str) -> tuple[Any] | None:
    """(value,) when the checks below would all pass: strict JSON, nested at most MAX_NESTING, no lone surrogate.

    The common case costs one C parse and one walk; anything else (None) takes the checked path,
    which finds the same problem at the same place it always did.
    """
    if "\\u" in text and _has_lone_surrogate(text):
        return None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    return (value,) if _nesting(value) <= MAX_NESTING else None


def _nesting(value: Any) -> int:
    """How many arrays and objects deep `value` is: what check_json_nesting counts in valid JSON."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _loads(text: str, file: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # NaN / Infinity, or an integer of more than 4300 digits
        line, column = _position(text, _NOT_A_JSON_NUMBER)
        raise DefinitionError(
            f"invalid JSON: {_short(str(error))}",
            file=file,
            line=line,
            column=column,
            code="InvalidJson",
            hint="JSON has no NaN or Infinity; quote huge numbers as strings",
        ) from None
    except RecursionError:
        raise _too_deep(file) from None


def parse_yaml(data: bytes, file: str) -> Any:
    """Hardened YAML (the spec loader's: no alias bombs, duplicate keys or runaway nesting)."""
    check_size(len(data), file)
    value, _ = load_yaml(data, file)
    return _check_depth(to_json_compatible(value, file), file)


def parse_document(data: bytes, file: str) -> tuple[Any, list[Problem]]:
    """JSON for *.json files (exact positions), YAML for everything else."""
    if file.lower().endswith(".json"):
        return parse_json(data, file, lenient=True)
    return parse_yaml(data, file), []


def to_json_compatible(value: Any, file: str, pointer: str = "") -> Any:
    """YAML scalars JSON has no word for (dates, int keys) become strings, like a JSON round trip."""
    if isinstance(value, dict):
        return {_key(k): to_json_compatible(v, file, f"{pointer}/{_key(k)}") for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_compatible(v, file, f"{pointer}/{i}") for i, v in enumerate(value)]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise DefinitionError(
            f"{value} is not a JSON number", file=file, field=pointer or "/", hint="quote it or use a finite number"
        )
    if isinstance(value, bytes):
        raise DefinitionError(
            "binary (!!binary) values are not allowed in a definition", file=file, field=pointer or "/"
        )
    return value


def strip_jsonc(text: str) -> str:
    """Blank out // and /* */ comments and trailing commas, keeping every position the same."""
    out = list(text)
    i, n = 0, len(text)
    in_string = False
    last_comma: int | None = None
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
            last_comma = None
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            for j in range(i, end):
                out[j] = " "
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if out[j] != "\n":
                    out[j] = " "
            i = end
            continue
        elif ch == ",":
            last_comma = i
        elif ch in "]}":
            if last_comma is not None:
                out[last_comma] = " "
            last_comma = None
        elif not ch.isspace():
            last_comma = None
        i += 1
    return "".join(out)


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_error(error: json.JSONDecodeError, file: str) -> DefinitionError:
    return DefinitionError(
        f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        file=file,
        line=error.lineno,
        column=error.colno,
        code="InvalidJson",
    )


def _too_deep(file: str, line: int | None = None, column: int | None = None) -> DefinitionError:
    return DefinitionError(
        f"nesting deeper than {MAX_NESTING} levels", file=file, line=line, column=column, hint="flatten the document"
    )


# Strings are matched whole so brackets and words inside them are skipped.
_JSON_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_NOT_A_JSON_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN|-?\d{4000,})')


def check_json_nesting(text: str, limit: int, refuse: Callable[[int, int], Exception]) -> None:
    """Raise refuse(line, column) at the first bracket nested deeper than `limit`, before any decoding.

    The decoders recurse per level: a 100,000-deep file would overflow them (RecursionError).
    """
    depth = 0
    for match in _JSON_BRACKETS.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                line, column = _line_column(text, match.start())
                raise refuse(line, column)
        elif bracket in "]}":
            depth -= 1


# A \uD800-\uDFFF escape that is not half of a pair decodes to a str no UTF-8 encoder accepts.
_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def _lone_surrogates(text: str) -> Iterator[re.Match[str]]:
    if "\\u" not in text:
        return
    for match in _SURROGATE_ESCAPE.finditer(text):
        if not (match.group(1)[2].lower() in "cdef" and _after_high_surrogate(text, match.start(1))):
            yield match


def _has_lone_surrogate(text: str) -> bool:
    return next(_lone_surrogates(text), None) is not None


def _refuse_lone_surrogates(text: str, file: str) -> None:
    for match in _lone_surrogates(text):
        escape = match.group(1)
        start = match.start(1)
        line, column = _line_column(text, start)
        raise DefinitionError(
            f"{escape} is half of a UTF-16 surrogate pair, not a character",
            file=file,
            line=line,
            column=column,
            code="InvalidJson",
            hint="write the character itself, or both halves of the pair",
        )


def _after_high_surrogate(text: str, start: int) -> bool:
    previous = text[max(0, start - 6) : start]
    return len(previous) == 6 and previous[:3].lower() == "\\ud" and previous[3].lower() in "89ab"


def _position(text: str, pattern: re.Pattern[str]) -> tuple[int | None, int | None]:
    """Line and column of the first match of `pattern`'s group 1 outside strings."""
    for match in pattern.finditer(text):
        if match.group(1):
            return _line_column(text, match.start(1))
    return None, None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."


def _check_depth(value: Any, file: str) -> Any:
    """Refuse absurd nesting iteratively, so later recursive walks cannot overflow."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise _too_deep(file)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return value
