"""`connectorops plan`: diff git against the target and show (or save) the plan.

Exit 0 no changes, 2 changes, 1 error or anything blocked (guards, policy, certification).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from connectorops.commands.context import CliContext
from connectorops.commands.output import show_report
from connectorops.definitions.input_memo import RecordingTree
from connectorops.definitions.verdict_cache import DEFAULT_STATE_DIR
from connectorops.engine.desired import DesiredState
from connectorops.engine.desired_memo import DESIRED_DIR, DesiredMemo, RememberedDesired
from connectorops.engine.pipeline import desired_state, inputs_from_tree, plan_desired
from connectorops.engine.plan import Plan, PlanOptions
from connectorops.engine.target import Target
from connectorops.errors import PlanError
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.gitops.inputs import source_tree, touched_connectors, uncommitted_warning
from connectorops.report.text import render_plan
from connectorops.spec.source import SourceTree
from connectorops.targets.address import address_from_dict, address_to_dict
from connectorops.targets.connect import located, open_target


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
    tree, commit = source_tree(ctx.repo, rev)
    memo = DesiredMemo(ctx.repo / DEFAULT_STATE_DIR / "cache" / DESIRED_DIR)
    # --base needs the loaded connectors (which of them a pull request touches): only then is loading certain
    remembered = memo.recall(tree, ctx.environment, commit) if base is None else None
    plan = _remembered_plan(ctx, remembered, options, rev=rev, commit=commit) if remembered is not None else None
    if plan is None:
        plan = _fresh_plan(ctx, memo, tree, options, rev=rev, commit=commit, base=base)
    show_plan(ctx, plan, json_output=json_output, markdown=markdown)
    if out is not None:
        from connectorops.engine.planfile import save_plan

        save_plan(plan, out)
        ctx.err_console.print(f"plan saved to {out} (apply it with `connectorops apply --plan {out}`)", highlight=False)
    return plan.exit_code


def _remembered_plan(
    ctx: CliContext, remembered: RememberedDesired, options: PlanOptions, *, rev: str | None, commit: str | None
) -> Plan | None:
    """The plan of a desired state remembered for these very files (engine/desired_memo.py), or None when the
    target it was rendered for is not the one the address opens now (the local emulator's state was reset)."""
    try:
        address = address_from_dict(remembered.address)
    except ValueError:
        return None
    with open_target(ctx.repo, remembered.environment, address, principals=remembered.principals) as target:
        if target.identity != remembered.identity:
            return None
        desired = _with_git_warning(ctx, remembered.desired, rev=rev, commit=commit, local=address.kind == "local")
        return _planned(ctx, desired, target, options)


def _fresh_plan(
    ctx: CliContext,
    memo: DesiredMemo,
    tree: SourceTree,
    options: PlanOptions,
    *,
    rev: str | None,
    commit: str | None,
    base: str | None,
) -> Plan:
    """Load the repository, build its desired state (remembered for the next run) and plan it."""
    recording = RecordingTree(tree)  # every question loading asks: the remembered state is valid while all agree
    inputs = inputs_from_tree(ctx.repo, recording, ctx.environment, commit)
    if base is not None:
        options = replace(options, touched=touched_connectors(ctx.repo, inputs.repo, base, rev))
    address, principals = located(inputs)
    with open_target(ctx.repo, inputs.environment, address, principals=principals) as target:
        desired = desired_state(inputs, target)
        remembered = RememberedDesired(
            inputs.environment, address_to_dict(address), target.identity, principals, desired
        )
        memo.remember(recording.reads, ctx.environment, commit, remembered)
        desired = _with_git_warning(ctx, desired, rev=rev, commit=commit, local=address.kind == "local")
        return _planned(ctx, desired, target, options)


def _planned(ctx: CliContext, desired: DesiredState, target: Target, options: PlanOptions) -> Plan:
    deletion_policies = GitDeletionPolicies.at(ctx.repo)
    _, plan = plan_desired(desired, target, options, deletion_policies=deletion_policies, now=datetime.now(UTC))
    return plan


def _with_git_warning(
    ctx: CliContext, desired: DesiredState, *, rev: str | None, commit: str | None, local: bool
) -> DesiredState:
    """The working tree's uncommitted changes, which git (not the files) tells: never remembered."""
    warning = uncommitted_warning(ctx.repo, commit, local=local) if rev is None and commit is not None else None
    return desired if warning is None else replace(desired, problems=(warning, *desired.problems))


def _plan_json(plan: Plan) -> str:
    from connectorops.report.json import plan_json

    return plan_json(plan)


def _plan_markdown(plan: Plan) -> str:
    from connectorops.report.markdown import plan_markdown

    return plan_markdown(plan)
