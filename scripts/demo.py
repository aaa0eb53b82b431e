"""`make demo`: the connectorops story on the embedded local target, no Azure account needed.

Copies the repository's connectors and policies into a scratch git workspace, then runs the real
CLI step by step (validate, plan, apply, breaking change, blocked deletion, drift), narrating each: first
on the emulator's ARM surface (Logic Apps), then on its Power Platform surface (Power Automate).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from demo_story import tell_the_story
from demo_terminal import Narrator, StoryBroken, child_environment, cli_command
from demo_workspace import DemoWorkspace, WorkspaceError
from git import GitCommandError
from rich.console import Console
from rich.markup import escape

from connectorops.errors import ConnectoropsError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKSPACE = REPO_ROOT / ".connectorops" / "demo"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--workspace",
        type=Path,
        default=DEFAULT_WORKSPACE,
        help="scratch folder for the demo's git repo and emulator state (wiped first; default: %(default)s)",
    )
    parser.add_argument(
        "--source", type=Path, default=REPO_ROOT, help="where connectorops.yaml, connectors/ and policies/ come from"
    )
    parser.add_argument(
        "--demo-secret",
        default=None,
        help="value given to every {env: NAME} secret the connectors reference (default: random per run)",
    )
    return parser.parse_args(argv)


def check_no_secret_printed(story: Narrator, secret_values: Sequence[str]) -> None:
    leaked = [run for run in story.runs if any(value in run.output for value in secret_values)]
    if leaked:
        commands = ", ".join("connectorops " + " ".join(run.argv) for run in leaked)
        raise StoryBroken("secrets", f"a demo secret value appeared in the output of: {commands}")


def main(argv: Sequence[str] = sys.argv[1:]) -> int:
    options = parse_args(argv)
    console = Console(highlight=False)
    if not console.is_terminal:  # a CI log: as wide as the CLI output (child_environment), not 80
        console = Console(highlight=False, width=120)
    started = time.monotonic()
    try:
        workspace = DemoWorkspace.create(options.source, options.workspace)
    except (WorkspaceError, OSError) as error:
        console.print(f"[bold red]demo cannot start:[/] {escape(str(error))}")
        return 1
    names = workspace.env_secret_names()
    secret_values = {name: options.demo_secret or f"demo-{secrets.token_hex(12)}" for name in names}
    story = Narrator(console, workspace.root, child_environment(console, secret_values))
    story.title("connectorops demo: custom connectors the GitOps way, on a laptop, no Azure account")
    story.say(
        f"Workspace: [bold]{workspace.root}[/] (a git copy of connectorops.yaml, connectors/ and policies/; "
        "your checkout is never touched). Targets: the embedded local emulator, first its ARM surface (Logic Apps, "
        "environment local), then its Power Platform surface (Power Automate, environment makers-local); "
        "state in the workspace's .connectorops/."
    )
    story.say(
        f"Secrets: {', '.join(names) or 'none'} set to throwaway values for the CLI processes only; "
        "every output is checked for them at the end."
    )
    try:
        tell_the_story(story, workspace)
        check_no_secret_printed(story, sorted(set(secret_values.values())))
    except StoryBroken as broken:
        console.print(f"\n[bold red]DEMO FAILED[/] at {escape(str(broken))}")
        return 1
    except (ConnectoropsError, GitCommandError) as error:  # the simulated user's requests, the workspace's git
        console.print(f"\n[bold red]DEMO FAILED[/] at step {escape(repr(story.step))}: {escape(str(error))}")
        return 1
    except KeyboardInterrupt:
        console.print(f"\ninterrupted; the workspace is left as it was: {workspace.root}", markup=False)
        return 130
    elapsed = time.monotonic() - started
    story.chapter(
        "The end",
        f"{len(story.runs)} connectorops commands, every exit code as expected, {elapsed:.0f} s in all. "
        f"No secret value appeared in any output ({sum(len(r.output) for r in story.runs)} characters checked).",
        f"Look around: cd {workspace.root} && git log --oneline && {' '.join(cli_command())} plan",
        "Run `make demo` again to start over from a fresh workspace.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
