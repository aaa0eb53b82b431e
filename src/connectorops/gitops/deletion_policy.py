"""The engine's `DeletionPolicySource` over git: lifecycle.deletion as committed, never as tagged.

A removed connector's policy is read from its connector.yaml (the connectorops-source tag) at the commit
that was applied (the connectorops-commit tag). No commit, an unknown one, a missing or unreadable file,
or a file that declares another connector: protect.
"""

from __future__ import annotations

from pathlib import Path

import git

from connectorops.engine.deletion_policy import PROTECT, DeletionPolicy
from connectorops.errors import GitError
from connectorops.gitops.revisions import GitTree, open_repo, resolve_commit
from connectorops.spec.loader import load_document
from connectorops.spec.models import ConnectorDocument


class GitDeletionPolicies:
    """Reads policies from one git repository; `prefix` is the connectorops root inside it."""

    def __init__(self, repo: git.Repo | None, prefix: str = "", *, unavailable: str = "") -> None:
        self._repo = repo
        self._prefix = prefix
        self._unavailable = unavailable
        self._trees: dict[str, GitTree | None] = {}

    @classmethod
    def at(cls, repo_root: Path) -> GitDeletionPolicies:
        """For the repository holding `repo_root` (a repository-less folder protects everything)."""
        try:
            repo, prefix = open_repo(repo_root)
        except GitError:
            return cls(None, unavailable=f"{repo_root} is not a git repository")
        return cls(repo, prefix)

    def _tree(self, commit: str) -> GitTree | None:
        if commit not in self._trees:
            try:
                assert self._repo is not None
                found = resolve_commit(self._repo, commit)
                found.tree  # noqa: B018 -- reads the object now: a sha git does not have raises here, not later
                self._trees[commit] = GitTree(found, self._prefix)
            except (GitError, ValueError):
                self._trees[commit] = None
        return self._trees[commit]

    def __call__(self, *, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
        if self._repo is None:
            return DeletionPolicy(PROTECT, f"unknown ({self._unavailable}), so protect")
        if not commit or not source_path:
            return DeletionPolicy(PROTECT, "unknown (no connectorops-commit/-source tag to find it in git), so protect")
        where = f"{source_path} at commit {commit[:12]}"
        tree = self._tree(commit)
        if tree is None:
            return DeletionPolicy(PROTECT, f"unknown (commit {commit[:12]} is not in this repository), so protect")
        document, _, problems = load_document(tree, source_path, ConnectorDocument)
        if document is None:
            reason = problems[0].message if problems else "unreadable"
            return DeletionPolicy(PROTECT, f"unknown ({where}: {reason}), so protect")
        if document.metadata.name.lower() != name.lower():
            return DeletionPolicy(
                PROTECT, f"unknown ({where} declares {document.metadata.name!r}, not {name!r}), so protect"
            )
        return DeletionPolicy(document.for_environment(environment).lifecycle.deletion, where)
