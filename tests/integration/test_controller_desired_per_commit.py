"""The controller resolves a commit's desired state once; idle intervals only observe and plan (issue 13).

Against the real emulator: an unchanged commit is not re-resolved and costs the 4 list requests,
yet the world is still read fresh (an out-of-band deletion is repaired); a new commit is resolved.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from gitops_support import LOCATION, RESOURCE_GROUP, config_text, connector_files

from connectorops.emulator.server import EmulatorServer
from connectorops.errors import ValidationFailed
from connectorops.gitops.reconcile import EngineReconciler
from connectorops.gitops.revisions import tree_at

pytestmark = pytest.mark.integration


def _commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_tree_dir or ".")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
        repo.index.add([rel])
    return repo.index.commit(message).hexsha


def test_an_unchanged_commit_is_resolved_once(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = emulator.info
    assert info is not None
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    emulator.ensure_resource_group(info.subscription_id, RESOURCE_GROUP, LOCATION)  # as `az group create` would
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as writer:
        writer.set_value("user", "name", "test")
        writer.set_value("user", "email", "test@example.com")
    files = {"connectorops.yaml": config_text(info), **connector_files("orders"), **connector_files("billing")}
    first = _commit(repo, files, "two connectors")
    root = Path(repo.working_tree_dir or ".")
    reconciler = EngineReconciler(tmp_path / "local", "dev", "test", lease_ttl=60)
    try:
        created = reconciler.reconcile(tree_at(root, first), apply=True, should_stop=lambda: False)
        assert (created.result, created.applied, reconciler.resolutions) == ("success", 2, 1)
        target = reconciler._target
        assert target is not None
        gateway = target.gateway
        reconciler.reconcile(tree_at(root, first), apply=False, should_stop=lambda: False)  # reads new swaggers
        gateway.requests.counts.clear()

        idle = reconciler.reconcile(tree_at(root, first), apply=False, should_stop=lambda: False)
        assert (idle.result, idle.changes, reconciler.resolutions) == ("success", 0, 1)
        assert sum(gateway.requests.counts.values()) == 4  # the 4 lists; swaggers come from the etag cache

        gateway.delete_custom_api("billing")  # out of band: the cached desired state still repairs it
        repaired = reconciler.reconcile(tree_at(root, first), apply=True, should_stop=lambda: False)
        assert (repaired.applied, reconciler.resolutions) == (1, 1)
        assert gateway.get_custom_api("billing") is not None

        second = _commit(repo, connector_files("orders", title="Orders v2"), "retitle")
        changed = reconciler.reconcile(tree_at(root, second), apply=True, should_stop=lambda: False)
        assert (changed.applied, reconciler.resolutions) == (1, 2)
        assert [a for a in changed.actions if "orders" in a] == list(changed.actions)  # the retitled one only
    finally:
        reconciler.close()


def test_a_blocked_plan_is_refused_by_the_controller_naming_why(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = emulator.info
    assert info is not None
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    emulator.ensure_resource_group(info.subscription_id, RESOURCE_GROUP, LOCATION)
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as writer:
        writer.set_value("user", "name", "test")
        writer.set_value("user", "email", "test@example.com")
    first = _commit(repo, {"connectorops.yaml": config_text(info), **connector_files("orders")}, "one connector")
    root = Path(repo.working_tree_dir or ".")
    reconciler = EngineReconciler(tmp_path / "local", "dev", "test", lease_ttl=60)
    try:
        assert reconciler.reconcile(tree_at(root, first), apply=True, should_stop=lambda: False).applied == 1
        assert reconciler._target is not None
        gateway = reconciler._target.gateway
        gateway.put_connection("orders-conn", {"location": LOCATION, "properties": {
            "displayName": "orders-conn", "api": {"id": gateway.custom_api_id("orders")}}})  # fmt: skip
        repo.index.remove(["connectors/orders"], r=True, working_tree=True)
        second = repo.index.commit("remove orders").hexsha
        with pytest.raises(ValidationFailed) as caught:
            reconciler.reconcile(tree_at(root, second), apply=True, should_stop=lambda: False)
        assert [p.message for p in caught.value.problems] == [
            "customApi:orders: deleting 'orders' deletes its 1 connection(s)"
        ]
        assert gateway.get_custom_api("orders") is not None  # nothing applied
    finally:
        reconciler.close()
