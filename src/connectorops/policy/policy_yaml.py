"""Reads a policies/*.yaml file into a pydantic model, with file:line on every problem.

Goes through the spec loader (contract A) so policy files get the same YAML safety and
located errors as connector.yaml; the returned locator maps a field path back to a line.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import BaseModel

from connectorops.errors import Problem, Severity
from connectorops.spec.loader import CONFIG_FILE, load_document
from connectorops.spec.models import ProjectConfig
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


def unknown_environment_problems(
    tree: SourceTree, file: str, locate: Locator, mentions: Iterable[tuple[tuple[str | int, ...], str]]
) -> list[Problem]:
    """Warnings for environment names connectorops.yaml does not define.

    A misspelt environment in a deny rule would silently switch the protection off. Only a
    warning: one policy may be shared by repositories with different environments.
    """
    if not tree.exists(CONFIG_FILE):
        return []
    config, _, _ = load_document(tree, CONFIG_FILE, ProjectConfig)
    if config is None:
        return []  # connectorops.yaml's own problems are reported by the spec loader
    known = sorted(config.environments)
    problems: list[Problem] = []
    for path, name in mentions:
        if name in config.environments:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        problems.append(
            Problem(
                f"environment {name!r} is not defined in {CONFIG_FILE}",
                severity=Severity.WARNING,
                file=file,
                line=line_of(locate, path),
                field=".".join(str(p) for p in path),
                hint=(f"did you mean {close[0]!r}? " if close else "") + f"defined: {', '.join(known)}",
                code="UnknownEnvironment",
            )
        )
    return problems
