"""The target of the chosen environment and what git wants there, for `plan` and `drift`.

An unchanged repository's desired state is remembered (engine/desired_memo.py): when every file loading
read answers as it did and the target opened is the one the state was rendered for, nothing is loaded
again (no YAML, no spec models, no definitions). Otherwise the repository is loaded, its desired state
built and remembered for the next run. Either way the caller gets the same DesiredState.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.commands.context import CliContext
from connectorops.definitions.input_memo import RecordingTree
from connectorops.definitions.verdict_cache import DEFAULT_STATE_DIR
from connectorops.engine.desired import DesiredState
from connectorops.engine.desired_memo import DESIRED_DIR, DesiredMemo, RememberedDesired
from connectorops.engine.pipeline import desired_state, inputs_from_tree
from connectorops.engine.target import Target
from connectorops.gitops.inputs import source_tree, uncommitted_warning
from connectorops.spec.source import SourceTree
from connectorops.targets.address import TargetAddress, address_from_dict, address_to_dict
from connectorops.targets.connect import located, open_target

if TYPE_CHECKING:
    from connectorops.spec.repository import Repository


@dataclass(frozen=True)
class Opened:
    target: Target
    desired: DesiredState
    repository: Repository | None  # the loaded repository; None when the desired state was remembered


@contextmanager
def open_desired(ctx: CliContext, rev: str | None, *, load: bool = False) -> Iterator[Opened]:
    """The environment's target (closed on exit) and its desired state at `rev` (None: the working tree).

    load: always load the repository (the caller needs it, e.g. which connectors a pull request touches).
    """
    tree, commit = source_tree(ctx.repo, rev)
    memo = DesiredMemo(ctx.repo / DEFAULT_STATE_DIR / "cache" / DESIRED_DIR)
    remembered = None if load else memo.recall(tree, ctx.environment, commit)
    address = _address(remembered) if remembered is not None else None
    if remembered is None or address is None:
        with _loaded(ctx, memo, tree, rev, commit) as opened:
            yield opened
        return
    with open_target(ctx.repo, remembered.environment, address, principals=remembered.principals) as target:
        # Ids and grant scopes name the target: a reset local emulator (a new subscription) loads again, and
        # plans on the target already open when loading names the same place (the local Power Platform
        # surface's identity has the emulator's port, new on every run).
        if target.identity == remembered.identity:
            yield Opened(target, _with_git_warning(ctx, remembered.desired, rev, commit, address), None)
            return
        with _loaded(ctx, memo, tree, rev, commit, opened=(remembered, target)) as opened:
            yield opened


@contextmanager
def _loaded(
    ctx: CliContext,
    memo: DesiredMemo,
    tree: SourceTree,
    rev: str | None,
    commit: str | None,
    *,
    opened: tuple[RememberedDesired, Target] | None = None,
) -> Iterator[Opened]:
    """Load the repository, build its desired state (remembered for the next run) on its target."""
    recording = RecordingTree(tree)  # every question loading asks: the remembered state holds while all agree
    inputs = inputs_from_tree(ctx.repo, recording, ctx.environment, commit)
    address, principals = located(inputs)
    place = (inputs.environment, address_to_dict(address), principals)
    with ExitStack() as stack:
        if opened is not None and place == (opened[0].environment, opened[0].address, opened[0].principals):
            target = opened[1]
        else:
            target = stack.enter_context(open_target(ctx.repo, inputs.environment, address, principals=principals))
        desired = desired_state(inputs, target)
        if not desired.errors:
            # An error may come from outside the tree (a definition URL that could not be downloaded this
            # time): remembered, it would outlive its cause. A desired state with errors is blocked anyway.
            from connectorops.spec.loader import files_outside  # loaded already: the repository was just read

            outside = files_outside(inputs.repo.config)
            state = RememberedDesired(inputs.environment, place[1], target.identity, principals, desired, outside)
            memo.remember(recording.reads, ctx.environment, commit, state)
        yield Opened(target, _with_git_warning(ctx, desired, rev, commit, address), inputs.repo)


def _address(remembered: RememberedDesired) -> TargetAddress | None:
    """The remembered address, or None (load again) when it is corrupt or a file outside the repository that
    loading required is gone (loading then refuses it with its line in connectorops.yaml)."""
    if not all(Path(path).is_file() for path in remembered.outside):
        return None
    try:
        return address_from_dict(remembered.address)
    except ValueError:
        return None  # a foreign or corrupt entry


def _with_git_warning(
    ctx: CliContext, desired: DesiredState, rev: str | None, commit: str | None, address: TargetAddress
) -> DesiredState:
    """The working tree's uncommitted changes, which git (not the files) tells: never remembered."""
    if rev is not None or commit is None:
        return desired
    warning = uncommitted_warning(ctx.repo, commit, local=address.kind == "local")
    return desired if warning is None else replace(desired, problems=(warning, *desired.problems))
