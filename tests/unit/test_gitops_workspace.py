"""Workspace: bare clone + fetch of a local remote, retries with backoff, redaction of credentials."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest

from connectorops.errors import GitError
from connectorops.gitops.workspace import RetryPolicy, Workspace, redact_url


def make_remote(tmp_path: Path) -> tuple[git.Repo, Path]:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    work = git.Repo.clone_from(str(bare), tmp_path / "author")
    with work.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    return work, bare


def push(work: git.Repo, rel: str, text: str) -> str:
    path = Path(work.working_tree_dir or ".") / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    work.index.add([rel])
    sha = work.index.commit(f"edit {rel}").hexsha
    work.git.push("origin", "HEAD:refs/heads/main")
    return sha


def test_sync_clones_then_fetches_new_commits(tmp_path: Path) -> None:
    work, bare = make_remote(tmp_path)
    first = push(work, "connectorops.yaml", "default: local\n")
    ws = Workspace(str(bare), "main", tmp_path / "cache")

    tree = ws.sync()
    assert tree.sha == first
    assert tree.read_bytes("connectorops.yaml") == b"default: local\n"

    second = push(work, "connectors/a/connector.yaml", "x")
    tree = ws.sync()
    assert tree.sha == second
    assert tree.list_dir("connectors") == ["a"]
    assert ws.attempts == 1


def test_unreachable_remote_retries_with_growing_waits_then_git_error(tmp_path: Path) -> None:
    work, bare = make_remote(tmp_path)
    push(work, "a", "1")
    waits: list[float] = []
    ws = Workspace(
        str(bare), "main", tmp_path / "cache", retry=RetryPolicy(attempts=4, initial=1, maximum=8), sleep=waits.append
    )
    ws.sync()
    moved = tmp_path / "moved.git"
    shutil.move(bare, moved)

    with pytest.raises(GitError, match="after 4 attempt"):
        ws.sync()
    assert len(waits) == 3
    assert all(0 <= w <= 8 for w in waits)

    shutil.move(moved, bare)  # the remote comes back: the next sync recovers
    assert ws.sync().read_bytes("a") == b"1"


def test_unknown_branch_is_a_git_error(tmp_path: Path) -> None:
    work, bare = make_remote(tmp_path)
    push(work, "a", "1")
    ws = Workspace(str(bare), "nope", tmp_path / "cache", retry=RetryPolicy(attempts=1))
    with pytest.raises(GitError, match="cannot fetch branch 'nope'"):
        ws.sync()


@pytest.mark.parametrize("url", ["--upload-pack=touch /tmp/x", "ext::sh -c touch% /tmp/pwned", ""])
def test_dangerous_urls_are_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(GitError, match="refusing git URL"):
        Workspace(url, "main", tmp_path / "cache")


@pytest.mark.parametrize("branch", ["-x", "a..b", "a b", "main/"])
def test_bad_branch_names_are_refused(tmp_path: Path, branch: str) -> None:
    with pytest.raises(GitError, match="invalid branch name"):
        Workspace(str(tmp_path), branch, tmp_path / "cache")


def test_redact_url_hides_credentials() -> None:
    assert redact_url("https://bot:s3cret@example.com/r.git") == "https://***@example.com/r.git"
    assert redact_url("https://tok3n@example.com/r.git") == "https://***@example.com/r.git"
    assert redact_url("/srv/git/repo.git") == "/srv/git/repo.git"
    assert redact_url("https://example.com/r.git") == "https://example.com/r.git"


def test_credentials_never_appear_in_fetch_errors(tmp_path: Path) -> None:
    ws = Workspace("https://bot:s3cret@127.0.0.1:1/r.git", "main", tmp_path / "cache", retry=RetryPolicy(attempts=1))
    with pytest.raises(GitError) as caught:
        ws.sync()
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)
