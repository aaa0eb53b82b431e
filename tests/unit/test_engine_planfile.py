"""Saved plans: round trip, tamper detection and stale-plan refusal."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from engine_support import InMemoryTarget, desired_api, desired_state, grant

from connectorops.engine.actions import PlanOptions, Verdict
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.planfile import check_environment, load_plan, save_plan, verify_saved_plan
from connectorops.engine.target import TargetId
from connectorops.errors import PlanError, StalePlanError

TARGET = TargetId.from_dict({"subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg-test"})


def _setup() -> tuple[InMemoryTarget, object]:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    desired = desired_state(desired_api("orders", description="New description."), desired_api("billing"))
    return gw, make_plan(desired, observe(gw), target=TARGET)


def test_save_and_load_give_the_same_plan(tmp_path: Path) -> None:
    _, plan = _setup()
    save_plan(plan, tmp_path / "plan.json")  # type: ignore[arg-type]
    assert load_plan(tmp_path / "plan.json") == plan


def test_edited_plan_file_is_refused(tmp_path: Path) -> None:
    _, plan = _setup()
    path = tmp_path / "plan.json"
    save_plan(plan, path)  # type: ignore[arg-type]
    data = json.loads(path.read_text())
    data["actions"][0]["body"]["properties"]["displayName"] = "sneaky"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="edited"):
        load_plan(path)
    path.write_text("{}")
    with pytest.raises(PlanError, match="schemaVersion"):
        load_plan(path)
    with pytest.raises(PlanError, match="not found"):
        load_plan(tmp_path / "missing.json")


def _desired() -> object:
    return desired_state(desired_api("orders", description="New description."), desired_api("billing"))


def _now(gw: InMemoryTarget, desired: object | None = None) -> Plan:
    return make_plan(desired or _desired(), observe(gw), target=TARGET)  # type: ignore[arg-type]


def test_unchanged_world_is_not_stale() -> None:
    gw, plan = _setup()
    verify_saved_plan(plan, _now(gw))  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="environment 'dev'"):
        check_environment(plan, "prod")  # type: ignore[arg-type]


def test_moved_etag_appeared_and_disappeared_resources_are_named() -> None:
    gw, plan = _setup()
    gw.patch_custom_api_tags("orders", {**gw.custom_apis["orders"]["tags"], "x": "y"})
    gw.put_custom_api("billing", desired_api("billing").body)
    with pytest.raises(StalePlanError) as caught:
        verify_saved_plan(plan, _now(gw))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "'orders' changed since the plan was made (etag" in message
    assert "customApi 'billing': the plan file would create it, a plan made now would not" in message
    gw.delete_custom_api("orders")
    with pytest.raises(StalePlanError, match="'orders' disappeared"):
        verify_saved_plan(plan, _now(gw))  # type: ignore[arg-type]


def test_role_assignment_that_appeared_makes_plan_stale() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    wanted = grant()
    desired = desired_state(api, grants=(wanted,))
    plan = make_plan(desired, observe(gw))
    gw.put_role_assignment(wanted.scope, wanted.name, wanted.body())
    with pytest.raises(StalePlanError, match="role assignment .* the plan file would create it"):
        verify_saved_plan(plan, make_plan(desired, observe(gw)))


def test_a_new_connection_on_a_deleted_connector_makes_the_plan_stale() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    gw.put_custom_api("billing", desired_api("billing").body)
    desired = desired_state(desired_api("billing"))
    plan = make_plan(desired, observe(gw), PlanOptions(frozenset({"orders"})))
    gw.add_connection("orders-conn", "orders")  # the etag of the customApi does not move
    with pytest.raises(StalePlanError, match=r"'orders': its connections changed .*showed: none; now: orders-conn"):
        verify_saved_plan(plan, make_plan(desired, observe(gw), PlanOptions(frozenset({"orders"}))))


def test_forged_changes_are_refused_even_with_a_recomputed_fingerprint(tmp_path: Path) -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    gw.add_connection("orders-conn", "orders")
    gw.put_custom_api("theirs", {"location": "westeurope", "properties": {"displayName": "Theirs"}})
    desired = desired_state(desired_api("billing"))
    plan = make_plan(desired, observe(gw), target=TARGET)
    (blocked,) = plan.blocked_actions
    unblocked = replace(blocked, verdict=Verdict.ALLOW, reasons=())
    theirs = replace(
        blocked, name="theirs", connector="theirs", resource_id=gw.custom_api_id("theirs"), verdict=Verdict.ALLOW
    )
    billing = next(a for a in plan.actions if a.name == "billing")
    body = {**(billing.body or {}), "location": "eastus"}
    forgeries = {
        "verdict": replace(plan, actions=tuple(unblocked if a is blocked else a for a in plan.actions)),
        "unmanaged": replace(plan, actions=(*plan.actions, theirs)),
        "body": replace(plan, actions=tuple(replace(a, body=body) if a is billing else a for a in plan.actions)),
        "environment": replace(plan, environment="prod"),
    }
    for what, forged in forgeries.items():
        path = tmp_path / f"{what}.json"
        save_plan(forged, path)  # the fingerprint is recomputed: the file is internally consistent
        with pytest.raises(StalePlanError, match="altered"):
            verify_saved_plan(load_plan(path), _now(gw, desired))


def test_a_plan_file_without_deletion_policies_is_compared_on_what_it_has(tmp_path: Path) -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    desired = desired_state(desired_api("billing"))
    plan = make_plan(desired, observe(gw), target=TARGET)
    path = tmp_path / "old.json"
    data = plan.to_dict()
    for action in data["actions"]:
        for key in ("deletionPolicy", "deletionPolicyOrigin", "acknowledgedConnections"):
            del action[key]
    data["fingerprint"] = Plan.from_dict(data).fingerprint
    path.write_text(json.dumps(data))
    verify_saved_plan(load_plan(path), _now(gw, desired))


def test_a_plan_file_saved_before_findings_were_typed_loads_unchanged(tmp_path: Path) -> None:
    # Written by the code before the engine held Finding values (findings were dicts with "connector").
    old = Path(__file__).parents[1] / "fixtures" / "plans" / "plan_with_findings_v1.json"
    plan = load_plan(old)  # the fingerprint check passes: the serialized findings are byte for byte the same
    assert plan.fingerprint == json.loads(old.read_text())["fingerprint"]
    assert [(f.rule_id, f.connector, f.blocking) for f in plan.findings] == [
        ("R1", "orders", True),
        ("VisibilityMissing", "orders", False),
    ]
    assert plan.is_blocked and plan.created_at == "2026-11-29T18:00:00Z"
    save_plan(plan, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == old.read_text()


def test_a_plan_file_saved_before_flows_loads_with_its_logic_apps_unchanged(tmp_path: Path) -> None:
    # Written by the code before consumers were generalized to flows: Logic App impact and breaking changes.
    old = Path(__file__).parents[1] / "fixtures" / "plans" / "plan_with_logic_app_impact_v1.json"
    plan = load_plan(old)  # the fingerprint check passes: impact and breaking changes serialize as before
    delete, update = plan.actions
    assert delete.impact is not None and [w.name for w in delete.impact.logic_apps] == ["la-billing"]
    assert delete.impact.flows == () and delete.impact.consumer_count() == "1 Logic App(s)"
    assert update.impact is not None and update.impact.logic_apps[0].calls == frozenset({("delete", "/orders/42")})
    assert (update.breaking[0].logic_apps, update.breaking[0].flows) == (("la-cancel",), ())
    save_plan(plan, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == old.read_text()
