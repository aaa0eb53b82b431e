"""Read the repository at any git revision from the object store, without a checkout.

`GitTree` is the `SourceTree` of a commit; `changed_paths` and `touched_connectors` say what a change touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import git
from gitdb.exc import BadName, BadObject

from connectorops.errors import GitError, SpecError
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import normalize_relative

SYMLINK_MODE = 0o120000
SUBMODULE_MODE = 0o160000
MAX_SYMLINK_HOPS = 16
# A change to these touches every connector: environments and policies apply to all of them.
SHARED_PATHS = ("connectorops.yaml",)
SHARED_FOLDERS = ("policies/",)


def open_repo(repo_root: Path) -> tuple[git.Repo, str]:
    """The git repository holding `repo_root`, and repo_root's POSIX path inside it ("" at the top)."""
    try:
        repo = git.Repo(repo_root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(
            f"{repo_root} is not inside a git repository",
            hint="run `git init` and commit, or drop --at/--base/--head to use the working tree",
        ) from None
    top = Path(repo.working_tree_dir or repo.git_dir).resolve()
    try:
        prefix = Path(repo_root).resolve().relative_to(top).as_posix()
    except ValueError:  # a bare repository: its git dir is the root
        prefix = ""
    return repo, "" if prefix == "." else prefix


def resolve_commit(repo: git.Repo, rev: str) -> git.Commit:
    """A commit for a branch, tag, sha or expression such as HEAD~1; GitError naming `rev` otherwise."""
    if not rev or rev.startswith("-"):
        raise GitError(f"invalid git revision {rev!r}", hint="give a branch, tag or commit sha")
    try:
        obj = repo.rev_parse(rev)
    except (BadName, BadObject, ValueError, IndexError):
        raise GitError(
            f"unknown git revision {rev!r}", hint="check the name with `git log --oneline`; fetch it first"
        ) from None
    if isinstance(obj, git.TagObject):
        obj = obj.object
    if not isinstance(obj, git.Commit):
        raise GitError(f"git revision {rev!r} is a {obj.type}, not a commit", hint="give a branch, tag or commit sha")
    return obj


class GitTree:
    """A commit's files as a `SourceTree`. Symlinks are followed only while they stay inside the tree."""

    def __init__(self, commit: git.Commit, prefix: str = "") -> None:
        self.commit = commit
        self.sha = commit.hexsha
        self.prefix = prefix.strip("/")
        self.label = f"commit {commit.hexsha[:7]}"
        # (directory path, entry name) -> child object; a commit never changes, so neither does this.
        self._children: dict[tuple[str, str], git.Blob | git.Tree | None] = {}
        self._root_tree: git.Tree | None = None

    def _root(self) -> git.Tree:
        if self._root_tree is None:
            self._root_tree = self._find_root()
        return self._root_tree

    def _child(self, node: git.Tree, where: str, part: str) -> git.Blob | git.Tree | None:
        key = (where, part)
        if key not in self._children:
            try:
                child = node / part
            except KeyError:
                child = None
            if child is not None and (child.mode == SUBMODULE_MODE or not isinstance(child, git.Blob | git.Tree)):
                child = None  # submodule contents are not in this repository's object store
            self._children[key] = child
        return self._children[key]

    def _find_root(self) -> git.Tree:
        if not self.prefix:
            return self.commit.tree
        try:
            entry = self.commit.tree / self.prefix
        except KeyError:
            raise SpecError(f"{self.prefix!r} does not exist at {self.label}", file=self.prefix) from None
        if not isinstance(entry, git.Tree):
            raise SpecError(f"{self.prefix!r} is not a directory at {self.label}", file=self.prefix)
        return entry

    def _lookup(self, path: str) -> git.Blob | git.Tree | None:
        """The object at `path`, following in-tree symlinks; None if absent. SpecError if a link escapes."""
        pending = list(PurePosixPath(normalize_relative(path)).parts) if path not in ("", ".") else []
        resolved: list[str] = []
        hops = 0
        root = self._root()
        node: git.Blob | git.Tree = root
        while pending:
            part = pending.pop(0)
            if not isinstance(node, git.Tree):
                return None
            child = self._child(node, "/".join(resolved), part)
            if child is None:
                return None
            if isinstance(child, git.Blob) and child.mode == SYMLINK_MODE:
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    raise SpecError(f"{path!r}: too many levels of symbolic links", file=path)
                target = child.data_stream.read().decode("utf-8", "surrogateescape")
                try:
                    rest = normalize_relative(target, base="/".join(resolved))
                except SpecError:
                    raise SpecError(
                        f"{path!r} is a symlink to {target!r}, outside the repository",
                        file=path,
                        hint="symlinks must point inside the repository",
                    ) from None
                pending = [p for p in PurePosixPath(rest).parts if p] + pending
                resolved = []
                node = root
                continue
            resolved.append(part)
            node = child
        return node

    def read_bytes(self, path: str) -> bytes:
        node = self._lookup(path)
        if node is None:
            raise SpecError(f"file not found: {path} ({self.label})", file=path)
        if not isinstance(node, git.Blob):
            raise SpecError(f"{path} is a directory, expected a file", file=path)
        data: bytes = node.data_stream.read()
        return data

    def exists(self, path: str) -> bool:
        try:
            return self._lookup(path) is not None
        except SpecError:
            return False

    def is_dir(self, path: str) -> bool:
        try:
            return isinstance(self._lookup(path), git.Tree)
        except SpecError:
            return False

    def list_dir(self, path: str) -> list[str]:
        node = self._lookup(path)
        if not isinstance(node, git.Tree):
            return []
        return sorted(entry.name for entry in node)

    def size(self, path: str) -> int:
        node = self._lookup(path)
        if not isinstance(node, git.Blob):
            raise SpecError(f"file not found: {path} ({self.label})", file=path)
        size: int = node.size
        return size


def tree_at(repo_root: Path, rev: str) -> GitTree:
    """The repository (rooted at repo_root, possibly a subfolder of the git repo) as of `rev`."""
    repo, prefix = open_repo(repo_root)
    return GitTree(resolve_commit(repo, rev), prefix)


def head_commit(repo_root: Path) -> str | None:
    """The sha of HEAD, or None when repo_root is not in a git repository or has no commit yet."""
    try:
        repo, _ = open_repo(repo_root)
        return repo.head.commit.hexsha
    except (GitError, ValueError):
        return None


def uncommitted_paths(repo_root: Path) -> list[str]:
    """connectorops.yaml, policies/ and connectors/ files that differ from HEAD (untracked included)."""
    try:
        repo, prefix = open_repo(repo_root)
        head = repo.head.commit
    except (GitError, ValueError):
        return []
    paths = set(repo.untracked_files)
    for diff in head.diff(None):
        paths.update(p for p in (diff.a_path, diff.b_path) if p)
    ours = _under_prefix(paths, prefix)
    return sorted(p for p in ours if p in SHARED_PATHS or p.startswith((*SHARED_FOLDERS, "connectors/")))


def changed_paths(repo_root: Path, base: str, head: str | None) -> set[str]:
    """Paths (relative to repo_root) that differ between the merge base of base/head and head.

    head None means the working tree, untracked files included. Like a pull request's diff, changes
    made on `base` after the branch point are not counted.
    """
    repo, prefix = open_repo(repo_root)
    base_commit = resolve_commit(repo, base)
    head_commit_ = resolve_commit(repo, head) if head else repo.head.commit
    bases = repo.merge_base(base_commit, head_commit_)
    start = bases[0] if bases and isinstance(bases[0], git.Commit) else base_commit
    paths: set[str] = set()
    if head:
        diffs = start.diff(head_commit_)
    else:
        diffs = start.diff(None)
        paths.update(repo.untracked_files)
    for diff in diffs:
        paths.update(p for p in (diff.a_path, diff.b_path) if p)
    return _under_prefix(paths, prefix)


def _under_prefix(paths: Iterable[str], prefix: str) -> set[str]:
    if not prefix:
        return set(paths)
    start = prefix + "/"
    return {p[len(start) :] for p in paths if p.startswith(start)}


def touched_connectors(connectors: Iterable[LoadedConnector], changed: set[str]) -> list[str]:
    """Names of connectors a change touches: a file in their folder, or a shared file (config, policies)."""
    shared = any(p in SHARED_PATHS or p.startswith(SHARED_FOLDERS) for p in changed)
    names: set[str] = set()
    for connector in connectors:
        folder = connector.folder.rstrip("/") + "/"
        if shared or connector.path in changed or any(p.startswith(folder) for p in changed):
            names.add(connector.name)
    return sorted(names)
