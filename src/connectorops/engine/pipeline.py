"""The reconcile pipeline shared by the CLI commands and the controller: load -> (target) -> plan.

Keeps the order of steps in one place (spec errors before any request, sharing directory seeded
before the first observe) so `plan`, `apply`, `drift` and the controller cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.engine.deletion_policy import DeletionPolicySource, no_git_history
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.observe import ObservedState, SwaggerCache, observe
from connectorops.engine.plan import Plan, PlanOptions, make_plan
from connectorops.errors import SpecError, ValidationFailed
from connectorops.spec.source import SourceTree

if TYPE_CHECKING:  # loading is imported where it runs: a remembered desired state (desired_memo) needs none of it
    from connectorops.engine.plan_memo import PlanMemo
    from connectorops.engine.target import Placement, Target
    from connectorops.spec.repository import Repository


@dataclass(frozen=True)
class Inputs:
    """What git says: the repository at one revision (or the working tree) and the environment."""

    repo_root: Path
    repo: Repository
    environment: str
    commit: str | None


def inputs_from_tree(repo_root: Path, tree: SourceTree, environment: str | None, commit: str | None) -> Inputs:
    """Load and validate the repository in `tree`; spec errors stop here, before any request to ARM."""
    from connectorops.spec.loader import CONFIG_FILE, CONNECTORS_DIR, load_repository, select_environment

    if not tree.exists(CONFIG_FILE) and not tree.is_dir(CONNECTORS_DIR):
        # Most likely the wrong directory: planning "nothing" there would report no changes (exit 0).
        raise SpecError(
            f"not a connectorops repository: neither {CONFIG_FILE} nor {CONNECTORS_DIR}/ in {repo_root} ({tree.label})",
            hint="run from the repository root or pass --repo DIR",
        )
    repo = load_repository(tree)
    if repo.errors:
        raise ValidationFailed(repo.problems, summary=f"the repository ({tree.label}) has errors")
    name, _ = select_environment(repo, environment)
    return Inputs(repo_root=repo_root, repo=repo, environment=name, commit=commit)


def directory_entries(repo: Repository) -> list[tuple[str, str, str]]:
    """Principals from policies/sharing.yaml, to seed the local emulator's directory."""
    from connectorops.policy.sharing import load_sharing_policy

    policy, _ = load_sharing_policy(repo.tree)
    return list(policy.directory_entries()) if policy is not None else []


def cache_dir(inputs: Inputs) -> Path:
    from connectorops.definitions.resolve import environment_cache_dir

    return environment_cache_dir(inputs.repo_root, inputs.repo.config.environments.get(inputs.environment))


def desired_state(inputs: Inputs, placement: Placement) -> DesiredState:
    return build_desired_state(
        inputs.repo,
        inputs.environment,
        placement=placement,
        commit=inputs.commit,
        cache_dir=cache_dir(inputs),
    )


def plan_environment(
    inputs: Inputs,
    target: Target,
    options: PlanOptions,
    *,
    drift: bool = False,
    swagger_cache: SwaggerCache | None = None,
    deletion_policies: DeletionPolicySource = no_git_history,
    desired: DesiredState | None = None,
    now: datetime,
    memo: PlanMemo | None = None,
) -> tuple[DesiredState, ObservedState, Plan]:
    """`deletion_policies`: lifecycle.deletion of removed connectors as git gave it (the shell reads git).

    `desired`: the desired state already resolved for these inputs (the controller keeps one per commit).
    `now`: the plan's createdAt (the shell owns the clock, so planning stays pure).
    `memo`: a long-running caller's last plan, reused while every input is the same (engine/plan_memo.py).
    """
    desired = desired if desired is not None else desired_state(inputs, target)
    observed, plan = plan_desired(
        desired,
        target,
        options,
        drift=drift,
        swagger_cache=swagger_cache,
        deletion_policies=deletion_policies,
        now=now,
        memo=memo,
    )
    return desired, observed, plan


def plan_desired(
    desired: DesiredState,
    target: Target,
    options: PlanOptions,
    *,
    drift: bool = False,
    swagger_cache: SwaggerCache | None = None,
    deletion_policies: DeletionPolicySource = no_git_history,
    now: datetime,
    memo: PlanMemo | None = None,
) -> tuple[ObservedState, Plan]:
    """Observe the target and plan `desired` there (plan_environment once the desired state is known)."""
    if desired.errors:
        from connectorops.definitions.carry import CANNOT_CARRY  # the definitions stack: only when there are errors

        if any(p.code == CANNOT_CARRY for p in desired.errors):  # refused before any connector is read
            summary = f"environment {desired.environment} cannot carry the connectors"
            raise ValidationFailed(desired.problems, summary=summary)
    observed = observe(target, desired=desired.custom_apis, drift=drift, swagger_cache=swagger_cache)
    if memo is not None:
        plan = memo.plan(
            desired, observed, options, target=target.identity, deletion_policies=deletion_policies, now=now
        )
    else:
        plan = make_plan(
            desired, observed, options, target=target.identity, deletion_policies=deletion_policies, now=now
        )
    return observed, plan
