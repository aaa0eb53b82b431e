"""GitTree, tree_at, head_commit, changed_paths and touched_connectors against small real git repos."""

from __future__ import annotations

import os
from pathlib import Path

import git
import pytest

from connectorops.errors import GitError, SpecError
from connectorops.gitops.revisions import changed_paths, head_commit, touched_connectors, tree_at
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector


def commit_files(repo: git.Repo, files: dict[str, str | None], message: str) -> str:
    """Write (or delete, for None) files in the working tree and commit them; return the sha."""
    root = Path(repo.working_tree_dir or ".")
    for rel, text in files.items():
        full = root / rel
        if text is None:
            repo.index.remove([rel], working_tree=True)
            continue
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)
        repo.index.add([rel])
    return repo.index.commit(message).hexsha


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    r = git.Repo.init(tmp_path / "work", initial_branch="main")
    with r.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    return r


def test_tree_at_reads_old_revision_without_touching_working_tree(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    first = commit_files(repo, {"connectors/a/connector.yaml": "v1\n"}, "one")
    commit_files(repo, {"connectors/a/connector.yaml": "v2\n", "connectors/b/connector.yaml": "b\n"}, "two")
    (root / "connectors/a/connector.yaml").write_text("dirty\n")

    old = tree_at(root, first)

    assert old.read_bytes("connectors/a/connector.yaml") == b"v1\n"
    assert old.list_dir("connectors") == ["a"]
    assert not old.exists("connectors/b/connector.yaml")
    assert old.is_dir("connectors/a") and not old.is_dir("connectors/a/connector.yaml")
    assert old.size("connectors/a/connector.yaml") == 3
    assert old.label == f"commit {first[:7]}"
    assert (root / "connectors/a/connector.yaml").read_text() == "dirty\n"
    assert tree_at(root, "HEAD~1").sha == first


def test_missing_file_and_directory_read_are_spec_errors(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    commit_files(repo, {"connectors/a/connector.yaml": "x"}, "one")
    tree = tree_at(root, "main")
    with pytest.raises(SpecError, match="file not found: connectors/a/openapi.yaml"):
        tree.read_bytes("connectors/a/openapi.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        tree.read_bytes("connectors/a")
    with pytest.raises(SpecError, match="leaves the repository"):
        tree.read_bytes("../outside")
    assert tree.list_dir("nope") == []


def test_symlink_inside_tree_is_followed_and_outside_refused(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    (root / "shared").mkdir()
    (root / "shared/openapi.json").write_text("{}")
    (root / "connectors/a").mkdir(parents=True)
    os.symlink("../../shared/openapi.json", root / "connectors/a/openapi.json")
    os.symlink("../../../etc/passwd", root / "connectors/a/escape.json")
    os.symlink("/etc/passwd", root / "connectors/a/absolute.json")
    os.symlink("../../shared", root / "connectors/a/dir")
    repo.index.add(["shared/openapi.json", "connectors/a/openapi.json", "connectors/a/escape.json"])
    repo.index.add(["connectors/a/absolute.json", "connectors/a/dir"])
    repo.index.commit("links")

    tree = tree_at(root, "HEAD")

    assert tree.read_bytes("connectors/a/openapi.json") == b"{}"
    assert tree.read_bytes("connectors/a/dir/openapi.json") == b"{}"
    assert tree.list_dir("connectors/a/dir") == ["openapi.json"]
    for name in ("escape.json", "absolute.json"):
        with pytest.raises(SpecError, match="outside the repository"):
            tree.read_bytes(f"connectors/a/{name}")
        assert not tree.exists(f"connectors/a/{name}")


def test_symlink_loop_is_refused(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    root.joinpath("x").mkdir()
    os.symlink("b", root / "x/a")
    os.symlink("a", root / "x/b")
    repo.index.add(["x/a", "x/b"])
    repo.index.commit("loop")
    with pytest.raises(SpecError, match="too many levels"):
        tree_at(root, "HEAD").read_bytes("x/a")


def test_subfolder_repo_root_sees_only_its_files(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    commit_files(repo, {"ops/connectorops.yaml": "default: local\n", "other/secret.txt": "s"}, "one")
    tree = tree_at(root / "ops", "HEAD")
    assert tree.list_dir("") == ["connectorops.yaml"]
    assert tree.read_bytes("connectorops.yaml") == b"default: local\n"
    with pytest.raises(SpecError, match="leaves the repository"):
        tree.read_bytes("../other/secret.txt")


def test_unknown_revision_and_non_repo_are_git_errors(repo: git.Repo, tmp_path: Path) -> None:
    root = Path(repo.working_tree_dir or ".")
    commit_files(repo, {"a": "1"}, "one")
    with pytest.raises(GitError, match="unknown git revision 'nope'"):
        tree_at(root, "nope")
    with pytest.raises(GitError, match="invalid git revision"):
        tree_at(root, "--upload-pack=evil")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="not inside a git repository"):
        tree_at(plain, "HEAD")


def test_head_commit(repo: git.Repo, tmp_path: Path) -> None:
    root = Path(repo.working_tree_dir or ".")
    assert head_commit(root) is None  # no commit yet
    sha = commit_files(repo, {"a": "1"}, "one")
    assert head_commit(root) == sha
    plain = tmp_path / "plain"
    plain.mkdir()
    assert head_commit(plain) is None


def test_changed_paths_uses_merge_base_and_renames(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    commit_files(repo, {"connectors/a/connector.yaml": "a", "connectors/b/old.yaml": "b"}, "base")
    repo.git.checkout("-b", "feature")
    repo.git.mv("connectors/b/old.yaml", "connectors/b/new.yaml")
    repo.index.commit("rename")
    feature = commit_files(repo, {"connectors/c/connector.yaml": "c"}, "add c")
    repo.git.checkout("main")
    commit_files(repo, {"connectors/a/connector.yaml": "a2"}, "main moves on")

    changed = changed_paths(root, "main", feature)

    assert changed == {"connectors/b/old.yaml", "connectors/b/new.yaml", "connectors/c/connector.yaml"}


def test_changed_paths_against_working_tree_includes_untracked(repo: git.Repo) -> None:
    root = Path(repo.working_tree_dir or ".")
    commit_files(repo, {"connectors/a/connector.yaml": "a"}, "base")
    (root / "connectors/a/connector.yaml").write_text("edited")
    (root / "connectors/new").mkdir()
    (root / "connectors/new/connector.yaml").write_text("n")
    assert changed_paths(root, "HEAD", None) == {"connectors/a/connector.yaml", "connectors/new/connector.yaml"}


def _connector(name: str, folder: str) -> LoadedConnector:
    doc = ConnectorDocument.model_validate(
        {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": name},
            "spec": {"definition": {"openapi": "openapi.json"}},
        }
    )
    return LoadedConnector(name=name, folder=folder, path=f"{folder}/connector.yaml", document=doc)


def test_touched_connectors_by_folder_and_shared_files() -> None:
    conns = [_connector("orders", "connectors/orders"), _connector("order", "connectors/order")]
    assert touched_connectors(conns, {"connectors/orders/openapi.json"}) == ["orders"]
    assert touched_connectors(conns, {"README.md"}) == []
    assert touched_connectors(conns, {"policies/sharing.yaml"}) == ["order", "orders"]
    assert touched_connectors(conns, {"connectorops.yaml"}) == ["order", "orders"]


def _connector_yaml(name: str, deletion: str, dev_deletion: str | None = None) -> str:
    text = (
        f"apiVersion: connectorops/v1\nkind: Connector\nmetadata: {{name: {name}}}\n"
        f"spec:\n  definition: {{openapi: openapi.yaml}}\n  lifecycle: {{deletion: {deletion}}}\n"
    )
    if dev_deletion:
        text += f"  environments:\n    dev:\n      lifecycle: {{deletion: {dev_deletion}}}\n"
    return text


def test_deletion_policy_at_reads_the_committed_connector_yaml(repo: git.Repo) -> None:

    root = Path(repo.working_tree_dir or ".")
    path = "connectors/orders/connector.yaml"
    first = commit_files(repo, {path: _connector_yaml("orders", "allow-connection-loss")}, "one")
    second = commit_files(repo, {path: _connector_yaml("orders", "protect", dev_deletion="orphan")}, "two")
    gone = commit_files(repo, {path: None}, "removed")
    assert deletion_policy_at(root, first, path) == "allow-connection-loss"
    assert deletion_policy_at(root, first[:12], path, connector="ORDERS") == "allow-connection-loss"
    assert deletion_policy_at(root, second, path) == "protect"
    assert deletion_policy_at(root, second, path, environment="dev") == "orphan"  # the override, as applied
    assert deletion_policy_at(root, second, path, environment="prod") == "protect"
    # unknown -> None (callers protect): the file is gone, the commit is absent, the tag is missing or no sha
    assert deletion_policy_at(root, gone, path) is None
    assert deletion_policy_at(root, "f" * 40, path) is None
    assert deletion_policy_at(root, None, path) is None
    assert deletion_policy_at(root, first, None) is None
    assert deletion_policy_at(root, "HEAD~2", path) is None
    assert deletion_policy_at(root, first, "../outside/connector.yaml") is None
    assert deletion_policy_at(root, first, path, connector="billing") is None  # another connector's file
    assert deletion_policy_at(root.parent / "not-a-repo", first, path) is None


def test_deletion_policy_at_an_invalid_committed_file_is_unknown(repo: git.Repo) -> None:

    root = Path(repo.working_tree_dir or ".")
    path = "connectors/orders/connector.yaml"
    broken = commit_files(repo, {path: _connector_yaml("orders", "allow-connection-loss") + "  bogus: 1\n"}, "x")
    assert deletion_policy_at(root, broken, path) is None


def deletion_policy_at(
    root: Path, commit: str | None, path: str | None, *, environment: str | None = None, connector: str | None = None
) -> str | None:
    """The committed policy git gives (None when unknown), through the one reader the engine and Pulumi use."""
    from connectorops.gitops.deletion_policy import UNKNOWN, GitDeletionPolicies

    found = GitDeletionPolicies.at(root).read(name=connector, source_path=path, commit=commit, environment=environment)
    return None if found.origin.startswith(UNKNOWN) else found.value


def test_git_is_found_at_or_above_the_repository_and_nowhere_else(tmp_path: Path) -> None:
    from connectorops.gitops.inputs import in_git_repository, source_tree

    plain = tmp_path / "plain"
    (plain / "connectors").mkdir(parents=True)
    assert not in_git_repository(plain / "connectors")
    assert source_tree(plain, None)[1] is None  # no repository: no commit, and gitpython is not needed
    repo = git.Repo.init(tmp_path / "repo")
    (tmp_path / "repo" / "sub").mkdir()
    (tmp_path / "repo" / "sub" / "f").write_text("x")
    repo.index.add(["sub/f"])
    sha = repo.index.commit("c", author=git.Actor("a", "a@example.com")).hexsha
    assert in_git_repository(tmp_path / "repo" / "sub")
    assert source_tree(tmp_path / "repo" / "sub", None)[1] == sha
