"""The `connectorops` command line: argument parsing only; each command lives in commands/.

Exit codes everywhere: 0 success / no changes, 2 changes or drift present, 1 error.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from connectorops.commands.context import EXIT_CHANGES, EXIT_ERROR, CliContext
from connectorops.errors import ConnectoropsError, Severity, SpecError

# rich_markup_mode=None: plain help; typer's rich help imports rich.markdown/pygments/traceback (~100 ms)
app = typer.Typer(
    name="connectorops",
    rich_markup_mode=None,
    help="Custom connectors for Logic Apps and Power Platform, managed the GitOps way.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
emulator_app = typer.Typer(
    rich_markup_mode=None, help="The local ARM emulator (the embedded target of the `local` environment)."
)
app.add_typer(emulator_app, name="emulator")
new_app = typer.Typer(help="Add something to the repository: `connectorops new connector NAME --from SOURCE`.")
app.add_typer(new_app, name="new")

RepoOption = Annotated[
    Path | None,
    typer.Option("--repo", help="Repository root (holds connectorops.yaml). Default: current directory."),
]
EnvOption = Annotated[
    str | None, typer.Option("--environment", "-e", help="Environment from connectorops.yaml (default: its `default`).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
MarkdownOption = Annotated[bool, typer.Option("--markdown", help="Markdown (for a PR comment) on stdout.")]
RotateSecretsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rotate-secrets",
        metavar="NAME",
        help="Re-send NAME's secrets (a rotated value behind the same reference); '*' for every connector.",
    ),
]
LockTimeoutOption = Annotated[
    str,
    typer.Option(
        "--lock-timeout", help="Wait this long for the environment's writer lease (e.g. 30s, 5m); 0s: fail at once."
    ),
]


# Global options given before the command (`connectorops --repo X -e dev plan`); a command's own
# --repo/-e win. Reset by the callback on every invocation.
_global_options: dict[str, Any] = {}
# Commands that read the repository's spec, whose cache (.connectorops/cache) they already use.
REMEMBERING_COMMANDS = frozenset({"plan", "apply", "drift", "validate", "certify", "definition"})
# Commands dispatched in this process: tells main() a command's exit code from a usage error's.
_ran: list[str] = []


@app.callback()
def _root(repo: RepoOption = None, environment: EnvOption = None) -> None:
    _global_options.clear()
    _global_options.update(repo=repo, environment=environment)


def _context(repo: Path | None, environment: str | None) -> CliContext:
    from rich.console import Console  # not needed for --help

    chosen = repo or _global_options.get("repo") or Path(".")
    return CliContext(
        repo=chosen.resolve(),
        environment=environment or _global_options.get("environment"),
        console=Console(soft_wrap=True),
        err_console=Console(stderr=True, soft_wrap=True),
    )


def _check_repo(repo: Path, *, may_be_created: bool) -> None:
    """--repo must name a directory: a typo would otherwise plan an empty repository (or crash)."""
    if repo.is_dir() or (may_be_created and not repo.exists()):
        return
    problem = "is not a directory" if repo.exists() else "does not exist"
    raise SpecError(f"--repo {repo} {problem}", hint="pass the repository root (the folder with connectorops.yaml)")


def _dispatch(command: str, ctx: CliContext, **options: Any) -> None:
    """Run commands/<command>.py's `run`; user errors become a message and exit 1, never a traceback."""
    _ran.append(command)
    try:
        _check_repo(ctx.repo, may_be_created=command in ("controller", "emulator", "init"))
        if options.get("json_output") and options.get("markdown"):
            raise ConnectoropsError("--json and --markdown are both given", hint="choose one output format")
        module = importlib.import_module(f"connectorops.commands.{command}")
        remembering = command in REMEMBERING_COMMANDS
        with _remembering_valid_documents(ctx.repo) if remembering else contextlib.nullcontext():
            code = module.run(ctx, **options)
    except ConnectoropsError as error:
        from rich.text import Text

        for problem in error.problems:
            # Text, not markup: a hint such as `strip: [customCode]` must reach the user whole.
            style = "bold red" if problem.severity == Severity.ERROR else "yellow"
            ctx.err_console.print(Text(f"{problem.severity}:", style=style).append(f" {problem}"), highlight=False)
        code = error.exit_code
    except KeyboardInterrupt:
        ctx.err_console.print("interrupted")
        code = 130
    raise typer.Exit(code)


@contextlib.contextmanager
def _remembering_valid_documents(repo: Path) -> Iterator[None]:
    """Valid connector.yaml/connectorops.yaml documents seen before are not validated again (start-up time)."""
    from connectorops.definitions.verdict_cache import DEFAULT_STATE_DIR, validated_memo
    from connectorops.spec.remembered import remember_validated

    remember_validated(validated_memo(repo / DEFAULT_STATE_DIR / "cache"))
    try:
        yield
    finally:
        remember_validated(None)


@app.command()
def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Where to create the repository (default: --repo or the current directory).")
    ] = None,
    repo: RepoOption = None,
    pulumi: Annotated[bool, typer.Option("--pulumi", help="Also write Pulumi.yaml and infra/ (pulumi up).")] = False,
    action: Annotated[
        str | None, typer.Option("--action", help="`uses:` of the workflows' connectorops action (owner/repo@ref).")
    ] = None,
) -> None:
    """Start a connector repository: connectorops.yaml, an example connector, policies, CI workflows."""
    _dispatch("init", _context(repo, None), directory=directory, pulumi=pulumi, action=action)


@app.command()
def validate(repo: RepoOption = None, environment: EnvOption = None, json: JsonOption = False) -> None:
    """Check every connector, definition and policy; exit 1 on any error."""
    _dispatch("validate", _context(repo, environment), json_output=json)


@app.command()
def definition(
    name: Annotated[str, typer.Argument(help="Connector name (metadata.name).")],
    repo: RepoOption = None,
    environment: EnvOption = None,
) -> None:
    """Print the normalized OpenAPI 2.0 document that would be deployed, as JSON."""
    _dispatch("definition", _context(repo, environment), name=name)


@app.command()
def schema(
    repo: RepoOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the schemas into this directory.")] = None,
) -> None:
    """JSON Schema of connector.yaml and connectorops.yaml (for yaml-language-server)."""
    _dispatch("schema", _context(repo, None), out=out)


@app.command()
def plan(
    repo: RepoOption = None,
    environment: EnvOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Save the plan (JSON) for `apply --plan`.")] = None,
    json: JsonOption = False,
    markdown: MarkdownOption = False,
    allow_connection_loss: Annotated[
        list[str] | None,
        typer.Option("--allow-connection-loss", help="Allow deleting NAME although it has connections."),
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Allow a desired state with no connectors.")
    ] = False,
    max_deletions: Annotated[
        int, typer.Option("--max-deletions", min=0, help="Refuse plans deleting more than N.")
    ] = 3,
    rotate_secrets: RotateSecretsOption = None,
    at: Annotated[str | None, typer.Option("--at", help="Desired state at this git revision.")] = None,
    base: Annotated[str | None, typer.Option("--base", help="PR base revision: mark what the change touches.")] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="PR head revision (default: --at or the working tree).")
    ] = None,
) -> None:
    """Diff desired (git) against actual (Azure); exit 0 no changes, 2 changes, 1 error or blocked."""
    _dispatch(
        "plan",
        _context(repo, environment),
        out=out,
        json_output=json,
        markdown=markdown,
        allow_connection_loss=allow_connection_loss or [],
        allow_empty=allow_empty,
        max_deletions=max_deletions,
        rotate_secrets=rotate_secrets or [],
        at=at,
        base=base,
        head=head,
    )


@app.command()
def apply(
    repo: RepoOption = None,
    environment: EnvOption = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="Apply exactly this saved plan.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    allow_connection_loss: Annotated[list[str] | None, typer.Option("--allow-connection-loss")] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty")] = False,
    max_deletions: Annotated[int, typer.Option("--max-deletions", min=0)] = 3,
    json: JsonOption = False,
    rotate_secrets: RotateSecretsOption = None,
    lock_timeout: LockTimeoutOption = "0s",
) -> None:
    """Make the target match git (or a saved plan). Asks first unless --yes."""
    _dispatch(
        "apply",
        _context(repo, environment),
        plan_file=plan_file,
        yes=yes,
        allow_connection_loss=allow_connection_loss or [],
        allow_empty=allow_empty,
        max_deletions=max_deletions,
        json_output=json,
        rotate_secrets=rotate_secrets or [],
        lock_timeout=lock_timeout,
    )


@app.command()
def drift(
    repo: RepoOption = None,
    environment: EnvOption = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the correcting plan (same guards as apply).")] = False,
    json: JsonOption = False,
    markdown: MarkdownOption = False,
    at: Annotated[str | None, typer.Option("--at", help="Desired state at this git revision.")] = None,
    lock_timeout: LockTimeoutOption = "0s",
) -> None:
    """Report what changed out of band; exit 0 none, 2 drift, 1 error."""
    _dispatch(
        "drift",
        _context(repo, environment),
        fix=fix,
        json_output=json,
        markdown=markdown,
        at=at,
        lock_timeout=lock_timeout,
    )


@app.command()
def certify(
    names: Annotated[list[str] | None, typer.Argument(help="Connectors to check (default: all).")] = None,
    repo: RepoOption = None,
    environment: EnvOption = None,
    json: JsonOption = False,
    markdown: MarkdownOption = False,
    package: Annotated[
        Path | None,
        typer.Option("--package", help="Write NAME's submission folder for microsoft/PowerPlatformConnectors here."),
    ] = None,
) -> None:
    """Check connectors against Microsoft's certification rules, offline."""
    _dispatch(
        "certify",
        _context(repo, environment),
        names=names or [],
        json_output=json,
        markdown=markdown,
        package=package,
    )


@app.command("import")
def import_(
    repo: RepoOption = None,
    environment: EnvOption = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these connectors.")] = None,
    into: Annotated[Path, typer.Option("--into", help="Folder for the new connector folders.")] = Path("connectors"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing folders.")] = False,
) -> None:
    """Write connector.yaml + openapi.json for connectors that exist in the target but not in git."""
    _dispatch("import_", _context(repo, environment), select=select or [], into=into, force=force)


@app.command()
def controller(
    repo_url: Annotated[
        str,
        typer.Option(
            "--repo-url",
            help="Git URL or path to watch. Credentials: CONNECTOROPS_GIT_USERNAME/PASSWORD (never written to disk).",
        ),
    ],
    repo: RepoOption = None,
    environment: EnvOption = None,
    branch: Annotated[str, typer.Option("--branch")] = "main",
    interval: Annotated[str, typer.Option("--interval", help="e.g. 30s, 5m, 1h")] = "5m",
    mode: Annotated[str, typer.Option("--mode", help="observe | apply")] = "observe",
    listen: Annotated[str | None, typer.Option("--listen", help="127.0.0.1:PORT for /healthz /status /metrics")] = None,
) -> None:
    """Watch a git branch and reconcile an environment continuously."""
    _dispatch(
        "controller",
        _context(repo, environment),
        repo_url=repo_url,
        branch=branch,
        interval=interval,
        mode=mode,
        listen=listen,
    )


@new_app.command("connector")
def new_connector(
    name: Annotated[str, typer.Argument(help="Connector name (metadata.name and folder under connectors/).")],
    source: Annotated[
        str,
        typer.Option(
            "--from", help="An OpenAPI 2.0 file, a Postman collection, a paconn folder, or an https URL (pinned)."
        ),
    ],
    repo: RepoOption = None,
    service_url: Annotated[
        str | None, typer.Option("--service-url", help="backend.serviceUrl, for definitions without a host.")
    ] = None,
    strip: Annotated[
        list[str] | None,
        typer.Option(
            "--strip",
            help="spec.strip: leave policyTemplates, customCode or connectionParameterSets out of ARM environments.",
        ),
    ] = None,
    parameter_set: Annotated[
        str | None,
        typer.Option("--connection-parameter-set", help="spec.connectionParameterSet: the set ARM environments get."),
    ] = None,
) -> None:
    """Add connectors/NAME/ with a connector.yaml filled from the definition; it validates at once."""
    _dispatch(
        "new_connector",
        _context(repo, None),
        name=name,
        source=source,
        service_url=service_url,
        strip=strip,
        parameter_set=parameter_set,
    )


@emulator_app.command("serve")
def emulator_serve(
    db: Annotated[Path, typer.Option("--db", help="SQLite state file.")] = Path(".connectorops/emulator.db"),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0 = any free port.")] = 0,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    throttle: Annotated[
        bool,
        typer.Option(
            "--throttle",
            help="Throttle like ARM: token buckets per subscription (reads 250 +25/s, writes and deletes 200 +10/s), "
            "429 + Retry-After, x-ms-ratelimit-remaining-* headers.",
        ),
    ] = False,
    faults: Annotated[
        str | None,
        typer.Option(
            "--faults",
            metavar="RATE[,SEED]",
            help="Inject faults into RATE (0..1) of the requests, split evenly over 500, 503 and connection "
            "resets; SEED (default 0) makes the sequence reproducible.",
        ),
    ] = None,
) -> None:
    """Serve the ARM emulator over HTTPS. First stdout line: JSON {base_url, token, ca_path, subscription_id,
    powerapps_url, flow_url, environment_id}."""
    _dispatch("emulator", _context(None, None), db=db, port=port, host=host, throttle=throttle, faults=faults)


def main() -> None:
    try:
        app()
    except ConnectoropsError as error:  # raised outside a command (should not happen)
        print(f"error: {error}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    except SystemExit as exiting:
        # Typer exits 2 on a usage error (unknown flag, bad value), but 2 means "changes present"
        # to CI scripts; only a command that ran may exit 2, a command line that did not parse exits 1.
        if exiting.code == EXIT_CHANGES and not _ran:
            sys.exit(EXIT_ERROR)
        raise


if __name__ == "__main__":
    main()
