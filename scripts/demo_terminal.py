"""How the demo talks to the reader: chapter headings, narration, and real CLI runs shown as typed.

Each CLI run is checked against the exit code (and names) the story expects, so the demo doubles
as a smoke test; every output is kept to prove afterwards that no secret value was ever printed.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

# Exit codes of every connectorops command (DESIGN.md): what the narration calls them.
EXIT_MEANING = {0: "success / no changes", 1: "error or blocked", 2: "changes or drift present"}
COMMAND_TIMEOUT_SECONDS = 120


class StoryBroken(Exception):
    """A step did not behave as the story says: the demo stops and names the step."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"step {step!r}: {message}")
        self.step = step


@dataclass(frozen=True)
class CommandRun:
    argv: tuple[str, ...]
    exit_code: int
    output: str  # stdout and stderr, interleaved as the user would see them
    seconds: float


def cli_command() -> list[str]:
    """The `connectorops` console script of this interpreter's environment (or the module, if absent)."""
    script = Path(sys.executable).with_name("connectorops")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "connectorops.cli"]


def child_environment(console: Console, secrets: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment plus the demo secrets, with the reader's width and colour choice."""
    env = {**os.environ, **secrets}
    # Child output is piped, so rich in the child cannot see the terminal: tell it what we see.
    env["COLUMNS"] = str(console.width if console.is_terminal else max(console.width, 120))
    if console.is_terminal and console.color_system is not None:
        env["FORCE_COLOR"] = "1"
    else:
        env.pop("FORCE_COLOR", None)
    return env


@dataclass
class Narrator:
    """Prints the story and runs its commands in the workspace."""

    console: Console
    workspace: Path
    env: dict[str, str]
    runs: list[CommandRun] = field(default_factory=list)
    _chapter: int = 0
    _step: str = ""

    @property
    def step(self) -> str:
        return self._step

    def title(self, text: str) -> None:
        self.console.print(Rule(f"[bold]{text}[/]", characters="═"))

    def chapter(self, title: str, *paragraphs: str) -> None:
        self._chapter += 1
        self._step = title
        self.console.print()
        self.console.print(Rule(f"[bold]{self._chapter}. {title}[/]", align="left"))
        for paragraph in paragraphs:
            self.console.print(paragraph, highlight=False)

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def note(self, text: str, *, markup: bool = True) -> None:
        """A fact from the demo itself (not from the CLI), e.g. what the simulated user created."""
        self.console.print("  · " + text, highlight=False, markup=markup)

    def run(
        self,
        *args: str,
        expect: int,
        mentions: Sequence[str] = (),
        show: Callable[[str], str] | None = None,
    ) -> CommandRun:
        """Run `connectorops ARGS` in the workspace, show it, and check exit code and names in its output.

        `show` may shorten what is printed (e.g. a Markdown excerpt); checks see the whole output.
        """
        shown = "connectorops " + shlex.join(args)
        self.console.print(f"\n[bold cyan]$ {shown}[/]", highlight=False)
        started = time.monotonic()
        try:
            completed = subprocess.run(
                [*cli_command(), *args],
                cwd=self.workspace,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise StoryBroken(self._step, f"`{shown}` did not finish in {COMMAND_TIMEOUT_SECONDS} s") from None
        run = CommandRun(tuple(args), completed.returncode, completed.stdout, time.monotonic() - started)
        self.runs.append(run)
        text = show(run.output) if show is not None else run.output
        # The CLI's own output verbatim: rich must not re-wrap or re-style it.
        self.console.file.write(text if text.endswith("\n") or not text else text + "\n")
        self.console.file.flush()
        meaning = EXIT_MEANING.get(run.exit_code, "unexpected")
        self.console.print(f"[dim]→ exit code {run.exit_code} ({meaning}), {run.seconds:.1f} s[/]", highlight=False)
        if run.exit_code != expect:
            raise StoryBroken(
                self._step, f"`{shown}` exited {run.exit_code}, the story expects {expect} ({EXIT_MEANING[expect]})"
            )
        missing = [name for name in mentions if name not in run.output]
        if missing:
            raise StoryBroken(self._step, f"`{shown}` did not mention {', '.join(missing)}")
        return run
