"""Git credentials for the controller, kept off disk: taken out of the URL, handed to git at fetch time.

The URL stored in the bare clone's config carries no userinfo; git asks an askpass helper, which
prints the user name and password from variables set only in the git child's environment
(readable by the same user only, unlike argv). The helper script holds no secret.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

USERNAME_ENV = "CONNECTOROPS_GIT_USERNAME"
PASSWORD_ENV = "CONNECTOROPS_GIT_PASSWORD"  # noqa: S105 - the variable's name, not a value
# What the askpass helper reads; set only in the environment of the git child process.
ASKPASS_USERNAME_ENV = "CONNECTOROPS_ASKPASS_USERNAME"
ASKPASS_PASSWORD_ENV = "CONNECTOROPS_ASKPASS_PASSWORD"  # noqa: S105 - the variable's name, not a value
ASKPASS_FILE = "connectorops-git-askpass"
# git calls the helper with its prompt: "Username for 'https://host': " or "Password for 'https://user@host': ".
ASKPASS_SCRIPT = f"""#!/bin/sh
# connectorops: answers git's credential prompts from the environment; holds no secret itself.
case "$1" in
  Username*) printf '%s\\n' "${ASKPASS_USERNAME_ENV}" ;;
  *) printf '%s\\n' "${ASKPASS_PASSWORD_ENV}" ;;
esac
"""


@dataclass(frozen=True)
class GitCredential:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password by accident (logs, tracebacks)
        return f"GitCredential(username={self.username!r}, password=***)"


def split_credentials(url: str) -> tuple[str, GitCredential | None]:
    """(url without userinfo, the credential it carried); local paths and plain URLs come back unchanged."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), GitCredential(unquote(user), unquote(password))


def credential_from_environment(environ: Mapping[str, str] | None = None) -> GitCredential | None:
    """CONNECTOROPS_GIT_USERNAME / CONNECTOROPS_GIT_PASSWORD: the way to keep the secret out of argv too."""
    env = os.environ if environ is None else environ
    password = env.get(PASSWORD_ENV, "")
    username = env.get(USERNAME_ENV, "")
    if not password and not username:
        return None
    # GitHub, GitLab and Azure DevOps accept a token as the password with any non-empty user name.
    return GitCredential(username or "x-access-token", password)


def write_askpass(directory: Path) -> Path:
    """The helper script (mode 0700) in `directory`; rewritten when its content differs."""
    path = directory / ASKPASS_FILE
    if not path.exists() or path.read_text() != ASKPASS_SCRIPT:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(ASKPASS_SCRIPT)
    path.chmod(stat.S_IRWXU)
    return path


def askpass_environment(askpass: Path, credential: GitCredential) -> dict[str, str]:
    """Variables for the git child process only: never exported to this process's environment."""
    return {
        "GIT_ASKPASS": str(askpass),
        ASKPASS_USERNAME_ENV: credential.username,
        ASKPASS_PASSWORD_ENV: credential.password,
        # Ignore credential helpers of the machine: `credential.helper=store` would write the password to disk.
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "credential.helper",
        "GIT_CONFIG_VALUE_0": "",
    }
