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
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from connectorops.commands.context import EXIT_ERROR, EXIT_OK, CliContext
from connectorops.definitions.input_memo import connector_inputs, memoized
from connectorops.definitions.verdict_cache import DEFAULT_STATE_DIR, verdict_cache_at
from connectorops.errors import ConnectoropsError, Problem, Severity, SpecError
from connectorops.spec.source import FileSystemTree, SourceTree

# The pipeline (pydantic models, definitions, policies) is imported when a report is computed, not
# when a remembered one is shown: a warm `validate` of an unchanged repository never loads it.
if TYPE_CHECKING:
    from rich.text import Text

    from connectorops.definitions.model import ResolvedConnector
    from connectorops.engine.target import Capabilities
    from connectorops.spec.repository import ConnectorInEnvironment, Repository


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
    # True when every input was read through the tree (no URL fetch, no absolute path) and the
    # report may be remembered under .connectorops/cache; never shown.
    self_contained: bool = field(default=False, compare=False)

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """The inverse of `to_dict` (a remembered report is stored as its JSON view)."""
        checks = [
            ConnectorCheck(
                name=c["name"],
                path=c["path"],
                source=c["source"],
                operations=c["operations"],
                auth=c["auth"],
                problems=[Problem.from_dict(p) for p in c["problems"]],
            )
            for c in data["connectors"]
        ]
        return cls(data["environment"], checks, [Problem.from_dict(p) for p in data["problems"]])


def run(ctx: CliContext, *, json_output: bool) -> int:
    if not ctx.repo.is_dir():
        raise SpecError(f"repository folder {ctx.repo} does not exist", hint="pass the repository root with --repo")
    report = remembered_validation(ctx.repo, ctx.environment)
    if json_output:
        ctx.console.out(json.dumps(report.to_dict(), indent=2), highlight=False)
    else:
        _print_report(ctx, report)
    return EXIT_OK if report.ok else EXIT_ERROR


def remembered_validation(repo_root: Path, environment: str | None) -> ValidationReport:
    """validate_repository, or the report remembered with every question it asked while all answers hold.

    Only a passing, self-contained run is remembered: a failing one is what the user is editing.
    """
    return memoized(
        verdict_cache_at(repo_root / DEFAULT_STATE_DIR / "cache"),
        "validate-repository",
        (str(repo_root), environment),
        FileSystemTree(repo_root),
        lambda recording: validate_repository(recording, repo_root, environment),
        encode=ValidationReport.to_dict,
        decode=ValidationReport.from_dict,
        storable=lambda report: report.ok and report.self_contained,
    )


def validate_repository(tree: SourceTree, repo_root: Path, environment: str | None) -> ValidationReport:
    """Every problem of the repository for one environment; raises only for non-user errors."""
    from connectorops.definitions.resolve import environment_cache_dir
    from connectorops.spec.loader import CONFIG_FILE, CONNECTORS_DIR, load_repository, select_environment

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
    from connectorops.spec.repository import ConnectorInEnvironment
    from connectorops.targets.arm.target import ARM_CAPABILITIES
    from connectorops.targets.connect import capabilities_of

    env_name: str | None = None
    target = "local"
    capabilities = ARM_CAPABILITIES
    cache_dir = environment_cache_dir(repo_root, None)
    try:
        env_name, env = select_environment(repo, environment)
        target = env.target
        capabilities = capabilities_of(env)
        cache_dir = environment_cache_dir(repo_root, env)
    except ConnectoropsError as error:
        problems.extend(error.problems)

    checks = {path: ConnectorCheck(name=path.rsplit("/", 2)[-2], path=path) for path in repo.connector_files}
    if env_name is not None:
        views = [ConnectorInEnvironment.of(connector, env_name) for connector in repo.connectors]
        sharing_problems = _sharing_problems(repo, env_name, views)
        problems.extend(sharing_problems)
        resolved: list[ResolvedConnector] = []
        pulumi = _is_pulumi(repo, env_name)  # needs every definition, not only its verdict
        fit = (target, capabilities)  # what the environment's target can carry
        with _cache_for(cache_dir, broken=bool(repo.errors)) as usable_cache:
            for view in views:
                connector = view.connector
                check = checks[connector.path]
                check.name = connector.name
                _describe(check, view)
                if pulumi or connector.document.spec.definition.kind == "url":
                    found, definition = _resolve(check, view, tree, fit, usable_cache)
                else:  # the verdict alone, remembered with the files it read
                    found, definition = _remembered(check, view, tree, fit, usable_cache), None
                problems.extend(found)
                if definition is not None:
                    resolved.append(definition)
        problems.extend(_pulumi_problems(repo, env_name, resolved))

    ordered = sorted(checks.values(), key=lambda c: c.path)
    outside: list[Problem] = []
    for problem in problems:
        owner = next((c for c in ordered if c.owns(problem)), None)
        (owner.problems if owner else outside).append(problem)
    self_contained = _self_contained(repo, repo_root, cache_dir)
    return ValidationReport(environment=env_name, connectors=ordered, problems=outside, self_contained=self_contained)


def _self_contained(repo: Repository, repo_root: Path, cache_dir: Path) -> bool:
    """Whether the tree alone answered everything: no URL source, no absolute caBundle, the default cache."""
    if repo.errors or cache_dir != repo_root / DEFAULT_STATE_DIR / "cache":
        return False
    if any(c.document.spec.definition.kind == "url" for c in repo.connectors):
        return False
    bundles = [getattr(env, "caBundle", None) for env in repo.config.environments.values()]
    return not any(bundle and PurePath(bundle).is_absolute() for bundle in bundles)


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
    check: ConnectorCheck,
    view: ConnectorInEnvironment,
    tree: SourceTree,
    target: tuple[str, Capabilities],
    cache_dir: Path,
) -> tuple[list[Problem], ResolvedConnector | None]:
    """Resolve the connector; its problems (with what `target` cannot carry) and the connector as it would be
    deployed (None when it does not resolve); operations/auth into `check`."""
    from connectorops.definitions.resolve import resolve_connector

    try:
        resolved = resolve_connector(view, tree, target=target, cache_dir=cache_dir)
    except ConnectoropsError as error:
        return [_with_file(p, view.path) for p in error.problems], None
    check.operations = resolved.definition.operation_count
    if check.auth is None:
        check.auth = resolved.definition.auth_kind
    found = [*resolved.definition.warnings, *resolved.carried]
    return [_with_file(p, view.path) for p in found], resolved


def _remembered(
    check: ConnectorCheck,
    view: ConnectorInEnvironment,
    tree: SourceTree,
    target: tuple[str, Capabilities],
    cache_dir: Path,
) -> list[Problem]:
    """_resolve's problems, operations and auth, from the verdict cache while the connector's files are unchanged."""
    auth = check.auth

    def compute(recording: SourceTree) -> tuple[list[Problem], int | None, str | None]:
        check.operations, check.auth = None, auth
        found = _resolve(check, view, recording, target, cache_dir)[0]
        return found, check.operations, check.auth

    found, check.operations, check.auth = memoized(
        verdict_cache_at(cache_dir),
        "validate-connector",
        (*connector_inputs(view.connector), view.environment, target[0], _capabilities_key(target[1])),
        tree,
        compute,
        encode=lambda v: {"problems": [p.to_dict() for p in v[0]], "operations": v[1], "auth": v[2]},
        decode=lambda v: ([Problem.from_dict(p) for p in v["problems"]], v["operations"], v["auth"]),
    )
    return found


def _capabilities_key(capabilities: Capabilities) -> str:
    """The capabilities as stable text (sets sorted): `local` carries more with `platform: powerplatform`."""
    fields = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in vars(capabilities).items()}
    return json.dumps(fields, sort_keys=True, default=str)


def _is_pulumi(repo: Repository, environment: str) -> bool:
    from connectorops.engine.uncarried import is_pulumi_environment

    return is_pulumi_environment(repo, environment)


def _pulumi_problems(repo: Repository, environment: str, resolved: list[ResolvedConnector]) -> list[Problem]:
    """What `pulumi up` cannot carry, as plan reports it: only `mode: pulumi` environments render here."""
    from connectorops.engine.uncarried import is_pulumi_environment, uncarried_problems
    from connectorops.targets.arm.render import render_custom_api

    if not is_pulumi_environment(repo, environment):
        return []
    env = repo.config.environments[environment]
    location = str(getattr(env, "location", ""))
    apis = [render_custom_api(r, location=location, commit=None) for r in resolved]
    return uncarried_problems(repo, environment, apis)


def _sharing_problems(repo: Repository, environment: str, views: list[ConnectorInEnvironment]) -> list[Problem]:
    """policies/sharing.yaml and every connector's sharing requests."""
    from connectorops.policy.certification.certify import load_certification_policy
    from connectorops.policy.sharing import check_sharing, load_sharing_policy, platform_of

    policy, problems = load_sharing_policy(repo.tree)
    platform = platform_of(repo.config.environments.get(environment))
    for view in views:
        problems.extend(check_sharing(view, policy, tree=repo.tree, platform=platform))
    # policies/certification.yaml too: a misspelt rule id would otherwise be ignored silently
    problems.extend(load_certification_policy(repo.tree)[1])
    return list(problems)


def _with_file(problem: Problem, file: str) -> Problem:
    """Problems without a file belong to the connector.yaml they were found for."""
    return problem if problem.file else replace(problem, file=file)


# --- terminal output ---------------------------------------------------------------------


def _result_text(problems: list[Problem]) -> Text:
    from rich.text import Text

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
    from rich.text import Text

    style = "bold red" if problem.severity == Severity.ERROR else "yellow"
    line = Text("  ")
    line.append(str(problem.severity), style=style)
    line.append(f" {problem.location}: " if problem.location else " ")
    line.append(problem.message)
    ctx.console.print(line, highlight=False, soft_wrap=True)
    if problem.hint:
        ctx.console.print(Text(f"      hint: {problem.hint}", style="dim"), highlight=False, soft_wrap=True)


def _print_report(ctx: CliContext, report: ValidationReport) -> None:
    from rich.table import Table
    from rich.text import Text

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
