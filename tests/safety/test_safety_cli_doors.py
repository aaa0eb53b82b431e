"""Every CLI door to a deletion, each with a connection created at the worst moment (issue 10).

The contract: no connector with live connections is deleted without an explicit acknowledgement,
checked against what is live when the DELETE is sent. A blocked delete exits 1 and leaves the
connector, its connections and its role assignments exactly as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import ConnectionTrap, World, deployed_world

from connectorops import tags
from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.safety, pytest.mark.integration]

LATE = "orders-late"


@pytest.fixture
def world(tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch) -> World:
    return deployed_world(tmp_path, emulator, gateway, monkeypatch, "orders", "billing")


def late_connection(world: World, monkeypatch: pytest.MonkeyPatch) -> ConnectionTrap:
    """`orders-late` appears right after the command's first look at the connections."""
    return ConnectionTrap(world.emulator, world.gateway, "orders", LATE).install(monkeypatch)


def run_with(world: World, late: ConnectionTrap, *args: str) -> tuple[int, str, str]:
    result = world.cli(*args)
    assert late.fired, "the command never listed connections, so the trap never fired"
    return result


# --- 1. a removed connector folder ----------------------------------------------------------------


def test_removed_folder_keeps_a_connector_connected_between_plan_and_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.remove("orders")
    before = world.snapshot("orders")
    result = run_with(world, late_connection(world, monkeypatch), "apply", "--yes")
    world.assert_blocked(result, before.plus(LATE), "orders")  # the sales-team grant included


def test_removed_connector_yaml_with_the_folder_left_is_no_silent_deletion(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    (world.root / "connectors" / "orders" / "connector.yaml").unlink()  # openapi.json stays: a warning only
    world.commit("connector.yaml deleted by mistake")
    before = world.snapshot("orders")
    result = run_with(world, late_connection(world, monkeypatch), "apply", "--yes")
    world.assert_blocked(result, before.plus(LATE), "orders")


# --- 2. a renamed metadata.name -----------------------------------------------------------------


def test_renamed_metadata_name_keeps_the_old_connector_connected_between_plan_and_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = world.root / "connectors" / "orders" / "connector.yaml"
    path.write_text(path.read_text().replace("metadata: {name: orders}", "metadata: {name: orders-v2}"))
    world.commit("rename orders to orders-v2")
    before = world.snapshot("orders")
    result = run_with(world, late_connection(world, monkeypatch), "apply", "--yes")
    world.assert_blocked(result, before.plus(LATE), "orders")


# --- 3. another environment's view: changed default environment, changed resource group -----------------


def _add_prod(config: dict[str, Any]) -> None:
    config["environments"]["prod"] = dict(config["environments"]["dev"])


def test_changed_default_environment_does_not_take_over_or_delete_dev_connectors(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = deployed_world(tmp_path, emulator, gateway, monkeypatch, "orders", "billing", config=_add_prod)
    world.edit_config(lambda c: c.update(default="prod"))
    world.remove("billing")  # prod's view: billing is not declared, orders is (but it is dev's)
    before = {name: world.snapshot(name) for name in ("orders", "billing")}
    late = late_connection(world, monkeypatch)
    result = run_with(world, late, "apply", "--yes")
    world.assert_blocked(result, before["orders"].plus(LATE), "orders")
    world.assert_untouched(before["billing"], "billing")


def test_saved_plan_applied_after_the_resource_group_changed_touches_neither_group(
    world: World, monkeypatch: pytest.MonkeyPatch, make_gateway: Any
) -> None:
    moved: ArmGateway = make_gateway(world.emulator, resource_group="rg-moved")
    world.edit_config(lambda c: c["environments"]["dev"].update(resourceGroup="rg-moved"))
    world.commit("dev moves to rg-moved")
    world.apply()  # dev's connectors now also live in rg-moved
    world.connect("orders", "orders-moved", gateway=moved)
    world.edit_config(lambda c: c["environments"]["dev"].update(resourceGroup="rg-test"))
    world.remove("orders")
    plan_file = world.root.parent / "plan.json"
    assert world.cli("plan", "--out", str(plan_file))[0] == 2  # rg-test: delete orders, no connection there
    world.edit_config(lambda c: c["environments"]["dev"].update(resourceGroup="rg-moved"))
    world.commit("dev moves to rg-moved again")
    before_moved = world.snapshot("orders", moved)
    before_here = world.snapshot("orders")
    result = world.cli("apply", "--plan", str(plan_file), "--yes")
    world.assert_blocked(result, before_moved, "orders", moved)
    world.assert_untouched(before_here, "orders")


# --- 4. emptied connectors/ and more deletions than --max-deletions ------------------------------------


def test_emptied_connectors_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.remove("orders", "billing")
    before = {name: world.snapshot(name) for name in ("orders", "billing")}
    result = world.cli("apply", "--yes")
    world.assert_blocked(result, before["orders"], "orders")
    world.assert_untouched(before["billing"], "billing")


def test_allow_empty_does_not_acknowledge_a_connection_made_between_plan_and_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.remove("orders", "billing")
    before = world.snapshot("orders")
    result = run_with(world, late_connection(world, monkeypatch), "apply", "--yes", "--allow-empty")
    world.assert_blocked(result, before.plus(LATE), "orders")


def test_more_deletions_than_max_deletions_are_refused(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = deployed_world(tmp_path, emulator, gateway, monkeypatch, "orders", "billing", "stock")
    world.remove("orders", "billing")
    before = {name: world.snapshot(name) for name in ("orders", "billing")}
    late = late_connection(world, monkeypatch)
    result = run_with(world, late, "apply", "--yes", "--max-deletions", "1")
    world.assert_blocked(result, before["orders"].plus(LATE), "orders")
    world.assert_untouched(before["billing"], "billing")


# --- 5. a corrupt connector.yaml or a broken definition is never a deletion ------------------------------

BREAKAGES = {
    "corrupt-yaml": ("connector.yaml", "apiVersion: connectorops/v1\nkind: Connector\nmetadata: {name: orders\n"),
    "misnamed-yaml": ("connector.yml", None),
    "broken-openapi": ("openapi.json", '{"swagger": "2.0", "info": '),
}
COMMANDS = {
    "apply": ("apply", "--yes"),
    "apply-allow-empty": ("apply", "--yes", "--allow-empty"),
    "drift-fix": ("drift", "--fix"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_broken_connector_is_never_deleted(
    world: World, monkeypatch: pytest.MonkeyPatch, breakage: str, command: str
) -> None:
    world.connect("orders", "orders-conn")
    folder = world.root / "connectors" / "orders"
    name, text = BREAKAGES[breakage]
    if text is None:
        (folder / "connector.yaml").rename(folder / name)
    else:
        (folder / name).write_text(text)
    world.commit(f"break orders ({breakage})")
    before = world.snapshot("orders")
    late = late_connection(world, monkeypatch)
    result = world.cli(*COMMANDS[command])
    world.assert_blocked(result, before.plus(LATE) if late.fired else before, "orders")


# --- 6. drift --fix after the folder was removed --------------------------------------------------------


def test_drift_fix_keeps_a_connector_connected_between_plan_and_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.remove("orders")
    before = world.snapshot("orders")
    result = run_with(world, late_connection(world, monkeypatch), "drift", "--fix")
    world.assert_blocked(result, before.plus(LATE), "orders")


# --- 9. the prompt window ---------------------------------------------------------------------------


def test_connection_made_while_the_prompt_waits_blocks_the_delete(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectorops.commands import apply as apply_command

    world.remove("orders")
    before = world.snapshot("orders")
    asked: list[bool] = []

    def user_connects_then_answers_yes(*args: Any, **kwargs: Any) -> bool:
        world.connect("orders", "orders-prompt")  # while the operator reads the plan (0 connections)
        asked.append(True)
        return True

    monkeypatch.setattr(apply_command, "_confirm", user_connects_then_answers_yes)
    result = world.cli("apply")
    assert asked, "the prompt was never shown"
    world.assert_blocked(result, before.plus("orders-prompt"), "orders")


# --- 10. a deletion tag edited in the portal ------------------------------------------------------------


def test_deletion_tag_edited_out_of_band_acknowledges_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.connect("orders", "orders-conn")
    live = world.gateway.get_custom_api("orders")
    assert live is not None and live["tags"][tags.DELETION_POLICY] == "protect"
    world.gateway.patch_custom_api_tags("orders", {**live["tags"], tags.DELETION_POLICY: "allow-connection-loss"})
    world.remove("orders")  # git said protect at the commit the tag records, and never anything else
    before = world.snapshot("orders")
    world.assert_blocked(world.cli("apply", "--yes"), before, "orders")
    assert world.cli("plan")[0] == 1  # still blocked, and said so


def test_acknowledgement_committed_but_never_applied_acknowledges_nothing(world: World) -> None:
    world.connect("orders", "orders-conn")
    world.write("orders", deletion="allow-connection-loss")
    world.commit("orders: allow-connection-loss (not applied)")
    world.remove("orders")  # the tag's commit, the one deployed, still says protect
    before = world.snapshot("orders")
    world.assert_blocked(world.cli("apply", "--yes"), before, "orders")
