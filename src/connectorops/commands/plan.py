"""`connectorops plan`: diff git against the target and show (or save) the plan.

Exit 0 no changes, 2 changes, 1 error or anything blocked (guards, policy, certification).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from connectorops.commands.context import CliContext
from connectorops.commands.output import show_report
from connectorops.engine.pipeline import plan_environment
from connectorops.engine.plan import Plan, PlanOptions
from connectorops.engine.planfile import save_plan
from connectorops.errors import PlanError
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.gitops.inputs import load_inputs, touched_connectors
from connectorops.report.json import plan_json
from connectorops.report.markdown import plan_markdown
from connectorops.report.text import render_plan
from connectorops.targets.connect import connect


def show_plan(ctx: CliContext, plan: Plan, *, json_output: bool, markdown: bool) -> None:
    show_report(
        ctx,
        plan,
        json_output=json_output,
        markdown=markdown,
        as_json=plan_json,
        as_markdown=plan_markdown,
        render=render_plan,
    )


def options_from(
    allow_connection_loss: list[str], allow_empty: bool, max_deletions: int, rotate_secrets: list[str] | None = None
) -> PlanOptions:
    return PlanOptions(
        allow_connection_loss=frozenset(allow_connection_loss),
        allow_empty=allow_empty,
        max_deletions=max_deletions,
        rotate_secrets=frozenset(rotate_secrets or ()),
    )


def run(
    ctx: CliContext,
    *,
    out: Path | None,
    json_output: bool,
    markdown: bool,
    allow_connection_loss: list[str],
    allow_empty: bool,
    max_deletions: int,
    rotate_secrets: list[str] | None = None,
    at: str | None,
    base: str | None,
    head: str | None,
) -> int:
    if at is not None and head is not None and at != head:
        # Which revision is the desired state would otherwise be decided silently (--head won).
        raise PlanError(
            f"--at {at} and --head {head} name two desired states", hint="pass one: --head is --at for a PR plan"
        )
    rev = head or at
    inputs = load_inputs(ctx.repo, ctx.environment, rev=rev)
    options = options_from(allow_connection_loss, allow_empty, max_deletions, rotate_secrets)
    if base is not None:
        options = replace(options, touched=touched_connectors(ctx.repo, inputs.repo, base, rev))
    with connect(inputs) as target:
        _, _, plan = plan_environment(
            inputs, target, options, deletion_policies=GitDeletionPolicies.at(ctx.repo), now=datetime.now(UTC)
        )
    show_plan(ctx, plan, json_output=json_output, markdown=markdown)
    if out is not None:
        save_plan(plan, out)
        ctx.err_console.print(f"plan saved to {out} (apply it with `connectorops apply --plan {out}`)", highlight=False)
    return plan.exit_code
