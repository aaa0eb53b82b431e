"""`pulumi up` after a connector was removed from git: live connections without git's acknowledgement
stop the program before anything is declared (the protect= of an earlier run does not cover new ones).
The engine's plan decides (its connection-loss guard); the messages are the engine's.

The acknowledgement is read with gitpython from connector.yaml at the commit in the resource's
connectorops-commit tag; the connectorops-deletion tag (editable in the portal) authorizes nothing.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pulumi
import pytest
from in_memory_target import InMemoryTarget
from pulumi_support import (
    SUBSCRIPTION,
    commit_all,
    deployed_tags,
    install_mocks,
    make_repo,
    pulumi_target,
    run_program,
)

from connectorops.pulumi_stack.settings import StackSettings

ENVIRON = {"ORDERS_DEV_CLIENT_SECRET": "s3cr3t-value-for-tests"}


def settings_for(repo: Path, **overrides: object) -> StackSettings:
    values: dict[str, object] = {
        "repo_root": repo,
        "environment": "dev",
        "subscription_id": SUBSCRIPTION,
        # the example connectors' dialogs cannot go through azure-native (tested in test_pulumi_program.py)
        "drop_ui_definition": frozenset({"d7sms", "balance-control"}),
    }
    values.update(overrides)
    return StackSettings(**values)  # type: ignore[arg-type]


def set_policy(repo: Path, name: str, policy: str) -> None:
    path = repo / "connectors" / name / "connector.yaml"
    text = path.read_text()
    for old in ("protect", "allow-connection-loss", "orphan"):
        text = text.replace(f"lifecycle: {{deletion: {old}}}", f"lifecycle: {{deletion: {policy}}}")
    path.write_text(text)


def deployed_then_removed(
    tmp_path: Path, *, policy: str = "protect", tag: str = "protect"
) -> tuple[Path, InMemoryTarget]:
    """orders deployed from a commit where git said `policy` (its deletion tag now says `tag`), a
    connection and a Logic App made since, then the folder removed and committed."""
    repo = make_repo(tmp_path)
    set_policy(repo, "orders", policy)
    deployed = commit_all(repo, "orders")
    gateway = pulumi_target()
    gateway.add_custom_api("orders", deployed_tags("orders", deployed, deletion=tag))
    gateway.add_connection("orders-conn", "orders")
    gateway.add_workflow("order-sync", gateway.connection_id("orders-conn"))
    shutil.rmtree(repo / "connectors" / "orders")
    commit_all(repo, "remove orders")
    return repo, gateway


def refused(repo: Path, gateway: InMemoryTarget, **overrides: object) -> str:
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_program(settings_for(repo, **overrides), gateway, ENVIRON, (mocks, monitor))
    assert mocks.created == []  # nothing declared: Pulumi deletes nothing
    return str(caught.value)


def test_a_removed_connector_with_a_new_connection_fails_the_program(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path)
    message = refused(repo, gateway)
    assert "deleting 'orders' deletes its 1 connection(s), breaking 1 Logic App(s): order-sync" in message
    assert "lifecycle.deletion is protect (connectors/orders/connector.yaml at commit" in message
    assert "connectorops:allowConnectionLoss[0]' orders" in message


@pytest.mark.parametrize("tag", ["allow-connection-loss", "orphan"])
def test_a_deletion_tag_edited_in_the_portal_authorizes_nothing(tmp_path: Path, tag: str) -> None:
    repo, gateway = deployed_then_removed(tmp_path, tag=tag)
    assert "lifecycle.deletion is protect (connectors/orders/connector.yaml at commit" in refused(repo, gateway)


def test_git_policy_allow_connection_loss_at_the_deployed_commit_acknowledges(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo, gateway = deployed_then_removed(tmp_path, policy="allow-connection-loss", tag="protect")
    with caplog.at_level(logging.WARNING):
        mocks, _, declared = run_program(settings_for(repo), gateway, ENVIRON)
    assert set(declared.custom_apis) == {"d7sms"}
    assert "git no longer declares orders: this update deletes them" in caplog.text


def test_git_policy_orphan_at_the_deployed_commit_lets_pulumi_retain_it(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path, policy="orphan", tag="orphan")
    _, _, declared = run_program(settings_for(repo), gateway, ENVIRON)
    assert set(declared.custom_apis) == {"d7sms"}


def test_stack_config_allow_connection_loss_acknowledges(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path)
    _, _, declared = run_program(settings_for(repo, allow_connection_loss=frozenset({"Orders"})), gateway, ENVIRON)
    assert set(declared.custom_apis) == {"d7sms"}


def test_a_commit_missing_from_the_clone_protects(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path, policy="allow-connection-loss")
    gateway.custom_apis["orders"]["tags"]["connectorops-commit"] = "f" * 40  # e.g. a shallow CI clone
    message = refused(repo, gateway)
    assert "is not in this repository" in message and "fetch-depth: 0" in message


def test_no_commit_tag_protects(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path, policy="allow-connection-loss")
    del gateway.custom_apis["orders"]["tags"]["connectorops-commit"]
    assert "no connectorops-commit/-source tag to find it in git" in refused(repo, gateway)


def test_a_source_tag_pointing_at_another_connector_authorizes_nothing(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path)
    # d7sms says allow-connection-loss in git; its file must not speak for orders
    gateway.custom_apis["orders"]["tags"]["connectorops-source"] = "connectors/d7sms/connector.yaml"
    assert "deleting 'orders' deletes its 1 connection(s)" in refused(repo, gateway)


def test_a_removed_connector_without_connections_is_deleted_as_before(tmp_path: Path) -> None:
    repo, gateway = deployed_then_removed(tmp_path)
    gateway.connections.clear()
    gateway.workflows.clear()
    _, _, declared = run_program(settings_for(repo), gateway, ENVIRON)
    assert set(declared.custom_apis) == {"d7sms"}


def test_every_unacknowledged_loss_is_named_in_one_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    deployed = commit_all(repo)
    gateway = pulumi_target()
    for name in ("orders", "d7sms"):  # d7sms says allow-connection-loss in git: acknowledged
        gateway.add_custom_api(name, deployed_tags(name, deployed))
        gateway.add_connection(f"{name}-conn", name)
    gateway.add_custom_api("legacy", deployed_tags("legacy", deployed))  # never in git at that commit
    gateway.add_connection("legacy-conn", "legacy")
    for name in ("orders", "d7sms"):
        shutil.rmtree(repo / "connectors" / name)
    (repo / "connectors" / "keep").mkdir()
    shutil.copytree(Path(__file__).resolve().parents[2] / "connectors" / "orders", repo / "connectors" / "keep",
                    dirs_exist_ok=True)  # fmt: skip
    path = repo / "connectors" / "keep" / "connector.yaml"
    path.write_text(path.read_text().replace("name: orders", "name: keep"))
    commit_all(repo)
    message = refused(repo, gateway)
    assert "deleting 'orders' deletes" in message and "deleting 'legacy' deletes" in message
    assert "'d7sms'" not in message
