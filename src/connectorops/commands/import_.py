"""`connectorops import`: write connector folders for customApis that exist in the target but not in git.

Never overwrites a folder without --force; after writing, renders each imported connector and compares it
with what is deployed, so the user learns at once if the first plan would be more than an adoption.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectorops.commands.context import EXIT_ERROR, EXIT_OK, CliContext
from connectorops.engine.target import Placement
from connectorops.errors import ConnectoropsError, Problem, Severity
from connectorops.gitops.importer import ImportedConnector, connector_from_custom_api, importable
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm.target import ResourceGroupTarget


def run(ctx: CliContext, *, select: list[str], into: Path, force: bool) -> int:
    from connectorops.targets.arm.connect import open_gateway

    repo = load_repository(FileSystemTree(ctx.repo))
    env_name, _ = select_environment(repo, ctx.environment)
    target_dir = into if into.is_absolute() else ctx.repo / into
    if target_dir.exists() and not target_dir.is_dir():  # checked before any request to the target
        raise ConnectoropsError(
            f"{into} is a file, not a folder", field="--into", hint="pass a folder such as connectors/"
        )
    problems: list[Problem] = []
    written: list[tuple[ImportedConnector, Mapping[str, Any], dict[str, Any] | None]] = []
    with open_gateway(ctx.repo, repo.config, env_name) as gateway:
        target = ResourceGroupTarget(gateway)
        deployed = target.list_connectors()
        candidates = importable(deployed, [c.name for c in repo.connectors])
        chosen = _select(candidates, select, declared={c.name.lower() for c in repo.connectors})
        for api in chosen:
            props = api.get("properties") or {}
            inline = props.get("swagger")
            swagger = inline if isinstance(inline, dict) and inline else target.download_definition(dict(api))
            try:
                imported = connector_from_custom_api(api, swagger)
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
            written.append((imported, api, swagger))
    if not chosen:
        ctx.err_console.print(f"nothing to import: every customApi in {env_name!r} is already declared in git")
    for imported, _, _ in written:
        shown = _rel(target_dir / imported.name, ctx.repo)
        ctx.console.print(f"imported {imported.name} -> {shown}/ ({', '.join(sorted(imported.files))})")
        if imported.secret_env:
            ctx.console.print(f"  set {', '.join(imported.secret_env)} before `connectorops apply`")
        for note in imported.notes:
            problems.append(Problem(note, severity=Severity.WARNING, file=f"{shown}/connector.yaml"))
    problems += _round_trip(ctx, env_name, target.placement, written)
    for problem in problems:
        label = "error" if problem.severity == Severity.ERROR else "warning"
        ctx.err_console.print(f"{label}: {problem}", markup=False, highlight=False)
    if written:
        ctx.console.print("next: review, commit, then `connectorops plan` (expect only adopt actions)")
    return EXIT_ERROR if any(p.severity == Severity.ERROR for p in problems) else EXIT_OK


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
    written: list[tuple[ImportedConnector, Mapping[str, Any], dict[str, Any] | None]],
) -> list[Problem]:
    """Render what was written and diff it against the deployed resource: anything but tags is a warning."""
    if not written:
        return []
    from connectorops.engine.desired import build_desired_state
    from connectorops.engine.diff import diff_custom_api

    repo = load_repository(FileSystemTree(ctx.repo))
    names = {imported.name.lower() for imported, _, _ in written}
    problems = [p for p in repo.problems if p.severity == Severity.ERROR and _names_file(p, names)]
    try:
        desired = build_desired_state(repo, environment, placement=placement, commit=None)
    except ConnectoropsError as error:
        return problems + error.problems
    problems += [p for p in desired.errors if _names_file(p, names)]
    for imported, api, swagger in written:
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
        diff = diff_custom_api(want.body, dict(api), observed_swagger=swagger)
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


def _names_file(problem: Problem, names: set[str]) -> bool:
    parts = (problem.file or "").split("/")
    return len(parts) > 1 and parts[1].lower() in names
