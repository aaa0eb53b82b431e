"""`connectorops plan`: diff git against the target and show (or save) the plan.

Exit 0 no changes, 2 changes, 1 error or anything blocked (guards, policy, certification).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from connectorops.commands.context import CliContext
from connectorops.commands.desired_at import open_desired
from connectorops.commands.output import show_report
from connectorops.engine.pipeline import plan_desired
from connectorops.engine.plan import Plan, PlanOptions
from connectorops.errors import PlanError
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.gitops.inputs import touched_connectors
from connectorops.report.text import render_plan


def show_plan(ctx: CliContext, plan: Plan, *, json_output: bool, markdown: bool) -> None:
    show_report(
        ctx,
        plan,
        json_output=json_output,
        markdown=markdown,
        as_json=_plan_json,
        as_markdown=_plan_markdown,
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
    options = options_from(allow_connection_loss, allow_empty, max_deletions, rotate_secrets)
    # --base needs the loaded connectors (which of them a pull request touches): only then is loading certain
    with open_desired(ctx, rev, load=base is not None) as opened:
        if base is not None and opened.repository is not None:
            options = replace(options, touched=touched_connectors(ctx.repo, opened.repository, base, rev))
        deletion_policies = GitDeletionPolicies.at(ctx.repo)
        _, plan = plan_desired(
            opened.desired, opened.target, options, deletion_policies=deletion_policies, now=datetime.now(UTC)
        )
    show_plan(ctx, plan, json_output=json_output, markdown=markdown)
    if out is not None:
        from connectorops.engine.planfile import save_plan

        save_plan(plan, out)
        ctx.err_console.print(f"plan saved to {out} (apply it with `connectorops apply --plan {out}`)", highlight=False)
    return plan.exit_code


def _plan_json(plan: Plan) -> str:
    from connectorops.report.json import plan_json

    return plan_json(plan)


def _plan_markdown(plan: Plan) -> str:
    from connectorops.report.markdown import plan_markdown

    return plan_markdown(plan)
