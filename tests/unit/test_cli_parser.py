"""The command line itself (argparse, issue 13): which options each command takes, which --repo/-e wins,
repeated options, and usage errors that exit 1 with one line naming the option, never a traceback.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke
from minimal_repo import CONFIG, CONNECTOR, OPENAPI
from rich.console import Console

from connectorops.cli import EXIT_USAGE, UsageError, parse
from connectorops.commands.apply import _confirm
from connectorops.commands.context import EXIT_ERROR, CliContext
from connectorops.engine.plan import Plan
from connectorops.engine.target import TargetId

REPO_ENV = ["--repo", "-e, --environment"]
# Every command and its options, as `--help` lists them (the interface scripts and workflows rely on).
OPTIONS = {
    "init": ["--repo", "--pulumi", "--action OWNER/REPO@REF"],
    "validate": [*REPO_ENV, "--json"],
    "definition": [*REPO_ENV],
    "schema": ["--repo", "--out PATH"],
    "plan": [*REPO_ENV, "--out PATH", "--json", "--markdown", "--allow-connection-loss NAME", "--allow-empty",
             "--max-deletions N", "--rotate-secrets NAME", "--at REV", "--base REV", "--head REV"],
    "apply": [*REPO_ENV, "--plan FILE", "-y, --yes", "--allow-connection-loss NAME", "--allow-empty",
              "--max-deletions N", "--json", "--rotate-secrets NAME", "--lock-timeout DURATION"],
    "drift": [*REPO_ENV, "--fix", "--json", "--markdown", "--at REV", "--lock-timeout DURATION"],
    "certify": [*REPO_ENV, "--json", "--markdown", "--package PATH"],
    "import": [*REPO_ENV, "--select NAME", "--into PATH", "--force"],
    "controller": [*REPO_ENV, "--repo-url URL", "--branch BRANCH", "--interval DURATION", "--mode MODE",
                   "--listen HOST:PORT"],
    "emulator serve": ["--db PATH", "--port PORT", "--host HOST", "--throttle", "--faults RATE[,SEED]"],
    "new connector": ["--repo", "--from SOURCE", "--service-url URL", "--strip PART",
                      "--connection-parameter-set NAME"],
}  # fmt: skip


def make_repo(root: Path) -> Path:
    (root / "connectors" / "orders").mkdir(parents=True)
    (root / "connectorops.yaml").write_text(CONFIG + "  dev: {target: local}\n")
    (root / "connectors" / "orders" / "connector.yaml").write_text(CONNECTOR)
    (root / "connectors" / "orders" / "openapi.yaml").write_text(OPENAPI)
    return root


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_help_of_each_command_lists_its_options(command: str) -> None:
    result = invoke([*command.split(), "--help"])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(f"Usage: connectorops {command} [OPTIONS]")
    for option in [*OPTIONS[command], "-h, --help"]:
        assert f"  {option} " in result.stdout or f"  {option}\n" in result.stdout, option


def test_root_help_lists_every_command_and_the_global_options() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0 and result.stdout.startswith("Usage: connectorops [OPTIONS] COMMAND [ARGS]...")
    listed = [line.split()[0] for line in result.stdout.split("Commands:\n")[1].splitlines() if line[2:3] != " "]
    assert listed == ["init", "validate", "definition", "schema", "plan", "apply", "drift", "certify", "import",
                      "controller", "emulator", "new"]  # fmt: skip
    assert "  --repo PATH " in result.stdout and "  -e, --environment NAME " in result.stdout


def test_no_arguments_prints_the_help_on_stderr_and_exits_1() -> None:
    result = invoke([])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Usage: connectorops [OPTIONS] COMMAND [ARGS]...") and "Commands:" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "usage", "error"),
    [
        (["plan", "--no-such-flag"], "plan [OPTIONS]", "no such option: --no-such-flag"),
        (["plan", "--allow"], "plan [OPTIONS]", "no such option: --allow"),  # no abbreviations
        (["--bogus", "drift"], "drift [OPTIONS]", "no such option: --bogus"),
        (["plan", "--max-deletions", "-1"], "plan [OPTIONS]",
         "argument --max-deletions: -1 is out of range (must be 0 or more)"),
        (["apply", "--max-deletions", "x"], "apply [OPTIONS]", "argument --max-deletions: 'x' is not a whole number"),
        (["emulator", "serve", "--port", "65536"], "emulator serve [OPTIONS]",
         "argument --port: 65536 is out of range (must be 0..65535)"),
        (["controller"], "controller [OPTIONS]", "the following arguments are required: --repo-url"),
        (["new", "connector", "pets"], "new connector [OPTIONS] NAME", "the following arguments are required: --from"),
        (["definition"], "definition [OPTIONS] NAME", "the following arguments are required: NAME"),
        (["validate", "--markdown"], "validate [OPTIONS]", "no such option: --markdown"),
        (["plan", "extra"], "plan [OPTIONS]", "unexpected argument: extra"),
        (["plan", "--repo"], "plan [OPTIONS]", "argument --repo: expected one argument"),
        (["init", "-e", "dev"], "init [OPTIONS] [DIRECTORY]", "no such option: -e"),
        (["new"], "new [OPTIONS] COMMAND [ARGS]...", "the following arguments are required: COMMAND"),
        (["frobnicate"], "[OPTIONS] COMMAND [ARGS]...", "argument COMMAND: invalid choice: 'frobnicate' (choose from"),
        # an unset variable (`-e "$ENV"`, `--repo "$DIR"`) must not quietly mean the default environment or folder
        (["plan", "-e", ""], "plan [OPTIONS]", "argument -e/--environment: is empty: name an environment"),
        (["-e", " ", "drift"], "[OPTIONS] COMMAND [ARGS]...", "argument -e/--environment: is empty"),
        (["apply", "--repo", ""], "apply [OPTIONS]", "argument --repo: is empty: name the repository folder"),
    ],
)  # fmt: skip
def test_a_usage_error_exits_1_with_the_usage_and_one_line_naming_the_option(
    arguments: list[str], usage: str, error: str
) -> None:
    result = invoke(arguments)
    assert result.exit_code == 1 and result.exception is None  # 1, not argparse's 2 ("changes present" to CI)
    assert EXIT_USAGE == EXIT_ERROR == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"Usage: connectorops {usage}"
    assert lines[-1].startswith(f"error: {error}") and sum(line.startswith("error:") for line in lines) == 1


def test_a_usage_error_exits_1_from_the_console_script_too() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "connectorops.cli", "plan", "--max-deletions", "-1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "error: argument --max-deletions:" in result.stderr
    assert "Traceback" not in result.stderr


def test_repeated_options_collect_every_value() -> None:
    args = parse(["plan", "--allow-connection-loss", "a", "--allow-connection-loss", "b",
                  "--rotate-secrets", "x", "--rotate-secrets", "*", "--max-deletions", "0"])  # fmt: skip
    assert (args.allow_connection_loss, args.rotate_secrets, args.max_deletions) == (["a", "b"], ["x", "*"], 0)
    assert parse(["import", "--select", "a", "--select", "b"]).select == ["a", "b"]
    strip = ["--strip", "customCode", "--strip", "policyTemplates"]
    assert parse(["new", "connector", "n", "--from", "f.json", *strip]).strip == ["customCode", "policyTemplates"]
    assert parse(["certify", "a", "b", "--json"]).names == ["a", "b"]
    # defaults: a fresh list each time, not one shared list that grows from parse to parse
    assert parse(["plan"]).allow_connection_loss == [] and parse(["plan"]).max_deletions == 3


def test_the_commands_own_repo_and_environment_win_over_the_global_ones(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    missing = tmp_path / "missing"
    ran = invoke(["--repo", str(missing), "-e", "nosuch", "validate", "--repo", str(repo), "-e", "dev"])
    assert ran.exit_code == 0, ran.output
    refused = invoke(["--repo", str(repo), "validate", "--repo", str(missing)])
    assert refused.exit_code == 1 and f"--repo {missing} does not exist" in refused.stderr
    wrong_env = invoke(["-e", "dev", "validate", "--repo", str(repo), "-e", "nosuch"])
    assert wrong_env.exit_code == 1 and "unknown environment 'nosuch'" in wrong_env.output
    global_only = invoke(["--repo", str(repo), "-e", "nosuch", "validate"])  # the global ones apply when alone
    assert global_only.exit_code == 1 and "unknown environment 'nosuch'" in global_only.output
    with pytest.raises(UsageError, match="no such option: --environment"):
        parse(["schema", "--environment", "dev"])  # schema takes --repo only (a global -e is allowed)


def _asked(monkeypatch: pytest.MonkeyPatch, typed: str) -> tuple[bool, str]:
    terminal = io.StringIO(typed)
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", terminal)
    shown = io.StringIO()
    ctx = CliContext(Path("."), None, Console(file=shown), Console(file=io.StringIO()))
    plan = Plan(environment="dev", target=TargetId.from_dict({"subscriptionId": "s", "resourceGroup": "rg"}))
    return _confirm(ctx, plan, yes=False), shown.getvalue()


@pytest.mark.parametrize(
    ("typed", "answer"),
    [("y\n", True), ("yes\n", True), ("Y\n", True), ("n\n", False), ("no\n", False), ("\n", False), ("", False)],
)
def test_apply_asks_on_a_terminal_and_only_yes_applies(
    monkeypatch: pytest.MonkeyPatch, typed: str, answer: bool
) -> None:
    given, shown = _asked(monkeypatch, typed)  # typer.confirm before; the same answers now (rich.prompt)
    assert given is answer and "Apply these changes (" in shown and "to dev?" in shown


def test_apply_asks_again_after_an_answer_that_is_neither_yes_nor_no(monkeypatch: pytest.MonkeyPatch) -> None:
    answer, shown = _asked(monkeypatch, "maybe\ny\n")
    assert answer is True and shown.count("Apply these changes") == 2 and "Error: invalid input" in shown
