"""`connectorops import`: write connector folders for connectors that exist in the target but not in git.

ARM customApis become connector.yaml + openapi.json; a target that carries policy templates and custom code
(Power Platform) gives paconn folders, with the icon and script.csx downloaded from its blob URLs.
Never overwrites a folder without --force; after writing, renders each imported connector and compares it
with what is deployed, so the user learns at once if the first plan would be more than an adoption.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from connectorops.commands.context import EXIT_ERROR, EXIT_OK, CliContext
from connectorops.definitions.paconn import ICON, SCRIPT
from connectorops.definitions.resolve import PNG_SIGNATURE
from connectorops.engine.pipeline import Inputs
from connectorops.engine.target import Placement, Target
from connectorops.errors import ConnectoropsError, Problem, Severity
from connectorops.gitops.importer import PACONN, Downloaded, ImportedConnector, connector_folder, importable
from connectorops.render import adopt_label, definition_of
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.models import ARM_NAME_PATTERN
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree


@runtime_checkable
class BlobDownloads(Protocol):
    """A target whose connectors keep files behind URLs (Power Platform: iconUri, scriptDefinitionUrl)."""

    def download_blob(self, url: str) -> bytes | None: ...


def run(ctx: CliContext, *, select: list[str], into: Path, force: bool, name: str | None = None) -> int:
    from connectorops.targets.connect import connect

    repo = load_repository(FileSystemTree(ctx.repo))
    env_name, _ = select_environment(repo, ctx.environment)
    target_dir = into if into.is_absolute() else ctx.repo / into
    if target_dir.exists() and not target_dir.is_dir():  # checked before any request to the target
        raise ConnectoropsError(
            f"{into} is a file, not a folder", field="--into", hint="pass a folder such as connectors/"
        )
    problems: list[Problem] = []
    written: list[tuple[ImportedConnector, Downloaded]] = []
    with connect(Inputs(ctx.repo, repo, env_name, None)) as target:
        deployed = target.list_connectors()
        taken = _taken_names(repo.connectors)
        candidates = importable(deployed, taken)
        if name is not None:  # before the selection: on ARM, --name is wrong whatever is selected
            _check_new_name(name, repo.connectors, target.capabilities.adopts_under_another_name, select[0])
        chosen = _select(candidates, select, declared=set(taken))
        for api in chosen:
            download = _download(target, api)
            try:
                imported = connector_folder(download, name=name)
            except ValueError as error:
                problems.append(Problem(str(error), field=str(api.get("name")), hint="import it by hand"))
                continue
            folder = target_dir / imported.name
            if folder.exists() and not force:
                problems.append(
                    Problem(
                        f"{_rel(folder, ctx.repo)} already exists; not overwritten",
                        file=_rel(folder, ctx.repo),
                        hint="pass --force to replace it, or choose another --into",
                    )
                )
                continue
            try:
                _write_folder(folder, imported.files)
            except OSError as error:  # e.g. a read-only checkout, or a file where a folder must go
                raise ConnectoropsError(
                    f"cannot write {_rel(folder, ctx.repo)}: {error.strerror or error}",
                    field="--into",
                    hint="import into a writable folder (--into)",
                ) from None
            written.append((imported, download))
    if not chosen:
        ctx.err_console.print(f"nothing to import: every connector in {env_name!r} is already declared in git")
    for imported, _ in written:
        shown = _rel(target_dir / imported.name, ctx.repo)
        ctx.console.print(f"imported {imported.name} -> {shown}/ ({', '.join(sorted(imported.files))})")
        if imported.secret_env:
            ctx.console.print(f"  set {', '.join(imported.secret_env)} before `connectorops apply`")
        for note in imported.notes:
            problems.append(Problem(note, severity=Severity.WARNING, file=f"{shown}/connector.yaml"))
    problems += _round_trip(ctx, env_name, target, written)
    for problem in problems:
        label = "error" if problem.severity == Severity.ERROR else "warning"
        ctx.err_console.print(f"{label}: {problem}", markup=False, highlight=False)
    if written:
        ctx.console.print("next: review, commit, then `connectorops plan` (expect only adopt actions)")
    return EXIT_ERROR if any(p.severity == Severity.ERROR for p in problems) else EXIT_OK


def _download(target: Target, api: Mapping[str, Any]) -> Downloaded:
    """What one connector consists of in this target: the definition, and (Power Platform) its blobs."""
    props = api.get("properties") or {}
    swagger = definition_of(dict(api)) or target.download_definition(dict(api))
    capabilities = target.capabilities
    if not (capabilities.policy_templates or capabilities.custom_code):
        return Downloaded(api, swagger)
    # A target that carries policy templates and custom code: only a paconn folder can hold them.
    blobs = target if isinstance(target, BlobDownloads) else None

    def blob(key: str) -> bytes | None:
        url = props.get(key)
        return blobs.download_blob(url) if blobs is not None and isinstance(url, str) and url else None

    return Downloaded(api, swagger, layout=PACONN, icon=blob("iconUri"), script=blob("scriptDefinitionUrl"))


def _taken_names(connectors: Iterable[LoadedConnector]) -> list[str]:
    """What git takes already: every connector's name, and the connector its adopt label names."""
    names = [c.name.lower() for c in connectors]
    return names + [
        listed.lower() for c in connectors if (listed := adopt_label(c.document.metadata.labels, c.name)[1])
    ]


def _check_new_name(name: str, connectors: Iterable[LoadedConnector], renames: bool, selected: str) -> None:
    """--name: a connector git does not declare yet, on a target that can adopt under another name."""
    if not renames:
        raise ConnectoropsError(
            f"--name {name}: this target names a connector by its resource name, so {selected!r} can only be "
            "imported (and adopted) under that name",
            field="--name",
            hint=f"run `connectorops import --select {selected}` without --name",
        )
    if not re.match(ARM_NAME_PATTERN, name):
        raise ConnectoropsError(
            f"--name {name!r} is not a valid connector name",
            field="--name",
            hint="letters, digits, '-', '_' and '.', starting with a letter or digit (80 characters at most)",
        )
    clash = next((c for c in connectors if c.name.lower() == name.lower()), None)
    if clash is not None:
        raise ConnectoropsError(
            f"--name {name}: {clash.path} already declares a connector of that name",
            field="--name",
            hint="choose another name, or remove that connector first",
        )


def _select(candidates: list[Mapping[str, Any]], select: list[str], *, declared: set[str]) -> list[Mapping[str, Any]]:
    if not select:
        return candidates
    by_name = {str(a.get("name", "")).lower(): a for a in candidates}
    unknown = [n for n in select if n.lower() not in by_name]
    if unknown:
        in_git = [n for n in unknown if n.lower() in declared]
        raise ConnectoropsError(
            f"cannot import {', '.join(unknown)}"
            + (f" ({', '.join(in_git)} already declared in git)" if in_git else ""),
            field="--select",
            hint="importable here: " + (", ".join(sorted(by_name)) or "none"),
        )
    return [by_name[n] for n in dict.fromkeys(n.lower() for n in select)]


def _write_folder(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write into a sibling temp dir, then swap it in: a crash never leaves half a connector."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, data in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)  # paconn/...
            (staging / name).write_bytes(data)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _round_trip(
    ctx: CliContext,
    environment: str,
    placement: Placement,
    written: list[tuple[ImportedConnector, Downloaded]],
) -> list[Problem]:
    """Render what was written and diff it against the deployed resource: anything but tags is a warning."""
    if not written:
        return []
    from connectorops.engine.desired import build_desired_state
    from connectorops.engine.diff import diff_custom_api

    repo = load_repository(FileSystemTree(ctx.repo))
    names = {imported.name.lower() for imported, _ in written}
    problems = [p for p in repo.problems if p.severity == Severity.ERROR and _names_file(p, names)]
    try:
        desired = build_desired_state(repo, environment, placement=placement, commit=None)
    except ConnectoropsError as error:
        return problems + error.problems
    problems += [p for p in desired.errors if _names_file(p, names)]
    for imported, download in written:
        want = desired.custom_api(imported.name)
        if want is None:
            if not (ctx.repo / "connectors" / imported.name).exists():
                problems.append(
                    Problem(
                        f"{imported.name}: written outside connectors/, so plans will not see it",
                        severity=Severity.WARNING,
                        hint="move the folder under connectors/",
                    )
                )
            continue
        swagger = dict(download.definition) if download.definition is not None else None
        diff = diff_custom_api(want.body, _as_downloaded(download), observed_swagger=swagger)
        changes = [c for c in diff if not c.path.startswith("tags")]
        if changes:
            paths = ", ".join(c.path for c in changes[:5]) + (" ..." if len(changes) > 5 else "")
            problems.append(
                Problem(
                    f"{imported.name}: the imported YAML does not render exactly what is deployed ({paths}); "
                    "the first plan will show an update, not only an adoption",
                    severity=Severity.WARNING,
                    file=want.source_path,
                    hint="edit connector.yaml until `connectorops plan` shows only `adopt` for it",
                )
            )
    return problems


def _as_downloaded(download: Downloaded) -> dict[str, Any]:
    """The deployed connector with the files import downloaded as a body's `files` names them (by content hash).

    A target that keeps icon and script as uploaded files (Power Platform) knows their hashes only from its own
    record, which an unmanaged connector lacks; the bytes just written are what the folder will upload.
    """
    observed = dict(download.connector)
    files = {name: data for name, data in ((ICON, download.icon), (SCRIPT, download.script)) if data}
    if download.icon is not None and not download.icon.startswith(PNG_SIGNATURE):
        files.pop(ICON)  # not written: the URL stays in connector.yaml
    if files:
        observed["files"] = {name: {"sha256": hashlib.sha256(data).hexdigest()} for name, data in files.items()}
    if ICON in files:
        observed["properties"] = {k: v for k, v in (observed.get("properties") or {}).items() if k != "iconUri"}
    return observed


def _names_file(problem: Problem, names: set[str]) -> bool:
    parts = (problem.file or "").split("/")
    return len(parts) > 1 and parts[1].lower() in names
