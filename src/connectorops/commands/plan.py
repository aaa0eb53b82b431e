"""`connectorops plan`: diff git against the target and show (or save) the plan.

Exit 0 no changes, 2 changes, 1 error or anything blocked (guards, policy, certification).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from connectorops.commands.context import CliContext
from connectorops.commands.output import show_report
from connectorops.definitions.input_memo import RecordingTree
from connectorops.definitions.verdict_cache import DEFAULT_STATE_DIR
from connectorops.engine.desired import DesiredState
from connectorops.engine.desired_memo import DESIRED_DIR, DesiredMemo, RememberedDesired
from connectorops.engine.pipeline import Inputs, desired_state, inputs_from_tree, plan_desired
from connectorops.engine.plan import Plan, PlanOptions
from connectorops.engine.target import Target
from connectorops.errors import PlanError
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.gitops.inputs import source_tree, touched_connectors, uncommitted_warning
from connectorops.report.text import render_plan
from connectorops.spec.source import SourceTree
from connectorops.targets.address import TargetAddress, address_from_dict, address_to_dict
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
    fresh = _FreshPlan(ctx, memo, tree, options, rev=rev, commit=commit, base=base)
    plan = _remembered_plan(ctx, remembered, fresh) if remembered is not None else fresh.plan()
    show_plan(ctx, plan, json_output=json_output, markdown=markdown)
    if out is not None:
        from connectorops.engine.planfile import save_plan

        save_plan(plan, out)
        ctx.err_console.print(f"plan saved to {out} (apply it with `connectorops apply --plan {out}`)", highlight=False)
    return plan.exit_code


def _remembered_plan(ctx: CliContext, remembered: RememberedDesired, fresh: _FreshPlan) -> Plan:
    """The plan of a desired state remembered for these very files (engine/desired_memo.py); a fresh one, on
    the target already open, when it is not the target the state was rendered for (the local emulator's state
    was reset: a new subscription)."""
    try:
        address = address_from_dict(remembered.address)
    except ValueError:
        return fresh.plan()
    if not _ca_bundle_present(address):
        return fresh.plan()  # the loader's error, with its line in connectorops.yaml
    with open_target(ctx.repo, remembered.environment, address, principals=remembered.principals) as target:
        if target.identity != remembered.identity:
            return fresh.plan(opened=(remembered, target))
        local = address.kind == "local"
        desired = _with_git_warning(ctx, remembered.desired, rev=fresh.rev, commit=fresh.commit, local=local)
        return _planned(ctx, desired, target, fresh.options)


def _ca_bundle_present(address: TargetAddress) -> bool:
    """An absolute caBundle is a file of this machine, not of the tree (so not in the recorded questions):
    loading refuses a missing one, so a remembered state must not be planned past it."""
    bundle = getattr(address, "ca_bundle", None)
    return bundle is None or not Path(bundle).is_absolute() or Path(bundle).is_file()


@dataclass(frozen=True)
class _FreshPlan:
    """Load the repository, build its desired state (remembered for the next run) and plan it."""

    ctx: CliContext
    memo: DesiredMemo
    tree: SourceTree
    options: PlanOptions
    rev: str | None
    commit: str | None
    base: str | None

    def plan(self, opened: tuple[RememberedDesired, Target] | None = None) -> Plan:
        """`opened`: a target opened for a remembered entry, planned on when loading names the same place."""
        ctx, options = self.ctx, self.options
        recording = RecordingTree(self.tree)  # every question loading asks: the state is valid while all agree
        inputs = inputs_from_tree(ctx.repo, recording, ctx.environment, self.commit)
        if self.base is not None:
            options = replace(options, touched=touched_connectors(ctx.repo, inputs.repo, self.base, self.rev))
        address, principals = located(inputs)
        place = _Place(inputs.environment, address_to_dict(address), principals)
        if opened is not None and place == _Place(opened[0].environment, opened[0].address, opened[0].principals):
            return self._planned(recording, inputs, place, opened[1], options)
        with open_target(ctx.repo, inputs.environment, address, principals=principals) as target:
            return self._planned(recording, inputs, place, target, options)

    def _planned(
        self, recording: RecordingTree, inputs: Inputs, place: _Place, target: Target, options: PlanOptions
    ) -> Plan:
        desired = desired_state(inputs, target)
        if not desired.errors:
            # An error may come from outside the tree (a definition URL that could not be downloaded this
            # time): remembered, it would outlive its cause. A plan with errors is blocked anyway.
            remembered = RememberedDesired(place.environment, place.address, target.identity, place.principals, desired)
            self.memo.remember(recording.reads, self.ctx.environment, self.commit, remembered)
        local = place.address.get("kind") == "local"
        desired = _with_git_warning(self.ctx, desired, rev=self.rev, commit=self.commit, local=local)
        return _planned(self.ctx, desired, target, options)


class _Place(NamedTuple):
    """Where a plan goes: the environment, its target's address and the local emulator's directory."""

    environment: str
    address: dict[str, Any]
    principals: tuple[tuple[str, str, str], ...]


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
