"""`plan --at REV`, `plan --base/--head` and `drift --at REV` read git's object store, never the working tree."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import git
import pytest
from gitops_support import CONNECTOROPS, RESOURCE_GROUP, config_text, connector_files

from connectorops.emulator.server import EmulatorServer
from connectorops.gitops.lease import Lease
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.integration]


def commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_tree_dir or ".")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
        repo.index.add([rel])
    return repo.index.commit(message).hexsha


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the working tree except git's and the caches' (verdicts, resolved connectors, valid documents,
    remembered desired states)."""
    caches = {root / ".connectorops" / "cache" / name for name in ("verdicts", "connectors", "documents", "desired")}
    files = [
        p for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts and not caches & set(p.parents)
    ]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_plan_and_drift_at_old_revisions_leave_the_working_tree_alone(
    tmp_path: Path,
    emulator: EmulatorServer,
    make_gateway,  # type: ignore[no-untyped-def]
) -> None:
    info = emulator.info
    assert info is not None
    target: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)  # (creates the group)
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    first = commit(repo, {"connectorops.yaml": config_text(info), **connector_files("orders")}, "orders")
    second = commit(repo, connector_files("billing", title="Billing"), "billing")
    (root / "connectors/orders/openapi.json").write_text("{ not json, an edit in progress")
    (root / "connectors/draft").mkdir()
    (root / "connectors/draft/connector.yaml").write_text("half: written")
    before, status_before = snapshot(root), repo.git.status("--porcelain")
    env = {**os.environ, "CONNECTOROPS_ARM_TOKEN": info.token}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CONNECTOROPS, "--repo", str(root), "-e", "dev", *args],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    broken = cli("plan", "--json")  # the working tree itself is broken right now
    assert broken.returncode == 1

    at_first = cli("plan", "--json", "--at", first)
    assert at_first.returncode == 2, at_first.stderr
    plan = json.loads(at_first.stdout)
    assert plan["commit"] == first
    assert [(a["kind"], a["name"]) for a in plan["actions"]] == [("create", "orders")]

    pr = cli("plan", "--json", "--base", first, "--head", second)
    assert pr.returncode == 2, pr.stderr
    actions = json.loads(pr.stdout)["actions"]
    assert [(a["name"], a["touched"]) for a in actions] == [("billing", True), ("orders", False)]

    assert Lease(target, "dev", "someone", ttl=60).acquire()  # a controller's marker is in the target
    drift = cli("drift", "--json", "--at", "HEAD~1")
    assert drift.returncode == 2, drift.stderr
    report = json.loads(drift.stdout)
    assert report["commit"] == first
    assert [(i["kind"], i["connector"]) for i in report["items"]] == [("deleted", "orders")]

    unknown = cli("plan", "--at", "no-such-rev")
    assert unknown.returncode == 1 and "unknown git revision 'no-such-rev'" in unknown.stderr

    assert snapshot(root) == before
    assert repo.git.status("--porcelain") == status_before
    assert repo.head.commit.hexsha == second
