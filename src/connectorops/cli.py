"""The `connectorops` command line: argument parsing only; each command lives in commands/.

Exit codes everywhere: 0 success / no changes, 2 changes or drift present, 1 error (a usage error too).
argparse, not a CLI framework: start-up time is mostly imports (issue 13), and typer cost ~50 ms a run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # imported when a command runs: their dataclasses import `inspect` (~15 ms of --help)
    from connectorops.commands.context import CliContext

PROG = "connectorops"
# commands.context.EXIT_ERROR, not imported for --help; never 2, which means "changes present" to CI scripts.
EXIT_USAGE = 1
# Commands that read the repository's spec, whose cache (.connectorops/cache) they already use.
REMEMBERING_COMMANDS = frozenset({"plan", "apply", "drift", "validate", "certify", "definition"})
# Namespace entries that say which command runs and where, not options of its `run`.
_NOT_OPTIONS = frozenset({"command", "module", "parser", "repo", "environment", "global_repo", "global_environment"})

REPO_HELP = "Repository root (holds connectorops.yaml). Default: current directory."
ENVIRONMENT_HELP = "Environment from connectorops.yaml (default: its `default`)."
ROTATE_SECRETS_HELP = "Re-send NAME's secrets (a rotated value behind the same reference); '*' for every connector."
LOCK_TIMEOUT_HELP = "Wait this long for the environment's writer lease (e.g. 30s, 5m); 0s: fail at once."


class UsageError(Exception):
    """A command line that does not parse. It exits 1, never 2: 2 means "changes present" to CI scripts."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser

    def show(self) -> None:
        self.parser.print_usage(sys.stderr)
        sys.stderr.write(f"Try '{self.parser.prog} --help' for help.\n\nerror: {self}\n")


class ParserExit(Exception):
    """argparse finished the run itself (--help was printed): exit with this status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Formatter(argparse.HelpFormatter):
    """click-like help: "Usage:", commands listed without argparse's `{a,b,c}` line, defaults shown."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34)

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):
            return "".join(self._format_action(choice) for choice in action._get_subactions())
        return super()._format_action(action)

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        value = self._format_args(action, self._get_default_metavar_for_optional(action))
        return f"{', '.join(action.option_strings)} {value}"  # `-e, --environment NAME`, the metavar once

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, [], argparse.SUPPRESS) and action.option_strings:
            text += "  [default: %(default)s]"
        return text


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, so run() returns every exit code; no abbreviations (`--allow` means nothing)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_abbrev=False, add_help=False, formatter_class=_Formatter, **kwargs)
        self._positionals.title = "Arguments"
        self._optionals.title = "Options"
        self.add_argument("-h", "--help", action="help", help="Show this message and exit.")

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise ParserExit(status)


def _named(text: str) -> str:
    """An environment name: an empty one is most often an unset variable (`-e "$ENV"`), never the default."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: name an environment of connectorops.yaml")
    return text


def _repository(text: str) -> Path:
    """A repository path: an empty one (an unset variable) must not quietly mean the current directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: name the repository folder (or leave --repo out)")
    return Path(text)


def _non_negative(text: str) -> int:
    return _integer(text, 0, None)


def _port(text: str) -> int:
    return _integer(text, 0, 65535)


def _integer(text: str, low: int, high: int | None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f"{low} or more"
        raise argparse.ArgumentTypeError(f"{value} is out of range (must be {bounds})")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each command's defaults say which commands/<module>.py runs it."""
    root = _Parser(
        prog=PROG,
        usage="%(prog)s [OPTIONS] COMMAND [ARGS]...",
        description="Custom connectors for Logic Apps and Power Platform, managed the GitOps way.",
    )
    # Global options before the command (`connectorops --repo X -e dev plan`); a command's own --repo/-e win.
    root.add_argument("--repo", dest="global_repo", type=_repository, metavar="PATH", help=REPO_HELP)
    root.add_argument(
        "-e", "--environment", dest="global_environment", type=_named, metavar="NAME", help=ENVIRONMENT_HELP
    )
    commands = root.add_subparsers(title="Commands", metavar="COMMAND", required=True, prog=PROG)

    def command(
        name: str, doc: str, *, module: str | None = None, group: Any = commands, usage: str = "%(prog)s [OPTIONS]"
    ) -> _Parser:
        parser: _Parser = group.add_parser(name, help=doc, description=doc, usage=usage)
        parser.set_defaults(command=parser.prog.removeprefix(f"{PROG} "), module=module or name, parser=parser)
        return parser

    def repo(parser: _Parser) -> None:
        parser.add_argument("--repo", type=_repository, metavar="PATH", help=REPO_HELP)

    def environment(parser: _Parser) -> None:
        parser.add_argument("-e", "--environment", type=_named, metavar="NAME", help=ENVIRONMENT_HELP)

    def flag(parser: _Parser, name: str, dest: str, text: str | None = None) -> None:
        parser.add_argument(name, dest=dest, action="store_true", help=text)

    def output_formats(parser: _Parser, *, markdown: bool = True) -> None:
        flag(parser, "--json", "json_output", "Machine-readable JSON on stdout.")
        if markdown:
            flag(parser, "--markdown", "markdown", "Markdown (for a PR comment) on stdout.")

    def guards(parser: _Parser) -> None:
        parser.add_argument(
            "--allow-connection-loss",
            action="append",
            default=[],
            metavar="NAME",
            help="Allow deleting NAME although it has connections.",
        )
        flag(parser, "--allow-empty", "allow_empty", "Allow a desired state with no connectors.")
        parser.add_argument(
            "--max-deletions", type=_non_negative, default=3, metavar="N", help="Refuse plans deleting more than N."
        )

    def rotate_secrets(parser: _Parser) -> None:
        parser.add_argument("--rotate-secrets", action="append", default=[], metavar="NAME", help=ROTATE_SECRETS_HELP)

    def lock_timeout(parser: _Parser) -> None:
        parser.add_argument("--lock-timeout", default="0s", metavar="DURATION", help=LOCK_TIMEOUT_HELP)

    def at(parser: _Parser) -> None:
        parser.add_argument("--at", metavar="REV", help="Desired state at this git revision.")

    init = command(
        "init",
        "Start a connector repository: connectorops.yaml, an example connector, policies, CI workflows.",
        usage="%(prog)s [OPTIONS] [DIRECTORY]",
    )
    init.add_argument(
        "directory",
        nargs="?",
        type=Path,
        metavar="DIRECTORY",
        help="Where to create the repository (default: --repo or the current directory).",
    )
    repo(init)
    flag(init, "--pulumi", "pulumi", "Also write Pulumi.yaml and infra/ (pulumi up).")
    init.add_argument(
        "--action", metavar="OWNER/REPO@REF", help="`uses:` of the workflows' connectorops action (owner/repo@ref)."
    )

    validate = command("validate", "Check every connector, definition and policy; exit 1 on any error.")
    repo(validate)
    environment(validate)
    output_formats(validate, markdown=False)

    definition = command(
        "definition",
        "Print the normalized OpenAPI 2.0 document that would be deployed, as JSON.",
        usage="%(prog)s [OPTIONS] NAME",
    )
    definition.add_argument("name", metavar="NAME", help="Connector name (metadata.name).")
    repo(definition)
    environment(definition)

    schema = command("schema", "JSON Schema of connector.yaml and connectorops.yaml (for yaml-language-server).")
    repo(schema)
    schema.add_argument("--out", type=Path, metavar="PATH", help="Write the schemas into this directory.")

    plan = command(
        "plan", "Diff desired (git) against actual (Azure); exit 0 no changes, 2 changes, 1 error or blocked."
    )
    repo(plan)
    environment(plan)
    plan.add_argument("--out", type=Path, metavar="PATH", help="Save the plan (JSON) for `apply --plan`.")
    output_formats(plan)
    guards(plan)
    rotate_secrets(plan)
    at(plan)
    plan.add_argument("--base", metavar="REV", help="PR base revision: mark what the change touches.")
    plan.add_argument("--head", metavar="REV", help="PR head revision (default: --at or the working tree).")

    apply = command("apply", "Make the target match git (or a saved plan). Asks first unless --yes.")
    repo(apply)
    environment(apply)
    apply.add_argument("--plan", dest="plan_file", type=Path, metavar="FILE", help="Apply exactly this saved plan.")
    apply.add_argument("-y", "--yes", action="store_true", help="Do not ask for confirmation.")
    guards(apply)
    output_formats(apply, markdown=False)
    rotate_secrets(apply)
    lock_timeout(apply)

    drift = command("drift", "Report what changed out of band; exit 0 none, 2 drift, 1 error.")
    repo(drift)
    environment(drift)
    flag(drift, "--fix", "fix", "Apply the correcting plan (same guards as apply).")
    output_formats(drift)
    at(drift)
    lock_timeout(drift)

    certify = command(
        "certify",
        "Check connectors against Microsoft's certification rules, offline.",
        usage="%(prog)s [OPTIONS] [NAMES]...",
    )
    certify.add_argument("names", nargs="*", metavar="NAMES", help="Connectors to check (default: all).")
    repo(certify)
    environment(certify)
    output_formats(certify)
    certify.add_argument(
        "--package",
        type=Path,
        metavar="PATH",
        help="Write NAME's submission folder for microsoft/PowerPlatformConnectors here.",
    )

    import_ = command(
        "import",
        "Write connector.yaml + openapi.json for connectors that exist in the target but not in git.",
        module="import_",
    )
    repo(import_)
    environment(import_)
    import_.add_argument("--select", action="append", default=[], metavar="NAME", help="Only these connectors.")
    import_.add_argument(
        "--name",
        metavar="NAME",
        help="With one --select: call it NAME in git (connectors/NAME/); the label connectorops/adopt names the "
        "connector to adopt (Power Platform).",
    )
    import_.add_argument(
        "--into", type=Path, default=Path("connectors"), metavar="PATH", help="Folder for the new connector folders."
    )
    flag(import_, "--force", "force", "Overwrite existing folders.")

    controller = command("controller", "Watch a git branch and reconcile an environment continuously.")
    controller.add_argument(
        "--repo-url",
        required=True,
        metavar="URL",
        help="Git URL or path to watch. Credentials: CONNECTOROPS_GIT_USERNAME/PASSWORD "
        "(never written to disk).  [required]",
    )
    repo(controller)
    environment(controller)
    controller.add_argument("--branch", default="main", metavar="BRANCH", help="The branch to watch.")
    controller.add_argument("--interval", default="5m", metavar="DURATION", help="e.g. 30s, 5m, 1h")
    controller.add_argument("--mode", default="observe", metavar="MODE", help="observe | apply")
    controller.add_argument("--listen", metavar="HOST:PORT", help="127.0.0.1:PORT for /healthz /status /metrics")

    emulator = command(
        "emulator",
        "The local ARM emulator (the embedded target of the `local` environment).",
        usage="%(prog)s [OPTIONS] COMMAND [ARGS]...",
    )
    serve = command(
        "serve",
        "Serve the ARM emulator over HTTPS. First stdout line: JSON {base_url, token, ca_path, subscription_id, "
        "powerapps_url, flow_url, environment_id}.",
        module="emulator",
        group=emulator.add_subparsers(title="Commands", metavar="COMMAND", required=True, prog=emulator.prog),
    )
    serve.add_argument(
        "--db", type=Path, default=Path(".connectorops/emulator.db"), metavar="PATH", help="SQLite state file."
    )
    serve.add_argument("--port", type=_port, default=0, metavar="PORT", help="0 = any free port (0..65535).")
    serve.add_argument("--host", default="127.0.0.1", metavar="HOST", help="Address to listen on.")
    flag(
        serve,
        "--throttle",
        "throttle",
        "Throttle like ARM: token buckets per subscription (reads 250 +25/s, writes and deletes 200 +10/s), "
        "429 + Retry-After, x-ms-ratelimit-remaining-* headers.",
    )
    serve.add_argument(
        "--faults",
        metavar="RATE[,SEED]",
        help="Inject faults into RATE (0..1) of the requests, split evenly over 500, 503 and "
        "connection resets; SEED (default 0) makes the sequence reproducible.",
    )

    new = command(
        "new",
        "Add something to the repository: `connectorops new connector NAME --from SOURCE`.",
        usage="%(prog)s [OPTIONS] COMMAND [ARGS]...",
    )
    connector = command(
        "connector",
        "Add connectors/NAME/ with a connector.yaml filled from the definition; it validates at once.",
        module="new_connector",
        group=new.add_subparsers(title="Commands", metavar="COMMAND", required=True, prog=new.prog),
        usage="%(prog)s [OPTIONS] NAME",
    )
    connector.add_argument("name", metavar="NAME", help="Connector name (metadata.name and folder under connectors/).")
    connector.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="SOURCE",
        help="An OpenAPI 2.0 file, a Postman collection, a paconn folder, or an https URL (pinned).  [required]",
    )
    repo(connector)
    connector.add_argument("--service-url", metavar="URL", help="backend.serviceUrl, for definitions without a host.")
    connector.add_argument(
        "--strip",
        action="append",
        default=[],
        metavar="PART",
        help="spec.strip: leave policyTemplates, customCode or connectionParameterSets out of ARM environments.",
    )
    connector.add_argument(
        "--connection-parameter-set",
        dest="parameter_set",
        metavar="NAME",
        help="spec.connectionParameterSet: the set ARM environments get.",
    )
    return root


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line; raises UsageError (or ParserExit after --help) instead of exiting."""
    args, unknown = build_parser().parse_known_args(list(argv))
    if unknown:  # reported by the command's own parser, so the usage shown is the command's
        word = "no such option" if unknown[0].startswith("-") else "unexpected argument"
        raise UsageError(args.parser, f"{word}: {unknown[0]}")
    if getattr(args, "module", None) == "import_" and args.name is not None and len(args.select) != 1:
        raise UsageError(args.parser, "--name needs exactly one --select (the connector to call NAME)")
    return args


def run(argv: Sequence[str]) -> int:
    """Parse `argv` and run its command; returns the exit code and never exits (tests call it in process)."""
    if not argv:  # the help, as a reminder; a command line without a command did nothing, so exit 1
        build_parser().print_help(sys.stderr)
        return EXIT_USAGE
    try:
        args = parse(argv)
    except UsageError as error:
        error.show()
        return EXIT_USAGE
    except ParserExit as exiting:
        return exiting.status
    options = {name: value for name, value in vars(args).items() if name not in _NOT_OPTIONS}
    return _dispatch(args.module, _context(args), **options)


def _context(args: argparse.Namespace) -> CliContext:
    """A command's own --repo/-e win over the global ones given before the command."""
    from rich.console import Console  # not needed for --help

    from connectorops.commands.context import CliContext

    chosen = getattr(args, "repo", None) or args.global_repo or Path(".")
    return CliContext(
        repo=chosen.resolve(),
        environment=getattr(args, "environment", None) or args.global_environment,
        console=Console(soft_wrap=True),
        err_console=Console(stderr=True, soft_wrap=True),
    )


def _check_repo(repo: Path, *, may_be_created: bool) -> None:
    """--repo must name a directory: a typo would otherwise plan an empty repository (or crash)."""
    from connectorops.errors import SpecError

    if repo.is_dir() or (may_be_created and not repo.exists()):
        return
    problem = "is not a directory" if repo.exists() else "does not exist"
    raise SpecError(f"--repo {repo} {problem}", hint="pass the repository root (the folder with connectorops.yaml)")


def _dispatch(command: str, ctx: CliContext, **options: Any) -> int:
    """Run commands/<command>.py's `run`; user errors become a message and exit 1, never a traceback."""
    from connectorops.errors import ConnectoropsError, Severity

    try:
        _check_repo(ctx.repo, may_be_created=command in ("controller", "emulator", "init"))
        if options.get("json_output") and options.get("markdown"):
            raise ConnectoropsError("--json and --markdown are both given", hint="choose one output format")
        module = importlib.import_module(f"connectorops.commands.{command}")
        remembering = command in REMEMBERING_COMMANDS
        with _remembering_valid_documents(ctx.repo) if remembering else contextlib.nullcontext():
            return int(module.run(ctx, **options))
    except ConnectoropsError as error:
        from rich.text import Text

        for problem in error.problems:
            # Text, not markup: a hint such as `strip: [customCode]` must reach the user whole.
            style = "bold red" if problem.severity == Severity.ERROR else "yellow"
            ctx.err_console.print(Text(f"{problem.severity}:", style=style).append(f" {problem}"), highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        ctx.err_console.print("interrupted")
        return 130


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


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
