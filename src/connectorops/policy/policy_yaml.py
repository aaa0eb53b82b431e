"""Reads a policies/*.yaml file into a pydantic model, with file:line on every problem.

Goes through the spec loader (contract A) so policy files get the same YAML safety and
located errors as connector.yaml; the returned locator maps a field path back to a line.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from connectorops.errors import ConnectoropsError, Problem
from connectorops.spec.source import SourceTree

ModelT = TypeVar("ModelT", bound=BaseModel)

# (path inside the document) -> (line, column), 1-based, or None when unknown
Locator = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


def _no_location(path: tuple[str | int, ...]) -> tuple[int, int] | None:
    return None


def _spec_loader() -> Any | None:
    # The spec loader is built in parallel with this package; until it exists we parse
    # with plain safe YAML and report problems without line numbers.
    try:
        return importlib.import_module("connectorops.spec.loader")
    except ImportError:
        return None


def load_policy_file(tree: SourceTree, path: str, model: type[ModelT]) -> tuple[ModelT | None, Locator, list[Problem]]:
    """Parse and validate `path`: (model or None, locator, problems). Never raises for user mistakes."""
    try:
        raw = tree.read_bytes(path)
    except ConnectoropsError as error:
        return None, _no_location, list(error.problems)
    spec_loader = _spec_loader()
    if spec_loader is not None:
        try:
            data, source_map = spec_loader.load_yaml(raw, path)
        except ConnectoropsError as error:
            return None, _no_location, list(error.problems)
        parsed, problems = spec_loader.validate_model(model, {} if data is None else data, source_map, path)
        return (parsed if isinstance(parsed, model) else None), source_map.locate, list(problems)
    return _load_plain(raw, path, model)


def _load_plain(raw: bytes, path: str, model: type[ModelT]) -> tuple[ModelT | None, Locator, list[Problem]]:
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        return None, _no_location, [Problem(f"not valid YAML: {error}", file=path)]
    try:
        return model.model_validate({} if data is None else data), _no_location, []
    except ValidationError as error:
        problems = [
            Problem(str(e["msg"]), file=path, field=".".join(str(p) for p in e["loc"]), code="SchemaError")
            for e in error.errors()
        ]
        return None, _no_location, problems


def line_of(locate: Locator, path: tuple[str | int, ...]) -> int | None:
    found = locate(path)
    return found[0] if found else None
