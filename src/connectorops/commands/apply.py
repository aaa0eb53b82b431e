"""`connectorops apply`: make the target match git, or apply exactly a saved plan.

Without --plan it plans, shows the plan and asks (refusing when nobody can answer and --yes is
missing); with --plan it plans again from git and a new observation and applies only if that plan
equals the saved one. Writes happen under the environment's writer lease (commands/lock.py), and
every delete is checked again at the moment it is sent (engine/delete_check.py).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from connectorops.commands.context import EXIT_ERROR, EXIT_OK, CliContext
from connectorops.commands.lock import parse_lock_timeout, writer_lease
from connectorops.commands.output import write_stdout
from connectorops.commands.plan import options_from, show_plan
from connectorops.engine.apply import ActionResult, ApplyReport, apply_plan
from connectorops.engine.pipeline import plan_environment
from connectorops.engine.plan import Plan, PlanOptions, blocked_message
from connectorops.engine.planfile import check_environment, load_plan, verify_saved_plan
from connectorops.errors import PlanError
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.gitops.inputs import load_inputs
from connectorops.report.json import apply_json
from connectorops.report.text import plan_summary_line, render_apply
from connectorops.targets.connect import connect

if TYPE_CHECKING:
    from connectorops.engine.target import Target


class RichApplyProgress:
    """A progress bar on stderr, one tick per finished action."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("applying", total=0)

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, result: ActionResult) -> None:
        self.progress.update(self.task, advance=1, description=f"{result.kind} {result.name}: {result.status}")


def _confirm(ctx: CliContext, plan: Plan, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise PlanError(
            "refusing to apply without confirmation: stdin is not a terminal",
            hint="review the plan and pass --yes (or apply a saved plan with --plan FILE --yes)",
        )
    question = f"Apply these changes ({plan_summary_line(plan)}) to {plan.environment}? [y/N]: "
    while True:  # y/yes or n/no (default no), asked again otherwise, as typer.confirm did
        try:
            answer = ctx.console.input(question, markup=False).strip().lower()
        except EOFError:  # the terminal closed: nobody said yes
            return False
        if answer in ("y", "yes", "n", "no", ""):
            return answer in ("y", "yes")
        ctx.console.print("Error: invalid input", markup=False, highlight=False)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[threading.Event]:
    """SIGTERM (a cancelled CI job, `docker stop`) stops an apply like Ctrl-C: in-flight actions finish,
    none starts, and the report says what was done; the default would end the process mid-write.

    The event is set too: the KeyboardInterrupt the handler raises is lost when it lands in a `__del__`
    (garbage collection), and apply checks the event before starting each action.
    """
    stop = threading.Event()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        stop.set()
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield stop
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


def execute(
    ctx: CliContext,
    plan: Plan,
    target: Target,
    *,
    json_output: bool,
    lock_timeout: float,
    command: str = "apply",
    show: bool = True,
) -> ApplyReport:
    """Apply under the writer lease with a progress bar on stderr, then show the per-action results."""
    with (
        _sigterm_as_interrupt() as stop,
        writer_lease(target, plan.environment, command=command, lock_timeout=lock_timeout) as guarded,
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=ctx.err_console, transient=True
        ) as progress,
    ):
        report = apply_plan(plan, guarded, progress=RichApplyProgress(progress), should_stop=stop.is_set)
    if not show:
        if report.not_done:
            render_apply(report, ctx.err_console)
    elif json_output:
        write_stdout(ctx, apply_json(report, plan))
    else:
        render_apply(report, ctx.console)
    return report


def _say_saved_options(ctx: CliContext, saved: Plan) -> None:
    """The saved options are the one thing a plan file carries into the new plan: show them."""
    flags = [f"--allow-connection-loss {name}" for name in sorted(saved.options.allow_connection_loss)]
    flags += ["--allow-empty"] if saved.options.allow_empty else []
    default = PlanOptions().max_deletions
    flags += [f"--max-deletions {saved.options.max_deletions}"] if saved.options.max_deletions != default else []
    if flags:
        ctx.err_console.print(f"the saved plan was made with {' '.join(flags)}", highlight=False, markup=False)


def run(
    ctx: CliContext,
    *,
    plan_file: Path | None,
    yes: bool,
    allow_connection_loss: list[str],
    allow_empty: bool,
    max_deletions: int,
    json_output: bool,
    rotate_secrets: list[str] | None = None,
    lock_timeout: str = "0s",
) -> int:
    timeout = parse_lock_timeout(lock_timeout)
    policies = GitDeletionPolicies.at(ctx.repo)
    if plan_file is not None:
        saved = load_plan(plan_file)
        # A plan for another environment is refused before any credential or request is used.
        check_environment(saved, ctx.environment or saved.environment)
        # The desired state is the checkout as it is now: a plan made at another commit (git moved since) is refused.
        inputs = load_inputs(ctx.repo, ctx.environment or saved.environment)
        with connect(inputs) as target:
            # Never trusted: planned again with the saved options; only an identical plan runs (the fresh one).
            _, _, fresh = plan_environment(
                inputs, target, saved.options, deletion_policies=policies, now=datetime.now(UTC)
            )
            verify_saved_plan(saved, fresh)
            _say_saved_options(ctx, saved)
            return _show_confirm_execute(ctx, fresh, target, yes=yes, json_output=json_output, lock_timeout=timeout)
    inputs = load_inputs(ctx.repo, ctx.environment)
    options = options_from(allow_connection_loss, allow_empty, max_deletions, rotate_secrets)
    with connect(inputs) as target:
        _, _, plan = plan_environment(inputs, target, options, deletion_policies=policies, now=datetime.now(UTC))
        return _show_confirm_execute(ctx, plan, target, yes=yes, json_output=json_output, lock_timeout=timeout)


def _show_confirm_execute(
    ctx: CliContext, plan: Plan, target: Target, *, yes: bool, json_output: bool, lock_timeout: float
) -> int:
    """The same steps for a fresh plan and a saved one (a blocked saved plan once exited 1 in silence)."""
    if json_output:
        if plan.is_blocked or not plan.changes:
            write_stdout(ctx, apply_json(ApplyReport(plan.environment, plan.fingerprint), plan))
    else:
        show_plan(ctx, plan, json_output=False, markdown=False)
    if plan.is_blocked:
        # The reasons are in the report just shown (text or JSON).
        ctx.err_console.print(blocked_message("the plan", "nothing was applied"), highlight=False)
        return EXIT_ERROR
    if not plan.changes:
        return EXIT_OK
    # The world may move while the prompt waits: each delete is checked again when it is sent.
    if not _confirm(ctx, plan, yes):
        ctx.err_console.print("apply cancelled")
        return EXIT_ERROR
    return execute(ctx, plan, target, json_output=json_output, lock_timeout=lock_timeout).exit_code
