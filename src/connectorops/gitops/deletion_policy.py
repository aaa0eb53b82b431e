"""The engine's `DeletionPolicySource` over git: lifecycle.deletion as committed, never as tagged.

A removed connector's policy is read from its connector.yaml (the connectorops-source tag) at the commit
that was applied (the connectorops-commit tag). No commit, an unknown one, a missing or unreadable file,
or a file that declares another connector: protect.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.engine.deletion_policy import PROTECT, DeletionPolicy
from connectorops.errors import GitError, Severity, SpecError

if TYPE_CHECKING:  # gitpython is imported when a policy is first read: a plan that deletes nothing needs none
    import git

    from connectorops.gitops.revisions import GitTree

UNKNOWN = "unknown"  # how the origin of a policy that git could not give starts


class GitDeletionPolicies:
    """Reads policies from one git repository; `prefix` is the connectorops root inside it."""

    def __init__(
        self, repo: git.Repo | None, prefix: str = "", *, unavailable: str = "", root: Path | None = None
    ) -> None:
        self._repo = repo
        self._prefix = prefix
        self._unavailable = unavailable
        self._root = root  # the repository is opened on the first read (see `at`)
        self._trees: dict[str, GitTree | None] = {}

    @classmethod
    def at(cls, repo_root: Path) -> GitDeletionPolicies:
        """For the repository holding `repo_root` (a repository-less folder protects everything)."""
        return cls(None, root=repo_root)

    def _opened(self) -> git.Repo | None:
        if self._root is not None:
            from connectorops.gitops.revisions import open_repo

            root, self._root = self._root, None
            try:
                self._repo, self._prefix = open_repo(root)
            except GitError:
                self._unavailable = f"{root} is not a git repository"
        return self._repo

    def _tree(self, commit: str) -> GitTree | None:
        from connectorops.gitops.revisions import GitTree, resolve_commit

        # A tag is input from Azure: only a (possibly abbreviated) sha is looked up, never `HEAD~1` or a branch.
        if self._repo is None or not all(c in "0123456789abcdefABCDEF" for c in commit):
            return None
        if commit not in self._trees:
            try:
                found = resolve_commit(self._repo, commit)
                found.tree  # noqa: B018 -- reads the object now: a sha git does not have raises here, not later
                self._trees[commit] = GitTree(found, self._prefix)
            except (GitError, ValueError):
                self._trees[commit] = None
        return self._trees[commit]

    def read(
        self, *, name: str | None, source_path: str | None, commit: str | None, environment: str | None
    ) -> DeletionPolicy:
        """The committed policy, or PROTECT with an origin that starts with UNKNOWN and says why.

        `name`: the file must declare this metadata.name (None: any).
        """
        if self._opened() is None:
            return DeletionPolicy(PROTECT, f"{UNKNOWN} ({self._unavailable}), so protect")
        if not commit or not source_path:
            return DeletionPolicy(
                PROTECT, f"{UNKNOWN} (no connectorops-commit/-source tag to find it in git), so protect"
            )
        where = f"{source_path} at commit {commit[:12]}"
        tree = self._tree(commit)
        if tree is None:
            return DeletionPolicy(
                PROTECT,
                (
                    f"{UNKNOWN} (commit {commit[:12]} is not in this repository; in CI, fetch the full history: "
                    "fetch-depth: 0), so protect"
                ),
            )
        try:
            from connectorops.spec.loader import load_document  # the spec models: only once a connector is removed
            from connectorops.spec.models import ConnectorDocument

            document, _, problems = load_document(tree, source_path, ConnectorDocument)
        except SpecError as error:  # e.g. a source tag that points outside the repository
            document, problems = None, list(error.problems)
        errors = [p for p in problems if p.severity == Severity.ERROR]
        if document is None or errors:
            reason = (errors or problems)[0].message if (errors or problems) else "unreadable"
            return DeletionPolicy(PROTECT, f"{UNKNOWN} ({where}: {reason}), so protect")
        if name is not None and document.metadata.name.lower() != name.lower():
            return DeletionPolicy(
                PROTECT, f"{UNKNOWN} ({where} declares {document.metadata.name!r}, not {name!r}), so protect"
            )
        spec = document.for_environment(environment)
        return DeletionPolicy(str(spec.lifecycle.deletion), where)

    def __call__(self, *, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
        return self.read(name=name, source_path=source_path, commit=commit, environment=environment)
