"""Read a repository's YAML (connectorops.yaml, connectors/*/connector.yaml) into validated models.

Collects every problem with file:line instead of stopping at the first; raises only for
things that are not user mistakes. Also home of the located-YAML and validation entry points.
"""

from __future__ import annotations

import difflib
from contextlib import nullcontext
from pathlib import Path, PurePath
from typing import Any, TypeVar

from pydantic import BaseModel

from connectorops import tags
from connectorops.errors import Problem, Severity, SpecError
from connectorops.spec import remembered
from connectorops.spec.models import ConnectorDocument, Environment, ProjectConfig
from connectorops.spec.repository import LoadedConnector, Repository
from connectorops.spec.source import SourceTree
from connectorops.spec.validation import format_path, validate_model
from connectorops.spec.yaml_located import (
    MAX_FILE_BYTES,
    CommentedOutValue,
    SourceMap,
    commented_out_values,
    load_yaml,
)

__all__ = [
    "CONFIG_FILE",
    "CONNECTORS_DIR",
    "CONNECTOR_FILE",
    "SourceMap",
    "load_document",
    "load_repository",
    "load_yaml",
    "select_environment",
    "validate_model",
]

CONFIG_FILE = "connectorops.yaml"
CONNECTORS_DIR = "connectors"
CONNECTOR_FILE = "connector.yaml"

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_document(
    tree: SourceTree, path: str, model: type[ModelT]
) -> tuple[ModelT | None, SourceMap | None, list[Problem]]:
    """Read, parse and validate one YAML file; (None, ..., problems) when it cannot be used."""
    try:
        size = tree.size(path)
        if size > MAX_FILE_BYTES:
            raise SpecError(
                f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (1 MiB)",
                file=path,
                line=1,  # the whole file: its first line is where the reader looks
                hint="split the file or remove unused content",
            )
        data, source_map = load_yaml(tree.read_bytes(path), path)
    except SpecError as error:
        return None, None, error.problems
    except OSError as error:
        return None, None, [Problem(f"cannot read file: {error.strerror or error}", file=path)]
    document, problems = validate_model(model, data, source_map, path)
    lost = [_commented_out_problem(value, path) for value in commented_out_values(source_map)]
    if lost:
        # The null is the symptom ("should be a valid string"); the comment is the cause.
        fields = {p.field for p in lost}
        problems = [*lost, *(p for p in problems if p.field not in fields)]
        return None, source_map, problems
    return document, source_map, problems


def _commented_out_problem(value: CommentedOutValue, path: str) -> Problem:
    return Problem(
        f"{value.key} has no value: YAML reads {value.comment!r} after ': ' as a comment; "
        f'quote it: {value.key}: "{value.comment}"',
        file=path,
        line=value.line,
        column=value.column,
        field=format_path(value.path),
        hint="a '#' after a space starts a comment in YAML; values starting with '#' need quotes",
        code="yaml.value_is_comment",
    )


def load_repository(tree: SourceTree) -> Repository:
    """connectorops.yaml + every connectors/<dir>/connector.yaml, with every problem found."""
    problems: list[Problem] = []
    config, config_loaded = _load_config(tree, problems)
    connector_files = _find_connector_files(tree, problems)
    with remembered.suspended() if len(connector_files) > remembered.MAX_RECALLED_DOCUMENTS else nullcontext():
        connectors = _load_connectors(tree, connector_files, config, config_loaded, problems)
    return Repository(
        tree=tree,
        config=config,
        connectors=tuple(sorted(connectors, key=lambda c: c.name)),
        problems=tuple(problems),
        connector_files=tuple(connector_files),
        config_loaded=config_loaded,
    )


def _load_connectors(
    tree: SourceTree, connector_files: list[str], config: ProjectConfig, config_loaded: bool, problems: list[Problem]
) -> list[LoadedConnector]:
    connectors: list[LoadedConnector] = []
    # lower-cased name -> (name, file, line): ARM names are case-insensitive, so `Orders` and `orders` collide
    owners: dict[str, tuple[str, str, int | None]] = {}
    folders: dict[str, str] = {}  # lower-cased folder -> folder: one folder on Windows and macOS
    for path in connector_files:
        folder = path.rsplit("/", 1)[0]
        other_folder = folders.setdefault(folder.lower(), folder)
        folder_clash = [_folder_case_clash(folder, other_folder, path)] if other_folder != folder else []
        document, source_map, found = load_document(tree, path, ConnectorDocument)
        problems.extend(found)
        if document is None or source_map is None:
            problems.extend(folder_clash)
            continue
        name = document.metadata.name
        line, column = source_map.locate(("metadata", "name")) or (None, None)
        if name.lower() in owners:  # one problem for one cause: the name clash also explains the folders
            problems.append(_duplicate_name(name, owners[name.lower()], path, line, column))
            continue
        problems.extend(folder_clash)
        owners[name.lower()] = (name, path, line)
        if name.lower().startswith(tags.LEASE_PREFIX):
            # Still loaded (so never planned as a deletion); the error blocks plan and apply.
            problems.append(_reserved_name(name, path, line, column))
        if folder.rsplit("/", 1)[-1] != name:
            problems.append(
                Problem(
                    f"metadata.name {name!r} differs from the folder name {folder!r}",
                    severity=Severity.WARNING,
                    file=path,
                    line=line,
                    column=column,
                    field="metadata.name",
                    hint="rename the folder or the connector so they match",
                    code="spec.name_mismatch",
                )
            )
        if config_loaded:
            problems.extend(_unknown_environments(document, config, source_map, path))
        connectors.append(LoadedConnector(name=name, folder=folder, path=path, document=document))
    return connectors


def _duplicate_name(
    name: str, first: tuple[str, str, int | None], path: str, line: int | None, column: int | None
) -> Problem:
    other_name, other_path, other_line = first
    where = f"{other_path}:{other_line}" if other_line else other_path
    if other_name == name:
        message = f"metadata.name {name!r} is already used by {where}"
    else:
        # Not a second connector in Azure: each apply would overwrite the other's body.
        message = (
            f"metadata.name {name!r} differs only in case from {other_name!r} in {where}; "
            "ARM resource names are case-insensitive, so both would be the same customApi"
        )
    return Problem(
        message,
        file=path,
        line=line,
        column=column,
        field="metadata.name",
        hint=f"rename one of the two connectors ({path} or {other_path}): names must be unique, ignoring case",
        code="spec.duplicate_name",
    )


def _folder_case_clash(folder: str, other: str, path: str) -> Problem:
    return Problem(
        f"folder {folder!r} differs only in case from {other!r}; they are one folder on Windows and macOS "
        "and their connectors would collide",
        file=path,
        hint=f"rename {folder} or {other} (and its metadata.name) so they differ in more than case",
        code="spec.duplicate_folder",
    )


def _reserved_name(name: str, path: str, line: int | None, column: int | None) -> Problem:
    return Problem(
        f"metadata.name {name!r} starts with {tags.LEASE_PREFIX!r}, which is reserved for the controller's "
        "lease marker (the controller would replace this connector with it)",
        file=path,
        line=line,
        column=column,
        field="metadata.name",
        hint=f"choose a name that does not start with {tags.LEASE_PREFIX}",
        code="spec.reserved_name",
    )


def _load_config(tree: SourceTree, problems: list[Problem]) -> tuple[ProjectConfig, bool]:
    if not tree.exists(CONFIG_FILE):
        return ProjectConfig(), True
    config, source_map, found = load_document(tree, CONFIG_FILE, ProjectConfig)
    problems.extend(found)
    if config is None or source_map is None:
        return ProjectConfig(), False
    problems.extend(_missing_ca_bundles(tree, config, source_map))
    return config, True


def _missing_ca_bundles(tree: SourceTree, config: ProjectConfig, source_map: SourceMap) -> list[Problem]:
    """An azure environment's caBundle must be a file: found now, not at the first apply to that environment."""
    problems: list[Problem] = []
    for name, environment in config.environments.items():
        bundle = getattr(environment, "caBundle", None)
        if bundle is None or _is_file(tree, bundle):
            continue
        line, column = source_map.locate(("environments", name, "caBundle")) or (None, None)
        problems.append(
            Problem(
                f"caBundle {bundle!r} is not a file (or is empty)",
                file=CONFIG_FILE,
                line=line,
                column=column,
                field=f"environments.{name}.caBundle",
                hint="a PEM file of the CA that signed the ARM endpoint's certificate, relative to the repository",
                code="spec.missing_ca_bundle",
            )
        )
    return problems


def files_outside(config: ProjectConfig) -> tuple[str, ...]:
    """The files of this machine, not of the repository, that loading requires: every absolute caBundle.

    They are not among a tree's questions, so whoever reuses a loaded result checks them itself.
    """
    bundles = (getattr(environment, "caBundle", None) for environment in config.environments.values())
    return tuple(sorted({bundle for bundle in bundles if bundle and PurePath(bundle).is_absolute()}))


def _is_file(tree: SourceTree, path: str) -> bool:
    # An absolute path names a file of this machine (a system CA store), not of the repository.
    if PurePath(path).is_absolute():
        return Path(path).is_file()
    try:  # size 0: an empty PEM trusts nothing, and a FIFO (which would hang the TLS setup) reports 0
        return tree.exists(path) and not tree.is_dir(path) and tree.size(path) > 0
    except (SpecError, OSError):
        return False


def _find_connector_files(tree: SourceTree, problems: list[Problem]) -> list[str]:
    """connectors/<dir>/connector.yaml paths; warns about folders without one."""
    if not tree.is_dir(CONNECTORS_DIR):
        return []
    files: list[str] = []
    for entry in tree.list_dir(CONNECTORS_DIR):
        folder = f"{CONNECTORS_DIR}/{entry}"
        if entry.startswith("."):
            continue
        if not tree.is_dir(folder):
            if not tree.exists(folder):  # listed but unreadable: a symlink out of the repo or a broken one
                problems.append(_unreachable(folder))
            continue
        path = f"{folder}/{CONNECTOR_FILE}"
        if tree.exists(path):
            files.append(path)
        elif CONNECTOR_FILE in tree.list_dir(folder):
            problems.append(_unreachable(path))
        elif misnamed := _misnamed_connector_files(tree.list_dir(folder)):
            # An error, not the warning below: ignoring the folder would plan deleting its live connector.
            problems.append(
                Problem(
                    f"{folder}/{misnamed[0]} is not read: the file must be named exactly {CONNECTOR_FILE}",
                    file=f"{folder}/{misnamed[0]}",
                    line=1,
                    hint=f"rename it to {folder}/{CONNECTOR_FILE}",
                    code="spec.misnamed_connector_yaml",
                )
            )
        else:
            problems.append(
                Problem(
                    f"{folder} has no {CONNECTOR_FILE}; the folder is ignored",
                    severity=Severity.WARNING,
                    file=folder,
                    hint=f"add {CONNECTOR_FILE} or move the folder out of {CONNECTORS_DIR}/",
                    code="spec.no_connector_yaml",
                )
            )
    return files


def _misnamed_connector_files(entries: list[str]) -> list[str]:
    """connector.yml, Connector.yaml, ...: a connector file under a name the loader does not read."""
    return sorted(e for e in entries if e.lower() in ("connector.yml", CONNECTOR_FILE) and e != CONNECTOR_FILE)


def _unreachable(path: str) -> Problem:
    return Problem(
        f"{path} is a symlink that leaves the repository or points nowhere",
        file=path,
        hint="symlinks must point to files inside the repository",
        code="spec.unreachable_path",
    )


def _unknown_environments(
    document: ConnectorDocument, config: ProjectConfig, source_map: SourceMap, path: str
) -> list[Problem]:
    problems: list[Problem] = []
    known = sorted(config.environments)
    for name in document.spec.environments:
        if name in known:
            continue
        line, column = source_map.locate_key(("spec", "environments", name)) or (None, None)
        guess = difflib.get_close_matches(name, known, n=1)
        problems.append(
            Problem(
                f"environment {name!r} is not defined in {CONFIG_FILE}"
                + (f"; did you mean {guess[0]!r}?" if guess else ""),
                severity=Severity.WARNING,
                file=path,
                line=line,
                column=column,
                field=f"spec.environments.{name}",
                hint=f"defined environments: {', '.join(known)}",
                code="spec.unknown_environment",
            )
        )
    return problems


def select_environment(repo: Repository, name: str | None) -> tuple[str, Environment]:
    """The named environment (None: connectorops.yaml's default); unknown -> SpecError listing the known ones."""
    chosen = name or repo.config.default
    environment: Any = repo.config.environments.get(chosen)
    if environment is None:
        known = sorted(repo.config.environments)
        guess = difflib.get_close_matches(chosen, known, n=1)
        raise SpecError(
            f"unknown environment {chosen!r}" + (f"; did you mean {guess[0]!r}?" if guess else ""),
            file=CONFIG_FILE,
            field="environments",
            hint=f"defined environments: {', '.join(known) or 'none'}",
        )
    return chosen, environment
