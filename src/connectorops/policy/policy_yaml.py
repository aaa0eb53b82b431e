"""Reads a policies/*.yaml file into a pydantic model, with file:line on every problem.

Goes through the spec loader (contract A) so policy files get the same YAML safety and
located errors as connector.yaml; the returned locator maps a field path back to a line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from connectorops.errors import Problem
from connectorops.spec.loader import load_document
from connectorops.spec.source import SourceTree

ModelT = TypeVar("ModelT", bound=BaseModel)

# (path inside the document) -> (line, column), 1-based, or None when unknown
Locator = Callable[[tuple[str | int, ...]], tuple[int, int] | None]


def no_location(path: tuple[str | int, ...]) -> tuple[int, int] | None:
    return None


def load_policy_file(tree: SourceTree, path: str, model: type[ModelT]) -> tuple[ModelT | None, Locator, list[Problem]]:
    """Parse and validate `path`: (model or None, locator, problems). Never raises for user mistakes."""
    document, source_map, problems = load_document(tree, path, model)
    return document, (source_map.locate if source_map else no_location), problems


def line_of(locate: Locator, path: tuple[str | int, ...]) -> int | None:
    found = locate(path)
    return found[0] if found else None
