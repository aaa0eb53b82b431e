"""What git says, for the CLI: the working tree or a revision, loaded; and what a pull request touches.

The engine loads a `SourceTree` it is handed (engine/pipeline.py); reading git to get one is the shell's job.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.engine.pipeline import Inputs, inputs_from_tree
from connectorops.errors import Problem, Severity
from connectorops.spec.source import FileSystemTree, SourceTree

if TYPE_CHECKING:
    from connectorops.spec.repository import Repository

UNCOMMITTED_CHANGES = "git.uncommitted_changes"
# gitpython (connectorops.gitops.revisions) is imported only where git has something to say: importing it
# was a tenth of a second of every command, in folders that are no repository too.


def in_git_repository(path: Path) -> bool:
    """Whether git could find a repository at or above `path` (a .git entry, a bare repository, or $GIT_DIR)."""
    if os.environ.get("GIT_DIR"):
        return True
    folder = path.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists() or ((candidate / "HEAD").is_file() and (candidate / "objects").is_dir()):
            return True
    return False


def _head_commit(repo_root: Path) -> str | None:
    if not in_git_repository(repo_root):
        return None
    from connectorops.gitops import revisions

    return revisions.head_commit(repo_root)


def source_tree(repo_root: Path, rev: str | None) -> tuple[SourceTree, str | None]:
    """The working tree (commit: HEAD, if any) or a git revision (commit: its sha)."""
    if rev is None:
        return FileSystemTree(repo_root), _head_commit(repo_root)
    from connectorops.gitops import revisions

    tree = revisions.tree_at(repo_root, rev)
    return tree, str(getattr(tree, "sha", rev))


def load_inputs(repo_root: Path, environment: str | None, *, rev: str | None = None) -> Inputs:
    """The working tree or a git revision of `repo_root`, loaded and validated."""
    tree, commit = source_tree(repo_root, rev)
    inputs = inputs_from_tree(repo_root, tree, environment, commit)
    if rev is None and commit is not None:
        inputs = _warn_uncommitted(inputs, commit)
    return inputs


def _warn_uncommitted(inputs: Inputs, commit: str) -> Inputs:
    local = getattr(inputs.repo.config.environments.get(inputs.environment), "target", "local") == "local"
    warning = uncommitted_warning(inputs.repo_root, commit, local=local)
    if warning is None:
        return inputs
    return replace(inputs, repo=replace(inputs.repo, problems=(*inputs.repo.problems, warning)))


def uncommitted_warning(repo_root: Path, commit: str, *, local: bool) -> Problem | None:
    """Resources are tagged with HEAD's sha; say so when an Azure target gets uncommitted content.

    Not for `target: local`: editing and planning before committing is the laptop loop.
    """
    if local:
        return None
    from connectorops.gitops import revisions

    dirty = revisions.uncommitted_paths(repo_root)
    if not dirty:
        return None
    shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
    return Problem(
        f"uncommitted changes ({shown}) are planned, but resources are tagged with commit {commit[:12]}, "
        "which does not contain them",
        severity=Severity.WARNING,
        hint="commit first so the connectorops-commit tag says where a connector came from",
        code=UNCOMMITTED_CHANGES,
    )


def touched_connectors(repo_root: Path, repo: Repository, base: str, head: str | None) -> frozenset[str]:
    """Connectors a pull request (base...head, head None = working tree) touches."""
    from connectorops.gitops import revisions

    changed = revisions.changed_paths(repo_root, base, head)
    return frozenset(revisions.touched_connectors(repo.connectors, changed))
