"""`connectorops drift`: what differs between the target and git; --fix applies the correcting plan.

Exit 0 no drift, 2 drift present (after --fix: what is still left), 1 error or a blocked fix.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from connectorops.commands.apply import execute
from connectorops.commands.context import EXIT_ERROR, CliContext
from connectorops.commands.desired_at import open_desired
from connectorops.commands.lock import parse_lock_timeout
from connectorops.commands.output import show_report
from connectorops.commands.plan import show_plan
from connectorops.engine.drift import DriftReport, detect_drift
from connectorops.engine.observe import observe
from connectorops.engine.plan import PlanOptions, blocked_message, make_plan
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.report.json import drift_json
from connectorops.report.markdown import drift_markdown
from connectorops.report.text import render_drift


def _show(ctx: CliContext, report: DriftReport, *, json_output: bool, markdown: bool) -> None:
    show_report(
        ctx,
        report,
        json_output=json_output,
        markdown=markdown,
        as_json=drift_json,
        as_markdown=drift_markdown,
        render=render_drift,
    )


def run(
    ctx: CliContext, *, fix: bool, json_output: bool, markdown: bool, at: str | None, lock_timeout: str = "0s"
) -> int:
    timeout = parse_lock_timeout(lock_timeout)
    with open_desired(ctx, at) as opened:
        target, desired = opened.target, opened.desired
        observed = observe(target, desired=desired.custom_apis, drift=True)
        report = detect_drift(desired, observed, target)
        if not fix or report.exit_code != 2:
            _show(ctx, report, json_output=json_output, markdown=markdown)
            return report.exit_code
        ctx.err_console.print(f"drift found ({len(report.drift)} item(s)); applying the correcting plan")
        plan = make_plan(
            desired,
            observed,
            PlanOptions(),
            target=target.identity,
            deletion_policies=GitDeletionPolicies.at(ctx.repo),
            now=datetime.now(UTC),
        )
        machine = json_output or markdown
        if not machine:
            show_plan(ctx, plan, json_output=False, markdown=False)
        if plan.is_blocked:
            _show(ctx, report, json_output=json_output, markdown=markdown)
            ctx.err_console.print(blocked_message("the correcting plan", "nothing was changed"), highlight=False)
            return EXIT_ERROR
        applied = execute(
            ctx, plan, target, json_output=False, lock_timeout=timeout, command="drift --fix", show=not machine
        )
        if applied.exit_code != 0:
            _show(ctx, report, json_output=json_output, markdown=markdown)
            return EXIT_ERROR
        after = observe(target, desired=desired.custom_apis, drift=True)
        # Show what is left, and what this run corrected (a scheduled `--fix` would otherwise say "no drift").
        remaining = replace(detect_drift(desired, after, target), fixed=tuple(report.drift))
        _show(ctx, remaining, json_output=json_output, markdown=markdown)
        return remaining.exit_code
