"""Connection loss, breaking changes and every guard on a Power Platform environment, through the CLI against
the emulator's Power Platform surface: what uses a connector is named as flows, and nothing is deleted that
git or the operator did not acknowledge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_e2e_support import OPENAPI, commit_all, openapi, remove_connector, write_connector
from powerplatform_engine_support import ENV, connect_flow, portal, pp_repo
from test_cli_plan_apply_drift import cli

from connectorops import tags
from connectorops.engine.apply import apply_plan
from connectorops.engine.desired import build_desired_state
from connectorops.engine.observe import observe
from connectorops.engine.plan import PlanOptions, make_plan
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree

pytestmark = pytest.mark.integration


def _deployed(tmp_path: Path, *names: str, deletion: str = "protect") -> Path:
    root = pp_repo(tmp_path, *names, deletion=deletion)
    assert cli(root, "apply", "--yes")[0] == 0
    return root


def _connectors(root: Path) -> list[str]:
    with portal(root) as target:
        return sorted(c["name"] for c in target.list_connectors())


def test_a_blocked_deletion_names_the_connection_and_the_flow(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders", "billing")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Cancel stale orders", "DeleteOrder")
    remove_connector(root, "orders")
    commit_all(root, "remove orders")
    code, out, _ = cli(root, "plan")
    assert code == 1 and "BLOCKED" in out
    assert "deletes its 1 connection(s), breaking 1 flow(s): Cancel stale orders" in out
    assert "Logic App" not in out
    code, out, _ = cli(root, "plan", "--markdown")
    assert code == 1 and "flows using them: Cancel stale orders" in out
    code, out, _ = cli(root, "plan", "--json")
    [delete] = [a for a in json.loads(out)["actions"] if a["kind"] == "delete"]
    assert delete["impact"]["flows"][0]["name"] == "Cancel stale orders"
    assert [c["name"] for c in delete["impact"]["connections"]] == ["orders-conn"]
    code, _, err = cli(root, "apply", "--yes")
    assert code == 1 and "nothing was applied" in err
    assert _connectors(root) == ["billing", "orders"]
    code, out, _ = cli(root, "apply", "--yes", "--allow-connection-loss", "orders")
    assert code == 0 and "deleted" in out
    assert _connectors(root) == ["billing"]


def test_git_allow_connection_loss_deletes_a_connected_connector(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders", "billing", deletion="allow-connection-loss")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Nightly sync", "ListOrders")
    remove_connector(root, "orders")
    commit_all(root, "remove orders")
    code, out, _ = cli(root, "apply", "--yes")
    assert code == 0 and "deleted" in out
    assert _connectors(root) == ["billing"]


def test_a_connection_made_after_the_saved_plan_makes_it_stale(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders", "billing")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Nightly sync", "ListOrders")
    remove_connector(root, "orders")
    commit_all(root, "remove orders")
    plan_file = tmp_path / "plan.json"
    assert cli(root, "plan", "--allow-connection-loss", "orders", "--out", str(plan_file))[0] == 2
    with portal(root) as target:
        connect_flow(target, "orders", "late-conn", "Late flow", "ListOrders")
    code, _, err = cli(root, "apply", "--plan", str(plan_file), "--yes")
    assert code == 1 and "stale" in err and "late-conn" in err
    assert _connectors(root) == ["billing", "orders"]


def test_an_emptied_connectors_folder_is_refused_unless_allow_empty(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders")
    remove_connector(root, "orders")
    commit_all(root, "remove everything")
    code, out, _ = cli(root, "plan")
    assert code == 1 and "git declares no connectors" in out
    assert cli(root, "apply", "--yes")[0] == 1
    assert _connectors(root) == ["orders"]
    code, out, _ = cli(root, "apply", "--yes", "--allow-empty")
    assert code == 0 and "deleted" in out
    assert _connectors(root) == []


def test_more_deletions_than_max_deletions_are_refused(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders", "billing", "stock", "keep")
    for name in ("orders", "billing", "stock"):
        remove_connector(root, name)
    commit_all(root, "remove three")
    code, out, _ = cli(root, "plan", "--max-deletions", "2")
    assert code == 1 and "more than --max-deletions 2" in out
    assert cli(root, "apply", "--yes", "--max-deletions", "2")[0] == 1
    assert _connectors(root) == ["billing", "keep", "orders", "stock"]
    assert cli(root, "apply", "--yes", "--max-deletions", "3")[0] == 0
    assert _connectors(root) == ["keep"]


def test_a_removed_operation_names_only_the_flow_calling_it(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Cancel stale orders", "DeleteOrder")
        connect_flow(target, "orders", "orders-conn", "Order report", "ListOrders")
    paths = {k: v for k, v in OPENAPI["paths"].items() if k != "/orders/{id}"}
    write_connector(root, "orders", doc=openapi(paths=paths))
    commit_all(root, "drop DeleteOrder")
    code, out, _ = cli(root, "plan")
    assert code == 2
    assert "BREAKING (high): operation `DeleteOrder` (DELETE /orders/{id}) removed — flows: Cancel stale orders" in out
    assert "Order report" not in out.split("BREAKING", 1)[1].split("\n", 1)[0]
    code, out, _ = cli(root, "plan", "--json")
    [update] = [a for a in json.loads(out)["actions"] if a["kind"] == "update"]
    assert update["breakingChanges"][0]["flows"] == ["Cancel stale orders"]
    assert update["breakingChanges"][0]["logicApps"] == []


def test_a_new_required_parameter_names_the_flow_calling_that_operation(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Cancel stale orders", "DeleteOrder")
        connect_flow(target, "orders", "orders-conn", "Order report", "ListOrders")
    doc = openapi()
    doc["paths"]["/orders"]["get"]["parameters"] = [
        *doc["paths"]["/orders"]["get"]["parameters"],
        {"name": "region", "in": "query", "type": "string", "required": True},
    ]
    write_connector(root, "orders", doc=doc)
    commit_all(root, "require region")
    code, out, _ = cli(root, "plan", "--json")
    [update] = [a for a in json.loads(out)["actions"] if a["kind"] == "update"]
    [change] = update["breakingChanges"]
    assert code == 2 and change["kind"] == "required-parameter-added" and change["flows"] == ["Order report"]


def test_a_connection_made_between_plan_and_delete_blocks_it_naming_the_flow(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders", "billing")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Nightly sync", "ListOrders")
    remove_connector(root, "orders")
    repo = load_repository(FileSystemTree(root))
    with portal(root) as target:
        desired = build_desired_state(repo, ENV, placement=target, commit=None)
        options = PlanOptions(allow_connection_loss=frozenset({"orders"}))
        plan = make_plan(desired, observe(target, desired=desired.custom_apis), options, target=target.identity)
        assert not plan.is_blocked  # the operator acknowledged orders-conn
        connect_flow(target, "orders", "late-conn", "Late flow", "DeleteOrder")  # while the prompt waits
        [result] = [r for r in apply_plan(plan, target).results if r.name == "orders"]
        assert result.status == "blocked"
        assert "late-conn" in result.message and "(used by flow(s): Late flow)" in result.message
        assert target.get_connector("orders") is not None


def test_orphan_leaves_the_connector_its_connection_and_flow_and_stops_managing_it(tmp_path: Path) -> None:
    root = _deployed(tmp_path, "orders", "billing", deletion="orphan")
    with portal(root) as target:
        connect_flow(target, "orders", "orders-conn", "Nightly sync", "ListOrders")
    remove_connector(root, "orders")
    commit_all(root, "remove orders")
    code, out, _ = cli(root, "apply", "--yes")
    assert code == 0 and "orphaned" in out
    with portal(root) as target:
        live = target.get_connector("orders")
        assert live is not None and not tags.is_managed(live["tags"])  # kept, no longer ours
        assert [c["name"] for c in target.client.list_connections()] == ["orders-conn"]
    code, out, _ = cli(root, "plan")
    assert code == 0 and "unmanaged" in out
