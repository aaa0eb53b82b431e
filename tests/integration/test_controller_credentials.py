"""The controller's git credential never lands on disk, yet fetch authenticates (basic auth over real HTTP).

A local HTTP server with basic auth in front of `git http-backend` plays the git host.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import git
import pytest

from connectorops.errors import GitError
from connectorops.gitops.credentials import (
    ASKPASS_PASSWORD_ENV,
    ASKPASS_USERNAME_ENV,
    GitCredential,
    askpass_environment,
    split_credentials,
    write_askpass,
)
from connectorops.gitops.workspace import RetryPolicy, Workspace

USER = "bot"
SECRET = "Canary-S3cret-4711"
HTTP_BACKEND = Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip()) / (
    "git-http-backend"
)


class GitHost:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.authorizations: list[str | None] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                auth = self.headers.get("Authorization")
                host.authorizations.append(auth)
                wanted = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
                if auth != wanted:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                env = {
                    "PATH": os.environ.get("PATH", ""),
                    "GIT_PROJECT_ROOT": str(host.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(length),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                    "REMOTE_USER": USER,
                }
                body = self.rfile.read(length) if length else b""
                out = subprocess.run([str(HTTP_BACKEND)], input=body, env=env, capture_output=True, check=False).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status = 200
                headers: list[tuple[str, str]] = []
                for line in head.decode("latin-1").splitlines():
                    key, _, value = line.partition(":")
                    if key.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif key:
                        headers.append((key, value.strip()))
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[tuple[GitHost, str]]:
    """A served bare repository with one commit; yields the host and the commit sha."""
    root = tmp_path / "srv"
    git.Repo.init(root / "repo.git", bare=True, initial_branch="main")
    work = git.Repo.clone_from(str(root / "repo.git"), tmp_path / "author")
    with work.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    (tmp_path / "author" / "connectorops.yaml").write_text("default: local\n")
    work.index.add(["connectorops.yaml"])
    sha = work.index.commit("init").hexsha
    work.git.push("origin", "HEAD:refs/heads/main")
    host = GitHost(root)
    host.thread.start()
    try:
        yield host, sha
    finally:
        host.server.shutdown()
        host.server.server_close()


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECTOROPS_GIT_USERNAME", raising=False)
    monkeypatch.delenv("CONNECTOROPS_GIT_PASSWORD", raising=False)


def test_credential_in_the_url_authenticates_and_is_never_written(tmp_path: Path, remote: tuple[GitHost, str]) -> None:
    host, sha = remote
    workdir = tmp_path / "controller-workdir"
    ws = Workspace(f"http://{USER}:{SECRET}@{host.base}/repo.git", "main", workdir / "git")
    assert ws.sync().sha == sha
    assert ws.sync().sha == sha  # and again on an existing clone

    assert any(a and a.startswith("Basic ") for a in host.authorizations)  # the server did demand and get it
    config = git.Repo(workdir / "git").remotes.origin.url
    assert config == f"http://{host.base}/repo.git"
    assert files_containing(workdir, SECRET.encode()) == []
    assert files_containing(workdir, base64.b64encode(f"{USER}:{SECRET}".encode())) == []
    assert SECRET not in repr(ws.credential)


def test_credential_from_the_environment_authenticates(
    tmp_path: Path, remote: tuple[GitHost, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    host, sha = remote
    monkeypatch.setenv("CONNECTOROPS_GIT_USERNAME", USER)
    monkeypatch.setenv("CONNECTOROPS_GIT_PASSWORD", SECRET)
    ws = Workspace(f"http://{host.base}/repo.git", "main", tmp_path / "w" / "git")
    assert ws.sync().sha == sha
    assert files_containing(tmp_path / "w", SECRET.encode()) == []


def test_without_the_credential_the_host_refuses(tmp_path: Path, remote: tuple[GitHost, str]) -> None:
    host, _ = remote
    ws = Workspace(f"http://{host.base}/repo.git", "main", tmp_path / "w" / "git", retry=RetryPolicy(attempts=1))
    with pytest.raises(GitError, match="cannot fetch"):
        ws.sync()


def test_an_old_clone_with_the_credential_in_its_config_is_cleaned(tmp_path: Path, remote: tuple[GitHost, str]) -> None:
    # A clone made by an earlier version kept the URL with the password; the next sync rewrites it.
    host, sha = remote
    url = f"http://{USER}:{SECRET}@{host.base}/repo.git"
    old = git.Repo.init(tmp_path / "w" / "git", bare=True)
    old.git.remote("add", "origin", url)
    assert files_containing(tmp_path / "w", SECRET.encode())
    assert Workspace(url, "main", tmp_path / "w" / "git").sync().sha == sha
    assert files_containing(tmp_path / "w", SECRET.encode()) == []


def test_askpass_helper_answers_git_prompts_from_its_environment_only(tmp_path: Path) -> None:
    script = write_askpass(tmp_path)
    assert SECRET not in script.read_text() and oct(script.stat().st_mode & 0o777) == "0o700"
    env = {**askpass_environment(script, GitCredential(USER, SECRET)), "PATH": os.environ.get("PATH", "")}
    assert env[ASKPASS_USERNAME_ENV] == USER and env[ASKPASS_PASSWORD_ENV] == SECRET
    ask = [str(script)]
    user = subprocess.run([*ask, "Username for 'http://h': "], env=env, capture_output=True, text=True, check=True)
    password = subprocess.run([*ask, f"Password for 'http://{USER}@h': "], env=env, capture_output=True, text=True)
    assert (user.stdout, password.stdout) == (f"{USER}\n", f"{SECRET}\n")


def test_split_credentials_decodes_percent_escapes_and_keeps_plain_urls() -> None:
    assert split_credentials("https://a%40b:p%3Aw@h/x.git") == ("https://h/x.git", GitCredential("a@b", "p:w"))
    assert split_credentials("https://h/x.git") == ("https://h/x.git", None)
    assert split_credentials("/srv/repo.git") == ("/srv/repo.git", None)
