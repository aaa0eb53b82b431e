"""`connectorops validate [--json]`: load every connector, resolve its definition, check sharing.

Shows every problem of the repository in one run; exit 1 on any error, 0 otherwise (warnings
do not fail).

JSON output (stable; fields are only ever added):
    {
      "ok": bool,                       # no error anywhere
      "environment": str | null,        # the environment definitions were resolved for
      "summary": {"errors": int, "warnings": int},
      "connectors": [                   # one per connectors/<dir>/connector.yaml, sorted by path
        {"name": str,                   # metadata.name, or the folder name when the YAML is unusable
         "path": str,                   # repo-relative path of connector.yaml
         "source": "openapi"|"url"|"postman"|"paconn"|null,
         "operations": int | null,      # operations in the resolved definition; null if not resolved
         "auth": str | null,            # e.g. "oauth2 (aad)", "apiKey", "none"
         "problems": [Problem.to_dict(), ...]}   # problems in files of this connector's folder
      ],
      "problems": [Problem.to_dict(), ...]       # problems outside any connector folder
    }
Problem.to_dict(): {severity, code, file, line, column, field, message, hint}.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from connectorops.commands.context import EXIT_ERROR, EXIT_OK, CliContext
from connectorops.definitions.model import ResolvedConnector
from connectorops.definitions.resolve import environment_cache_dir, resolve_connector
from connectorops.engine.uncarried import is_pulumi_environment, uncarried_problems
from connectorops.errors import ConnectoropsError, Problem, Severity, SpecError
from connectorops.policy.certification import load_certification_policy
from connectorops.policy.sharing import check_sharing, load_sharing_policy
from connectorops.spec.loader import CONFIG_FILE, CONNECTORS_DIR, load_repository, select_environment
from connectorops.spec.repository import ConnectorInEnvironment, Repository
from connectorops.spec.source import FileSystemTree, SourceTree
from connectorops.targets.arm.render import render_custom_api


@dataclass
class ConnectorCheck:
    """What validate found out about one connector.yaml."""

    name: str
    path: str
    source: str | None = None
    operations: int | None = None
    auth: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return self.path.rsplit("/", 1)[0]

    def owns(self, problem: Problem) -> bool:
        file = problem.file or ""
        return file == self.folder or file.startswith(self.folder + "/")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "source": self.source,
            "operations": self.operations,
            "auth": self.auth,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass
class ValidationReport:
    environment: str | None
    connectors: list[ConnectorCheck]
    problems: list[Problem]  # outside any connector folder

    def all_problems(self) -> list[Problem]:
        return self.problems + [p for c in self.connectors for p in c.problems]

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.all_problems() if p.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count(Severity.ERROR) == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "environment": self.environment,
            "summary": {"errors": self.count(Severity.ERROR), "warnings": self.count(Severity.WARNING)},
            "connectors": [c.to_dict() for c in self.connectors],
            "problems": [p.to_dict() for p in self.problems],
        }


def run(ctx: CliContext, *, json_output: bool) -> int:
    if not ctx.repo.is_dir():
        raise SpecError(f"repository folder {ctx.repo} does not exist", hint="pass the repository root with --repo")
    report = validate_repository(FileSystemTree(ctx.repo), ctx.repo, ctx.environment)
    if json_output:
        ctx.console.out(json.dumps(report.to_dict(), indent=2), highlight=False)
    else:
        _print_report(ctx, report)
    return EXIT_OK if report.ok else EXIT_ERROR


def validate_repository(tree: SourceTree, repo_root: Path, environment: str | None) -> ValidationReport:
    """Every problem of the repository for one environment; raises only for non-user errors."""
    repo = load_repository(tree)
    problems: list[Problem] = list(repo.problems)
    if not tree.exists(CONFIG_FILE) and not tree.is_dir(CONNECTORS_DIR):
        problems.append(
            Problem(
                f"neither {CONFIG_FILE} nor {CONNECTORS_DIR}/ found in {tree.label}: nothing to validate",
                severity=Severity.WARNING,
                hint="run from the repository root or pass --repo DIR",
                code="spec.empty_repository",
            )
        )
    env_name: str | None = None
    target = "local"
    cache_dir = environment_cache_dir(repo_root, None)
    try:
        env_name, env = select_environment(repo, environment)
        target = env.target
        cache_dir = environment_cache_dir(repo_root, env)
    except ConnectoropsError as error:
        problems.extend(error.problems)

    checks = {path: ConnectorCheck(name=path.rsplit("/", 2)[-2], path=path) for path in repo.connector_files}
    if env_name is not None:
        views = [ConnectorInEnvironment.of(connector, env_name) for connector in repo.connectors]
        sharing_problems = _sharing_problems(repo, views)
        problems.extend(sharing_problems)
        resolved: list[ResolvedConnector] = []
        with _cache_for(cache_dir, broken=bool(repo.errors)) as usable_cache:
            for view in views:
                connector = view.connector
                check = checks[connector.path]
                check.name = connector.name
                _describe(check, view)
                found, definition = _resolve(check, view, tree, target, usable_cache)
                problems.extend(found)
                if definition is not None:
                    resolved.append(definition)
        problems.extend(_pulumi_problems(repo, env_name, resolved))

    ordered = sorted(checks.values(), key=lambda c: c.path)
    outside: list[Problem] = []
    for problem in problems:
        owner = next((c for c in ordered if c.owns(problem)), None)
        (owner.problems if owner else outside).append(problem)
    return ValidationReport(environment=env_name, connectors=ordered, problems=outside)


@contextmanager
def _cache_for(cache_dir: Path, *, broken: bool) -> Iterator[Path]:
    """The definitions cache to use: a throw-away one while the repository has errors.

    A refused repository writes nothing: its stateDir may even point outside the repository.
    """
    if not broken:
        yield cache_dir
        return
    with tempfile.TemporaryDirectory(prefix="connectorops-validate-") as scratch:
        yield Path(scratch)


def _describe(check: ConnectorCheck, view: ConnectorInEnvironment) -> None:
    spec = view.spec
    check.source = spec.definition.kind
    if spec.auth is not None:
        provider = getattr(spec.auth, "identityProvider", None)
        check.auth = f"{spec.auth.type} ({provider})" if provider else spec.auth.type


def _resolve(
    check: ConnectorCheck, view: ConnectorInEnvironment, tree: SourceTree, target: str, cache_dir: Path
) -> tuple[list[Problem], ResolvedConnector | None]:
    """Resolve the connector; its problems (with what `target` cannot carry) and the connector as it would be
    deployed (None when it does not resolve); operations/auth into `check`."""
    try:
        resolved = resolve_connector(view, tree, target=target, cache_dir=cache_dir)
    except ConnectoropsError as error:
        return [_with_file(p, view.path) for p in error.problems], None
    check.operations = resolved.definition.operation_count
    if check.auth is None:
        check.auth = resolved.definition.auth_kind
    found = [*resolved.definition.warnings, *resolved.carried]
    return [_with_file(p, view.path) for p in found], resolved


def _pulumi_problems(repo: Repository, environment: str, resolved: list[ResolvedConnector]) -> list[Problem]:
    """What `pulumi up` cannot carry, as plan reports it: only `mode: pulumi` environments render here."""
    if not is_pulumi_environment(repo, environment):
        return []
    env = repo.config.environments[environment]
    location = str(getattr(env, "location", ""))
    apis = [render_custom_api(r, location=location, commit=None) for r in resolved]
    return uncarried_problems(repo, environment, apis)


def _sharing_problems(repo: Repository, views: list[ConnectorInEnvironment]) -> list[Problem]:
    """policies/sharing.yaml and every connector's sharing requests."""
    policy, problems = load_sharing_policy(repo.tree)
    for view in views:
        problems.extend(check_sharing(view, policy, tree=repo.tree))
    # policies/certification.yaml too: a misspelt rule id would otherwise be ignored silently
    problems.extend(load_certification_policy(repo.tree)[1])
    return list(problems)


def _with_file(problem: Problem, file: str) -> Problem:
    """Problems without a file belong to the connector.yaml they were found for."""
    return problem if problem.file else replace(problem, file=file)


# --- terminal output ---------------------------------------------------------------------


def _result_text(problems: list[Problem]) -> Text:
    errors = sum(1 for p in problems if p.severity == Severity.ERROR)
    warnings = sum(1 for p in problems if p.severity == Severity.WARNING)
    if errors:
        text = f"{errors} error{'s' if errors > 1 else ''}"
        if warnings:
            text += f", {warnings} warning{'s' if warnings > 1 else ''}"
        return Text(text, style="bold red")
    if warnings:
        return Text(f"{warnings} warning{'s' if warnings > 1 else ''}", style="yellow")
    return Text("OK", style="green")


def _print_problem(ctx: CliContext, problem: Problem) -> None:
    style = "bold red" if problem.severity == Severity.ERROR else "yellow"
    line = Text("  ")
    line.append(str(problem.severity), style=style)
    line.append(f" {problem.location}: " if problem.location else " ")
    line.append(problem.message)
    ctx.console.print(line, highlight=False, soft_wrap=True)
    if problem.hint:
        ctx.console.print(Text(f"      hint: {problem.hint}", style="dim"), highlight=False, soft_wrap=True)


def _print_report(ctx: CliContext, report: ValidationReport) -> None:
    title = f"connectors (environment {report.environment})" if report.environment else "connectors"
    table = Table(title=title, title_justify="left")
    for column in ("connector", "source", "operations", "auth", "result"):
        table.add_column(column, justify="right" if column == "operations" else "left")
    for check in report.connectors:
        operations = "-" if check.operations is None else str(check.operations)
        table.add_row(check.name, check.source or "-", operations, check.auth or "-", _result_text(check.problems))
    if report.connectors:
        ctx.console.print(table)
    else:
        ctx.console.print("no connectors found under connectors/", highlight=False)
    for check in report.connectors:
        if check.problems:
            ctx.console.print(Text(f"\n{check.name} ({check.path})", style="bold"), highlight=False)
            for problem in check.problems:
                _print_problem(ctx, problem)
    if report.problems:
        ctx.console.print(Text("\nrepository", style="bold"), highlight=False)
        for problem in report.problems:
            _print_problem(ctx, problem)
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    summary = Text(f"\n{errors} error(s), {warnings} warning(s)", style="bold red" if errors else "green")
    ctx.console.print(summary, highlight=False)
