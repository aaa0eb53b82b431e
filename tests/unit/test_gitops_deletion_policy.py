"""GitDeletionPolicies: lifecycle.deletion read from the committed connector.yaml; anything unknown protects."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from connectorops.commands.lock import abandoned, holder_name, parse_lock_timeout
from connectorops.errors import ConnectoropsError
from connectorops.gitops.deletion_policy import GitDeletionPolicies

YAML = """apiVersion: connectorops/v1
kind: Connector
metadata: {{name: {name}}}
spec:
  definition: {{openapi: openapi.json}}
  lifecycle: {{deletion: {deletion}}}
  environments: {{prod: {{lifecycle: {{deletion: protect}}}}}}
"""
PATH = "connectors/orders/connector.yaml"


def _commit(root: Path, name: str = "orders", deletion: str = "allow-connection-loss") -> str:
    repo = git.Repo.init(root) if not (root / ".git").exists() else git.Repo(root)
    (root / "connectors" / "orders").mkdir(parents=True, exist_ok=True)
    (root / PATH).write_text(YAML.format(name=name, deletion=deletion))
    repo.git.add("-A")
    repo.git.commit("-m", "c", "--allow-empty", author="t <t@example.com>")
    with repo.config_writer() as config:
        config.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    return repo.head.commit.hexsha


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(var, "t")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(var, "t@example.com")


def test_policy_is_the_committed_one_per_environment(tmp_path: Path) -> None:
    sha = _commit(tmp_path)
    _commit(tmp_path, deletion="protect")  # a later commit does not change what `sha` said
    policies = GitDeletionPolicies.at(tmp_path)
    found = policies(name="orders", source_path=PATH, commit=sha, environment="dev")
    assert (found.value, found.origin) == ("allow-connection-loss", f"{PATH} at commit {sha[:12]}")
    assert policies(name="orders", source_path=PATH, commit=sha, environment="prod").value == "protect"


def test_anything_unknown_protects(tmp_path: Path) -> None:
    sha = _commit(tmp_path, name="billing")
    policies = GitDeletionPolicies.at(tmp_path)
    cases = {
        "no tag": dict(source_path=PATH, commit=None),
        "unknown commit": dict(source_path=PATH, commit="0" * 40),
        "missing file": dict(source_path="connectors/x/connector.yaml", commit=sha),
        "another connector's file": dict(source_path=PATH, commit=sha),
    }
    for case, where in cases.items():
        found = policies(name="orders", environment="dev", **where)  # type: ignore[arg-type]
        assert found.value == "protect" and found.origin.startswith("unknown ("), case
    elsewhere = tmp_path.parent / f"{tmp_path.name}-not-git"
    elsewhere.mkdir()
    outside = GitDeletionPolicies.at(elsewhere)(name="orders", source_path=PATH, commit=sha, environment="dev")
    assert outside.value == "protect" and "not a git repository" in outside.origin


def test_lock_timeout_and_holders() -> None:
    assert [parse_lock_timeout(t) for t in ("0", "0s", "30s", "5m", "1h")] == [0, 0, 30, 300, 3600]
    for bad in ("soon", "-1s", "48h", ""):
        with pytest.raises(ConnectoropsError, match="--lock-timeout"):
            parse_lock_timeout(bad)
    mine = holder_name("apply")
    assert not abandoned(mine)  # this process is alive
    dead = mine.replace(mine.split("(pid ")[1].split(",")[0], "999999999")
    assert abandoned(dead) and not abandoned("ci-job-41")
