"""The Pulumi program (under set_mocks) asking the real emulator, over HTTPS, for live connections.

A connection and a Logic App created through the gateway must make the program protect that
connector; the mocks record the options Pulumi would get.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

from connectorops.emulator.server import EmulatorServer
from connectorops.pulumi_stack.program import run
from connectorops.pulumi_stack.settings import StackSettings
from connectorops.targets.arm.gateway import ArmGateway

# The Pulumi test helpers live beside the unit tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from pulumi_support import commit_all, deployed_tags, install_mocks, make_repo, run_program, unwrap_secret

pytestmark = pytest.mark.integration
SECRET = {"ORDERS_DEV_CLIENT_SECRET": "integration-secret"}
SWAGGER = {"swagger": "2.0", "info": {"title": "Orders", "version": "1.0"}, "paths": {}}


def settings(repo: Path, gateway: ArmGateway) -> StackSettings:
    return StackSettings(
        repo_root=repo,
        environment="dev",
        subscription_id=gateway.target.subscription_id,
        drop_ui_definition=frozenset({"d7sms"}),  # basic auth: its dialog labels cannot go through azure-native
    )


def repo_for(tmp_path: Path, gateway: ArmGateway) -> Path:
    return make_repo(
        tmp_path, subscription=gateway.target.subscription_id, resource_group=gateway.target.resource_group
    )


def connect(gateway: ArmGateway, connector: str, connection: str, workflow: str | None = None) -> None:
    api_properties = {"displayName": connector, "swagger": SWAGGER}
    # As an earlier `pulumi up` left it: ours (the engine's plan never touches a customApi it does not own).
    body = {"location": "westeurope", "properties": api_properties, "tags": deployed_tags(connector, None)}
    gateway.put_custom_api(connector, body)
    gateway.put_connection(
        connection,
        {
            "location": "westeurope",
            "properties": {"displayName": connection, "api": {"id": gateway.custom_api_id(connector)}},
        },
    )
    if workflow:
        value = {connector: {"connectionId": gateway.connection_id(connection), "connectionName": connection}}
        gateway.put_workflow(
            workflow,
            {
                "location": "westeurope",
                "properties": {
                    "definition": {"contentVersion": "1.0.0.0", "triggers": {}, "actions": {}},
                    "parameters": {"$connections": {"value": value}},
                },
            },
        )


def test_a_connection_made_through_the_gateway_protects_its_connector(tmp_path: Path, gateway: ArmGateway) -> None:
    repo = repo_for(tmp_path, gateway)
    connect(gateway, "orders", "orders-conn", workflow="order-sync")
    connect(gateway, "d7sms", "sms-conn")
    gateway.requests.counts.clear()
    mocks, monitor, declared = run_program(settings(repo, gateway), gateway, SECRET)
    assert monitor.options["orders"] == (True, False)  # protect: lifecycle.deletion protect + live connection
    assert monitor.options["d7sms"] == (False, False)  # allow-connection-loss
    assert declared.protections["orders"].impact.logic_app_count == 1
    # The program only reads (the engine's observation): one list each of customApis, connections, role
    # assignments and workflows; no writes.
    assert gateway.requests.writes() == 0
    assert gateway.requests.total("GET") == 4
    created = {name: inputs for _, name, inputs in mocks.created}
    assert unwrap_secret(created["orders"]["properties"])[0] is True


def test_without_connections_nothing_is_protected(tmp_path: Path, gateway: ArmGateway) -> None:
    repo = repo_for(tmp_path, gateway)
    _, monitor, declared = run_program(settings(repo, gateway), gateway, SECRET)
    assert monitor.options["orders"] == (False, False)
    assert all(p.impact.is_empty for p in declared.protections.values())


def test_the_infra_entry_point_reads_the_stack_config_and_an_arm_compatible_endpoint(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """program.run, as infra/__main__.py calls it: stack config -> connectorops.yaml -> open_gateway -> resources."""
    info = emulator.info
    assert info is not None
    repo = repo_for(tmp_path, gateway)
    config = (repo / "connectorops.yaml").read_text()
    endpoint = f"    armEndpoint: {info.base_url}\n    caBundle: {info.ca_path}\n    credential: token-env\n"
    (repo / "connectorops.yaml").write_text(config.replace("    mode: pulumi\n", "    mode: pulumi\n" + endpoint))
    connect(gateway, "orders", "orders-conn")
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    monkeypatch.setenv("ORDERS_DEV_CLIENT_SECRET", "from-the-ci-environment")
    mocks, monitor = install_mocks(info.subscription_id)
    pulumi.runtime.set_all_config(
        {
            "connectorops:environment": "dev",
            "azure-native:subscriptionId": info.subscription_id,
            "connectorops:dropUiDefinition": '["d7sms"]',
        }
    )
    try:

        @pulumi.runtime.test
        def program() -> Any:
            declared = run(repo)
            return pulumi.Output.all(*[r.id for r in declared.custom_apis.values()])

        program()
    finally:
        pulumi.runtime.set_all_config({})
    assert sorted(name for typ, name, _ in mocks.created if typ.endswith(":CustomApi")) == ["d7sms", "orders"]
    assert monitor.options["orders"] == (True, False)
    orders = next(inputs for _, name, inputs in mocks.created if name == "orders")
    is_secret, properties = unwrap_secret(orders["properties"])
    assert is_secret and properties["connectionParameters"]["token"]["oAuthSettings"]["clientSecret"] == (
        "from-the-ci-environment"
    )


def test_a_removed_connector_that_gained_a_connection_fails_the_program_against_the_emulator(
    tmp_path: Path, gateway: ArmGateway
) -> None:
    """orders was deployed (protect in git, no connection then); a connection and a Logic App appear; the
    folder is removed; even with its deletion tag edited to allow-connection-loss, the program refuses."""
    import shutil

    repo = repo_for(tmp_path, gateway)
    deployed = commit_all(repo, "deploy")
    api_properties = {"displayName": "Orders", "swagger": SWAGGER}
    tags = deployed_tags("orders", deployed, deletion="allow-connection-loss")  # edited in the portal
    gateway.put_custom_api("orders", {"location": "westeurope", "properties": api_properties, "tags": tags})
    connect(gateway, "orders", "orders-conn", workflow="order-sync")  # re-PUTs orders: tags again below
    gateway.patch_custom_api_tags("orders", tags)
    shutil.rmtree(repo / "connectors" / "orders")
    commit_all(repo, "remove orders")
    gateway.requests.counts.clear()
    mocks, monitor = install_mocks(gateway.target.subscription_id)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(settings(repo, gateway), gateway, SECRET, (mocks, monitor))
    assert "deleting 'orders' deletes its 1 connection(s), breaking 1 Logic App(s): order-sync" in str(caught.value)
    assert "lifecycle.deletion is protect (connectors/orders/connector.yaml at commit" in str(caught.value)
    assert mocks.created == []
    assert gateway.requests.writes() == 0 and gateway.requests.total("GET") == 4  # the program only read
    assert gateway.get_custom_api("orders") is not None

    # The stack config acknowledges: the program declares the rest and Pulumi may delete orders.
    acknowledged = StackSettings(
        repo_root=repo,
        environment="dev",
        subscription_id=gateway.target.subscription_id,
        allow_connection_loss=frozenset({"orders"}),
        drop_ui_definition=frozenset({"d7sms"}),
    )
    _, _, declared = run_program(acknowledged, gateway, SECRET)
    assert set(declared.custom_apis) == {"d7sms"}
