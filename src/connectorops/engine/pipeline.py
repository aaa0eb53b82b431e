"""The reconcile pipeline shared by the CLI commands and the controller: load -> connect -> plan.

Keeps the order of steps in one place (spec errors before any request, sharing directory seeded
before the first observe) so `plan`, `apply`, `drift` and the controller cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.definitions.carry import CANNOT_CARRY
from connectorops.definitions.resolve import environment_cache_dir
from connectorops.engine.deletion_policy import DeletionPolicySource, no_git_history
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.observe import ObservedState, SwaggerCache, observe
from connectorops.engine.plan import Plan, PlanOptions, make_plan
from connectorops.errors import PlanError, Problem, Severity, SpecError, ValidationFailed
from connectorops.spec.loader import CONFIG_FILE, CONNECTORS_DIR, load_repository, select_environment
from connectorops.spec.repository import Repository
from connectorops.spec.source import FileSystemTree, SourceTree

if TYPE_CHECKING:
    from connectorops.azure.gateway import ArmGateway


@dataclass(frozen=True)
class Inputs:
    """What git says: the repository at one revision (or the working tree) and the environment."""

    repo_root: Path
    repo: Repository
    environment: str
    commit: str | None


def _not_available(what: str, error: ImportError) -> PlanError:
    return PlanError(f"{what} is not available in this build yet ({error.name})", hint="update connectorops")


def source_tree(repo_root: Path, rev: str | None) -> tuple[SourceTree, str | None]:
    """The working tree (commit: HEAD, if any) or a git revision (commit: its sha)."""
    try:
        from connectorops.gitops.revisions import head_commit, tree_at
    except ImportError as error:
        if rev is not None:
            raise _not_available("reading a git revision (--at/--head)", error) from None
        return FileSystemTree(repo_root), None
    if rev is None:
        return FileSystemTree(repo_root), head_commit(repo_root)
    tree = tree_at(repo_root, rev)
    return tree, str(getattr(tree, "sha", rev))


def inputs_from_tree(repo_root: Path, tree: SourceTree, environment: str | None, commit: str | None) -> Inputs:
    """Load and validate the repository in `tree`; spec errors stop here, before any request to ARM."""
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


def load_inputs(repo_root: Path, environment: str | None, *, rev: str | None = None) -> Inputs:
    """The working tree or a git revision of `repo_root`, loaded and validated."""
    tree, commit = source_tree(repo_root, rev)
    inputs = inputs_from_tree(repo_root, tree, environment, commit)
    if rev is None and commit is not None:
        inputs = _warn_uncommitted(inputs, commit)
    return inputs


def _warn_uncommitted(inputs: Inputs, commit: str) -> Inputs:
    """Resources are tagged with HEAD's sha; say so when an Azure target gets uncommitted content.

    Not for `target: local`: editing and planning before committing is the laptop loop.
    """
    if getattr(inputs.repo.config.environments.get(inputs.environment), "target", "local") == "local":
        return inputs
    from connectorops.gitops.revisions import uncommitted_paths

    dirty = uncommitted_paths(inputs.repo_root)
    if not dirty:
        return inputs
    shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
    warning = Problem(
        f"uncommitted changes ({shown}) are planned, but resources are tagged with commit {commit[:12]}, "
        "which does not contain them",
        severity=Severity.WARNING,
        hint="commit first so the connectorops-commit tag says where a connector came from",
        code="git.uncommitted_changes",
    )
    return replace(inputs, repo=replace(inputs.repo, problems=(*inputs.repo.problems, warning)))


def directory_entries(repo: Repository) -> list[tuple[str, str, str]]:
    """Principals from policies/sharing.yaml, to seed the local emulator's directory."""
    from connectorops.policy.sharing import load_sharing_policy

    policy, _ = load_sharing_policy(repo.tree)
    return list(policy.directory_entries()) if policy is not None else []


@contextmanager
def connect(inputs: Inputs) -> Iterator[ArmGateway]:
    """A gateway on the environment's target (the embedded emulator for `target: local`)."""
    from connectorops.azure.connect import open_gateway

    with open_gateway(
        inputs.repo_root, inputs.repo.config, inputs.environment, principals=directory_entries(inputs.repo)
    ) as gateway:
        yield gateway


def target_of(gateway: ArmGateway) -> dict[str, str]:
    target = gateway.target
    return {
        "subscriptionId": target.subscription_id,
        "resourceGroup": target.resource_group,
        "location": target.location,
    }


def cache_dir(inputs: Inputs) -> Path:
    return environment_cache_dir(inputs.repo_root, inputs.repo.config.environments.get(inputs.environment))


def desired_state(inputs: Inputs, gateway: ArmGateway) -> DesiredState:
    target = gateway.target
    return build_desired_state(
        inputs.repo,
        inputs.environment,
        gateway_ids=(target.subscription_id, target.resource_group, target.location),
        commit=inputs.commit,
        cache_dir=cache_dir(inputs),
    )


def plan_environment(
    inputs: Inputs,
    gateway: ArmGateway,
    options: PlanOptions,
    *,
    drift: bool = False,
    swagger_cache: SwaggerCache | None = None,
    deletion_policies: DeletionPolicySource = no_git_history,
    desired: DesiredState | None = None,
) -> tuple[DesiredState, ObservedState, Plan]:
    """`deletion_policies`: lifecycle.deletion of removed connectors as git gave it (the shell reads git).

    `desired`: the desired state already resolved for these inputs (the controller keeps one per commit).
    """
    desired = desired if desired is not None else desired_state(inputs, gateway)
    if any(p.code == CANNOT_CARRY for p in desired.errors):  # refused before any connector is read
        summary = f"environment {inputs.environment} cannot carry the connectors"
        raise ValidationFailed(desired.problems, summary=summary)
    observed = observe(gateway, desired=desired.custom_apis, drift=drift, swagger_cache=swagger_cache)
    plan = make_plan(desired, observed, options, target=target_of(gateway), deletion_policies=deletion_policies)
    return desired, observed, plan


def touched_connectors(repo_root: Path, repo: Repository, base: str, head: str | None) -> frozenset[str]:
    """Connectors a pull request (base...head, head None = working tree) touches."""
    try:
        from connectorops.gitops import revisions
    except ImportError as error:
        raise _not_available("--base/--head", error) from None
    changed = revisions.changed_paths(repo_root, base, head)
    return frozenset(revisions.touched_connectors(repo.connectors, changed))
