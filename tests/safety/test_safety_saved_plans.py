"""Saved plans as a door to a deletion: stale plans, forged plans, bounded acknowledgements (issue 10).

A saved plan is re-verified against a fresh observation at apply; whatever the file says, nothing
unmanaged is touched, no guard is skipped, and `--allow-connection-loss NAME` covers only the
connections the plan showed. Forged files carry the fingerprint connectorops itself computes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import ConnectionTrap, World, actions_of, deployed_world, forge_plan, managed

from connectorops import tags
from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.safety, pytest.mark.integration]


@pytest.fixture
def world(tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch) -> World:
    return deployed_world(tmp_path, emulator, gateway, monkeypatch, "orders", "billing")


def save_plan(world: World, *args: str, expect: int = 2) -> Path:
    path = world.root.parent / "plan.json"
    code, out, err = world.cli("plan", "--out", str(path), *args)
    assert code == expect, out + err
    assert path.exists()
    return path


def apply_saved(world: World, path: Path) -> tuple[int, str, str]:
    return world.cli("apply", "--plan", str(path), "--yes")


# --- 7. a stale saved plan ------------------------------------------------------------------------------


def test_stale_plan_does_not_delete_a_connector_connected_after_the_plan(world: World) -> None:
    world.remove("orders")
    plan = save_plan(world)  # 0 connections: the delete is allowed
    world.connect("orders", "orders-conn")
    before = world.snapshot("orders")
    result = apply_saved(world, plan)
    world.assert_blocked(result, before, "orders")


def test_saved_plan_connection_made_between_reobservation_and_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.remove("orders")
    plan = save_plan(world)
    before = world.snapshot("orders")
    late = ConnectionTrap(world.emulator, world.gateway, "orders", "orders-late").install(monkeypatch)
    result = apply_saved(world, plan)
    assert late.fired
    world.assert_blocked(result, before.plus("orders-late"), "orders")


# --- 8. forged plan files ---------------------------------------------------------------------------------


def test_forged_delete_of_an_unmanaged_custom_api_touches_nothing(world: World) -> None:
    gateway = world.gateway
    gateway.put_custom_api(
        "legacy", {"location": gateway.target.location, "properties": {"displayName": "Legacy (made in the portal)"}}
    )
    world.connect("legacy", "legacy-conn")
    plan = save_plan(world, expect=0)
    live = gateway.get_custom_api("legacy")
    assert live is not None and not managed(live)

    def add_delete(data: dict[str, Any]) -> None:
        template = actions_of(data, "orders", "noop")[0]
        data["actions"].append({
            **template, "kind": "delete", "name": "legacy", "connector": "legacy", "resourceId": live["id"],
            "observedEtag": live.get("etag"), "observedDeletionPolicy": "allow-connection-loss", "body": None,
            "impact": None, "sourcePath": None,
        })  # fmt: skip
        data["options"]["allowConnectionLoss"] = ["legacy"]

    forge_plan(plan, add_delete)
    before = world.snapshot("legacy")
    result = apply_saved(world, plan)
    world.assert_blocked(result, before, "legacy")


def test_forged_allow_verdict_on_a_blocked_delete_is_not_carried_out(world: World) -> None:
    world.connect("orders", "orders-conn")
    world.remove("orders")
    plan = save_plan(world, expect=1)  # blocked: 1 connection, no acknowledgement

    def flip(data: dict[str, Any]) -> None:
        for action in actions_of(data, "orders"):
            action["warnings"], action["reasons"], action["verdict"] = action["reasons"], [], "allow"

    forge_plan(plan, flip)
    before = world.snapshot("orders")
    result = apply_saved(world, plan)
    world.assert_blocked(result, before, "orders")


def test_forged_allow_connection_loss_covers_no_connection_the_plan_did_not_show(world: World) -> None:
    world.remove("orders")
    plan = save_plan(world)  # 0 connections shown
    forge_plan(plan, lambda data: data["options"].update(allowConnectionLoss=["orders"]))
    world.connect("orders", "orders-conn")
    before = world.snapshot("orders")
    result = apply_saved(world, plan)
    world.assert_blocked(result, before, "orders")


def test_forged_body_cannot_turn_a_later_removal_into_an_acknowledged_one(world: World) -> None:
    write = world.root / "connectors" / "orders" / "connector.yaml"
    write.write_text(write.read_text().replace("  lifecycle:", "  displayName: Orders v2\n  lifecycle:"))
    world.commit("rename the display name")
    plan = save_plan(world)

    def acknowledge_in_the_body(data: dict[str, Any]) -> None:
        (update,) = actions_of(data, "orders", "update")
        update["body"]["tags"][tags.DELETION_POLICY] = "allow-connection-loss"

    forge_plan(plan, acknowledge_in_the_body)
    apply_saved(world, plan)  # whether the forged body is refused or applied, it acknowledges nothing
    world.connect("orders", "orders-conn")
    world.remove("orders")
    before = world.snapshot("orders")
    world.assert_blocked(world.cli("apply", "--yes"), before, "orders")


def _add_prod(config: dict[str, Any]) -> None:
    config["environments"]["prod"] = {**config["environments"]["dev"], "resourceGroup": "rg-prod"}


def test_forged_environment_does_not_delete_another_environments_connector(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch, make_gateway: Any
) -> None:
    world = deployed_world(tmp_path, emulator, gateway, monkeypatch, "orders", "billing", config=_add_prod)
    prod: ArmGateway = make_gateway(emulator, resource_group="rg-prod")
    code, out, err = world.cli("-e", "prod", "apply", "--yes")
    assert code == 0, out + err
    world.connect("orders", "orders-prod-conn", gateway=prod)
    world.remove("orders")
    plan = save_plan(world)  # dev: delete orders (no connection in dev)

    def to_prod(data: dict[str, Any]) -> None:
        """Point every customApi action at prod, with prod's etags so the plan does not look stale there."""
        data["environment"] = "prod"
        data["target"]["resourceGroup"] = "rg-prod"
        data["actions"] = [a for a in data["actions"] if a["resourceType"] == "customApi"]
        for action in data["actions"]:
            live = prod.get_custom_api(action["name"])
            assert live is not None
            action["resourceId"], action["observedEtag"] = live["id"], live.get("etag")

    forge_plan(plan, to_prod)
    before = world.snapshot("orders", prod)
    result = apply_saved(world, plan)
    world.assert_blocked(result, before, "orders", prod)


# --- 11. an acknowledgement covers the connections the plan showed -------------------------------------------


def test_saved_acknowledgement_of_one_connection_does_not_cover_a_second(world: World) -> None:
    world.connect("orders", "orders-conn")
    world.remove("orders")
    plan = save_plan(world, "--allow-connection-loss", "orders")  # shows 1 connection, acknowledged
    world.connect("orders", "orders-conn-2")
    before = world.snapshot("orders")
    result = apply_saved(world, plan)
    world.assert_blocked(result, before, "orders")


def test_flag_acknowledgement_does_not_cover_a_connection_made_between_plan_and_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.connect("orders", "orders-conn")
    world.remove("orders")
    before = world.snapshot("orders")
    late = ConnectionTrap(world.emulator, world.gateway, "orders", "orders-late").install(monkeypatch)
    result = world.cli("apply", "--yes", "--allow-connection-loss", "orders")
    assert late.fired
    world.assert_blocked(result, before.plus("orders-late"), "orders")
