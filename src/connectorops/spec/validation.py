"""Validate loaded YAML against a pydantic model and turn every error into a located Problem.

Problems name file:line:column and the field path as the user wrote it (`spec.sharing[0].role`),
suggest the closest key for typos, and never echo values of secret fields.
"""

from __future__ import annotations

import datetime
import difflib
import types
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from connectorops.errors import Problem
from connectorops.spec.models import PATTERN_DESCRIPTIONS
from connectorops.spec.remembered import active_memo
from connectorops.spec.yaml_located import SourceMap

ModelT = TypeVar("ModelT", bound=BaseModel)
LocElement = str | int
MAX_PROBLEMS_PER_FILE = 50
MAX_ERRORS_TRANSLATED = 500
SECRET_WORDS = ("secret", "password", "token", "key")
USE_A_REFERENCE_HINT = "write e.g. clientSecret: {env: ORDERS_CLIENT_SECRET} and set that variable where apply runs"


@dataclass
class _LocWalk:
    """A pydantic error location, resolved against the model and the data."""

    data_path: tuple[LocElement, ...] = ()
    # (data path where the union sits, member chosen by this error) for every plain union passed
    union_choices: list[tuple[tuple[LocElement, ...], str]] = field(default_factory=list)
    types: list[Any] = field(default_factory=list)  # candidate types at the end of the walk
    parent_types: list[Any] = field(default_factory=list)  # ... of the mapping holding the last key


def validate_model(
    model: type[ModelT], data: Any, source_map: SourceMap, file: str
) -> tuple[ModelT | None, list[Problem]]:
    """The model instance, or None and one Problem per (relevant) validation error."""
    memo = active_memo()
    key, remembered = memo.recall(model, data) if memo is not None else (None, None)
    if remembered is not None:
        return remembered, []
    try:
        document = model.model_validate(data)
        if memo is not None and key is not None:
            memo.remember(key, document)
        return document, []
    except ValidationError as error:
        total = error.error_count()
        # A hostile or generated file can carry 100,000s of errors; the first ones are what a person fixes.
        raw = error.errors(include_url=False)[:MAX_ERRORS_TRANSLATED]
    walks = [_walk(model, tuple(item["loc"])) for item in raw]
    keep = _best_union_members(walks)
    problems = [
        _to_problem(item, walk, source_map, file) for item, walk, kept in zip(raw, walks, keep, strict=True) if kept
    ]
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    problems = _unique(problems)
    if len(problems) > MAX_PROBLEMS_PER_FILE or total > len(raw):
        shown = problems[:MAX_PROBLEMS_PER_FILE]
        shown.append(
            Problem(
                f"{total} validation errors in this file; only the first {len(shown)} are shown",
                file=file,
                hint="fix the errors above and run validate again",
                code="spec.more_errors",
            )
        )
        return None, shown
    return None, problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]


# --- walking a location through the model -------------------------------------------------


def _members(tp: Any) -> list[Any]:
    """Concrete alternatives of a type: Annotated, Optional and unions flattened."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _members(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(tp) for m in _members(arg)]
    if tp is type(None):
        return []
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field_annotation(model: type[BaseModel], key: str) -> Any | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _key_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _tag_values(model: type[BaseModel], discriminator: str) -> list[str]:
    annotation = _field_annotation(model, discriminator)
    if get_origin(annotation) is Literal:
        return [str(v) for v in get_args(annotation)]
    return []


def _walk(model: type[BaseModel], loc: tuple[LocElement, ...]) -> _LocWalk:
    walk = _LocWalk(types=[model])
    for element in loc:
        if len(walk.types) > 1:
            # pydantic names the union member it tried: a class name or a discriminator tag
            chosen = [t for t in walk.types if _is_model(t) and element in (t.__name__, *_all_tags(t))]
            if chosen:
                walk.union_choices.append((walk.data_path, str(element)))
                walk.types = chosen[:1]
                continue
        walk.data_path += (element,)
        walk.parent_types = walk.types
        walk.types = _step(walk.types, element)
    return walk


def _all_tags(model: type[BaseModel]) -> list[str]:
    return [
        str(v)
        for info in model.model_fields.values()
        if get_origin(info.annotation) is Literal
        for v in get_args(info.annotation)
    ]


def _step(candidates: list[Any], element: LocElement) -> list[Any]:
    found: list[Any] = []
    for tp in candidates:
        if _is_model(tp) and isinstance(element, str):
            annotation = _field_annotation(tp, element)
            if annotation is not None:
                found.extend(_members(annotation))
        elif get_origin(tp) is dict:
            found.extend(_members(get_args(tp)[1]))
        elif get_origin(tp) is list and isinstance(element, int):
            found.extend(_members(get_args(tp)[0]))
    return found


def _best_union_members(walks: list[_LocWalk]) -> list[bool]:
    """Keep, for every plain union, only the errors of the member that came closest (fewest errors)."""
    counts: Counter[tuple[tuple[LocElement, ...], str]] = Counter(c for w in walks for c in w.union_choices)
    best: dict[tuple[LocElement, ...], str] = {}
    for (where, member), count in counts.items():
        if where not in best or count < counts[(where, best[where])]:
            best[where] = member
    return [all(best[where] == member for where, member in w.union_choices) for w in walks]


# --- error -> Problem -----------------------------------------------------------------------


def format_path(path: tuple[LocElement, ...]) -> str:
    """("spec", "sharing", 0, "role") -> "spec.sharing[0].role"."""
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else str(element))
    return text


def _is_secret_field(path: tuple[LocElement, ...]) -> bool:
    return any(isinstance(e, str) and any(word in e.lower() for word in SECRET_WORDS) for e in path)


def _shown(value: Any, path: tuple[LocElement, ...]) -> str:
    if _is_secret_field(path) or not isinstance(value, str | int | float | bool):
        return ""
    return f" (got {value!r})"


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    return "a string"


def _to_problem(item: Any, walk: _LocWalk, source_map: SourceMap, file: str) -> Problem:
    kind: str = item["type"]
    path = walk.data_path
    ctx: dict[str, Any] = item.get("ctx") or {}
    value = item.get("input")
    position: tuple[int, int] | None = None
    hint: str | None = None
    field_path = path

    if kind == "extra_forbidden":
        key = str(path[-1]) if path else ""
        parent_models = [t for t in walk.parent_types if _is_model(t)]
        names = sorted({n for m in parent_models for n in _key_names(m)})
        message = f"unknown key {key!r}"
        guess = _did_you_mean(key, names)
        if guess:
            message += f"; did you mean {guess!r}?"
        hint = f"allowed keys here: {', '.join(names)}" if names else None
        position = source_map.locate_key(path)
    elif kind == "missing":
        message = f"missing required key {str(path[-1])!r}" if path else "missing value"
        # the key that holds the incomplete mapping (`spec:`), else the nearest existing value
        position = source_map.locate_key(path[:-1]) or source_map.locate_nearest(path[:-1])[0]
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        discriminator = str(ctx.get("discriminator", "type")).strip("'")
        tags = [t for m in walk.types if _is_model(m) for t in _tag_values(m, discriminator)]
        expected = ctx.get("expected_tags")
        allowed = ", ".join(str(expected).replace("'", "").split(", ")) if expected else ", ".join(tags)
        field_path = (*path, discriminator)
        where = f"{path[-1]}.{discriminator}" if path else discriminator
        if kind == "union_tag_invalid":
            message = f"{where} must be one of {allowed}{_shown(ctx.get('tag'), field_path)}"
            position = source_map.locate(field_path)
        else:
            message = f"{format_path(path) or 'document'} needs {discriminator!r}: one of {allowed}"
            position, _ = source_map.locate_nearest(path)
    elif kind == "value_error":
        message = str(item["msg"]).removeprefix("Value error, ")
        if "literal secret" in message:
            hint = USE_A_REFERENCE_HINT
    elif kind == "string_pattern_mismatch":
        description = PATTERN_DESCRIPTIONS.get(str(ctx.get("pattern")))
        shown = _shown(value, path)
        message = f"not {description[0]}{shown}" if description else f"does not match {ctx.get('pattern')}{shown}"
        hint = description[1] if description else None
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"must be a mapping (key: value), got {_type_name(value)}"
    elif kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"{_lower_first(item['msg'])}, got {_type_name(value)}"
        if kind == "string_type" and value is not None and not isinstance(value, dict | list):
            hint = "put the value in quotes so YAML reads it as a string"
    else:
        message = _lower_first(str(item["msg"])) + _shown(value, path)
    if isinstance(value, bool) and kind in ("literal_error", "string_type", "enum"):
        hint = "YAML reads yes/no/on/off/true/false as booleans; put the value in quotes"

    if position is None:
        position, _ = source_map.locate_nearest(path)
    return Problem(
        message,
        file=file,
        line=position[0],
        column=position[1],
        field=format_path(field_path) or None,
        hint=hint,
        code=f"spec.{kind}",
    )


def _lower_first(text: str) -> str:
    text = text.replace("Input should be", "should be")
    return text[:1].lower() + text[1:]


def _did_you_mean(key: str, names: list[str]) -> str | None:
    lowered = {n.lower(): n for n in names}
    if key.lower() in lowered:
        return lowered[key.lower()]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return close[0] if close else None
