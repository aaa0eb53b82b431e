"""The Pulumi program as a door to a deletion (issue 10, door 13), under `pulumi.runtime.set_mocks`.

The last `pulumi up` is played by `connectorops apply` (same render, same tags) against the emulator;
then a user connects to `orders` and git removes it. Pulumi deletes whatever the program stops
declaring, so the program must fail before declaring anything, or keep declaring `orders` protected.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pulumi
import pytest
from pulumi_support import SALES_GROUP, install_mocks, make_repo, run_program
from test_cli_plan_apply_drift import cli

from connectorops.emulator.server import EmulatorServer
from connectorops.pulumi_stack.settings import StackSettings
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.safety, pytest.mark.integration]
SECRET = {"ORDERS_DEV_CLIENT_SECRET": "safety-secret"}


def deployed_stack(tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, mp: pytest.MonkeyPatch) -> Path:
    """The example stack (orders: protect, d7sms: allow-connection-loss) in git and deployed to `dev`."""
    info = emulator.info
    assert info is not None
    repo = make_repo(tmp_path, subscription=info.subscription_id, resource_group=gateway.target.resource_group)
    config = (repo / "connectorops.yaml").read_text()
    endpoint = f"    armEndpoint: {info.base_url}\n    caBundle: {info.ca_path}\n    credential: token-env\n"
    (repo / "connectorops.yaml").write_text(config.replace("    mode: pulumi\n", "    mode: pulumi\n" + endpoint))
    (repo / ".gitignore").write_text(".connectorops/\n")
    # The stack config `settings()` stands for: without its drop list, plan/apply refuse d7sms's dialog fields.
    (repo / "Pulumi.dev.yaml").write_text(
        "config:\n  connectorops:environment: dev\n  connectorops:dropUiDefinition: [d7sms, balance-control]\n"
    )
    mp.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    for name, value in SECRET.items():
        mp.setenv(name, value)
    emulator.add_principal(SALES_GROUP, "Group", "Sales")
    commit(git.Repo.init(repo), "the stack")
    code, out, err = cli(repo, "-e", "dev", "apply", "--yes")
    assert code == 0, out + err
    assert gateway.get_custom_api("orders") is not None
    return repo


def commit(repo: git.Repo, message: str) -> None:
    with repo.config_writer() as writer:
        writer.set_value("user", "name", "safety")
        writer.set_value("user", "email", "safety@example.com")
    repo.git.add(A=True)
    repo.index.commit(message)


def remove_orders(repo: Path) -> None:
    shutil.rmtree(repo / "connectors" / "orders")
    commit(git.Repo(repo), "remove orders")


def settings(repo: Path, gateway: ArmGateway) -> StackSettings:
    return StackSettings(
        repo_root=repo,
        environment="dev",
        subscription_id=gateway.target.subscription_id,
        drop_ui_definition=frozenset({"d7sms", "balance-control"}),  # azure-native cannot carry their dialogs
    )


def test_removed_connector_connected_since_the_last_up_stops_the_program_or_stays_protected(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = deployed_stack(tmp_path, emulator, gateway, monkeypatch)
    gateway.put_connection(
        "orders-conn",
        {"location": "westeurope", "properties": {"displayName": "c", "api": {"id": gateway.custom_api_id("orders")}}},
    )
    remove_orders(repo)
    mocks, monitor = install_mocks(gateway.target.subscription_id)
    try:
        run_program(settings(repo, gateway), gateway, SECRET, (mocks, monitor))
    except pulumi.RunError as error:
        assert "orders" in str(error)
        assert mocks.created == [], "resources were declared before the program stopped"
        return
    declared = {name for _, name, _ in mocks.created}
    assert "orders" in declared, "`orders` is no longer declared: this `pulumi up` deletes it and its connection"
    assert monitor.options["orders"][0] is True, "`orders` is declared but not protected"


def test_removed_connector_without_connections_is_left_to_pulumi_to_delete(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = deployed_stack(tmp_path, emulator, gateway, monkeypatch)
    remove_orders(repo)
    mocks, _, declared = run_program(settings(repo, gateway), gateway, SECRET)
    assert sorted(declared.custom_apis) == ["d7sms"]
    assert "orders" not in {name for _, name, _ in mocks.created}
