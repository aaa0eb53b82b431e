"""Positive controls: acknowledged deletions happen, so the suite cannot pass by blocking everything.

Acknowledgement is the committed `lifecycle.deletion: allow-connection-loss` (any connection, even
one made at the last moment) or `--allow-connection-loss NAME` covering exactly what is live;
a connector without connections is deleted normally; `orphan` keeps it and its connections.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ConnectionTrap, World, deployed_world, managed

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.safety, pytest.mark.integration]


@pytest.fixture
def world(tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch) -> World:
    return deployed_world(tmp_path, emulator, gateway, monkeypatch, "orders", "billing")


def redeploy(world: World, deletion: str) -> None:
    world.write("orders", deletion=deletion)
    world.commit(f"orders: lifecycle.deletion {deletion}")
    world.apply()


def test_committed_allow_connection_loss_deletes_even_a_connection_made_at_the_last_moment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    redeploy(world, "allow-connection-loss")
    world.connect("orders", "orders-conn")
    world.remove("orders")
    late = ConnectionTrap(world.emulator, world.gateway, "orders", "orders-late").install(monkeypatch)
    code, out, err = world.cli("apply", "--yes")
    assert late.fired and code == 0, out + err
    world.assert_deleted("orders", "orders-conn", "orders-late")
    assert world.gateway.get_custom_api("billing") is not None


def test_flag_covering_exactly_the_live_connections_deletes(world: World) -> None:
    world.connect("orders", "orders-conn")
    world.remove("orders")
    code, out, err = world.cli("apply", "--yes", "--allow-connection-loss", "orders")
    assert code == 0, out + err
    world.assert_deleted("orders", "orders-conn")


def test_saved_plan_with_the_flag_deletes_when_nothing_new_is_connected(world: World) -> None:
    world.connect("orders", "orders-conn")
    world.remove("orders")
    plan = world.root.parent / "plan.json"
    assert world.cli("plan", "--out", str(plan), "--allow-connection-loss", "orders")[0] == 2
    code, out, err = world.cli("apply", "--plan", str(plan), "--yes")
    assert code == 0, out + err
    world.assert_deleted("orders", "orders-conn")


@pytest.mark.parametrize("command", [("apply", "--yes"), ("drift", "--fix")], ids=["apply", "drift-fix"])
def test_a_connector_without_connections_is_deleted_normally(world: World, command: tuple[str, ...]) -> None:
    world.remove("orders")
    code, out, err = world.cli(*command)
    assert code == 0, out + err
    world.assert_deleted("orders")
    assert world.gateway.get_custom_api("billing") is not None


def test_orphan_leaves_the_connector_and_its_connections(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    redeploy(world, "orphan")
    world.connect("orders", "orders-conn")
    world.remove("orders")
    late = ConnectionTrap(world.emulator, world.gateway, "orders", "orders-late").install(monkeypatch)
    code, out, err = world.cli("apply", "--yes")
    assert late.fired and code == 0, out + err
    api = world.gateway.get_custom_api("orders")
    assert api is not None and not managed(api)  # kept, no longer ours
    assert world.gateway.get_connection("orders-conn") is not None
    assert world.gateway.get_connection("orders-late") is not None
