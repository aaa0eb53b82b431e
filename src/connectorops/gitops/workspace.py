"""The controller's local copy of a watched remote: a bare clone in a cache dir, fetched with retries.

Network and server outages are retried with jittered exponential backoff (tenacity). A credential in the URL
(https://user:token@host/...) never reaches disk: the clone's config holds the URL without it, and git gets
it at fetch time from an askpass helper (see gitops/credentials.py); messages are redacted as well.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import git
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_when_event_set,
    wait_random_exponential,
)

from connectorops.errors import GitError
from connectorops.gitops.credentials import (
    askpass_environment,
    credential_from_environment,
    split_credentials,
    write_askpass,
)
from connectorops.gitops.revisions import GitTree

log = logging.getLogger("connectorops.gitops.workspace")

# Never let git ask for a password on a terminal nobody watches.
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}
BRANCH_PATTERN = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<![./])$")


def redact_url(url: str) -> str:
    """The URL without its password/token; local paths are returned unchanged."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc or "@" not in parts.netloc:
        return url
    # A user name alone can be a token (https://TOKEN@github.com/...), so the whole userinfo goes.
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def _scrub(text: str, url: str) -> str:
    return text.replace(url, redact_url(url)) if url else text


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per sync and the bounds of the jittered exponential wait between them, in seconds."""

    attempts: int = 4
    initial: float = 1.0
    maximum: float = 30.0
    command_timeout: float = 120.0  # a fetch that hangs (black-holed network) is killed and retried


class Workspace:
    """A bare clone of `url` under `cache_dir`; `sync()` fetches `branch` and returns its tree."""

    def __init__(
        self,
        url: str,
        branch: str,
        cache_dir: Path,
        *,
        retry: RetryPolicy | None = None,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not url or url.startswith("-") or url.lower().startswith("ext::"):
            raise GitError(f"refusing git URL {redact_url(url)!r}", hint="give an https://, ssh:// URL or a local path")
        if not BRANCH_PATTERN.match(branch):
            raise GitError(f"invalid branch name {branch!r}", field="--branch")
        bare_url, from_url = split_credentials(url)
        # The URL from the command line wins over CONNECTOROPS_GIT_USERNAME/PASSWORD.
        self.credential = from_url or credential_from_environment()
        local = Path(bare_url).expanduser()
        self.url = str(local.resolve()) if "://" not in bare_url and local.exists() else bare_url
        self.branch = branch
        self.cache_dir = cache_dir
        self.retry = retry or RetryPolicy()
        self.stop = stop or threading.Event()
        self._sleep: Callable[[float], None] = sleep or self._interruptible_sleep
        self.attempts = 0  # fetch attempts made by the last sync, for logs and metrics

    def _interruptible_sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)  # SIGTERM ends a backoff wait at once

    @property
    def remote_ref(self) -> str:
        return f"refs/remotes/origin/{self.branch}"

    def _repo(self) -> git.Repo:
        if (self.cache_dir / "HEAD").exists():
            repo = git.Repo(self.cache_dir)
        else:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.init(self.cache_dir, bare=True)
        if "origin" in [r.name for r in repo.remotes]:
            if repo.remotes.origin.url != self.url:
                repo.git.remote("set-url", "origin", self.url)
        else:
            repo.git.remote("add", "origin", self.url)
        return repo

    def _fetch(self, repo: git.Repo) -> None:
        self.attempts += 1
        refspec = f"+refs/heads/{self.branch}:{self.remote_ref}"
        env = dict(GIT_ENV)
        if self.credential is not None:
            env.update(askpass_environment(write_askpass(self.cache_dir.parent), self.credential))
        with repo.git.custom_environment(**env):
            repo.git.fetch("--prune", "--no-tags", "origin", refspec, kill_after_timeout=self.retry.command_timeout)

    def _before_sleep(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "git fetch failed, retrying",
            extra={
                "event": "git_fetch_retry",
                "url": redact_url(self.url),
                "attempt": state.attempt_number,
                "wait_seconds": round(wait, 2),
                "error": self._scrub(_git_message(error)),
            },
        )

    def _scrub(self, text: str) -> str:
        text = _scrub(text, self.url)
        if self.credential is not None and len(self.credential.password) >= 4:
            text = text.replace(self.credential.password, "***")
        return text

    def sync(self) -> GitTree:
        """Fetch the branch (clone on first use) and return the tree of its newest commit."""
        self.attempts = 0
        repo = self._repo()
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts) | stop_when_event_set(self.stop),
            wait=wait_random_exponential(multiplier=self.retry.initial, max=self.retry.maximum),
            retry=retry_if_exception_type(git.GitCommandError),
            before_sleep=self._before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            retrying(self._fetch, repo)
        except git.GitCommandError as error:
            raise GitError(
                f"cannot fetch branch {self.branch!r} from {redact_url(self.url)} after {self.attempts} attempt(s): "
                + self._scrub(_git_message(error)),
                hint="check the URL, the branch name, network access and credentials",
            ) from None
        return GitTree(repo.commit(self.remote_ref))


def _git_message(error: BaseException | None) -> str:
    if isinstance(error, git.GitCommandError):
        lines = [line.strip().removeprefix("stderr: ").strip("'") for line in str(error.stderr or "").splitlines()]
        lines = [line for line in lines if line]
        # git's first "fatal:" line names the cause; its last line is often generic advice
        # ("Please make sure ... and the repository exists.").
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        return (fatal or lines or [f"git exited with status {error.status}"])[0]
    return str(error) if error else "unknown error"
