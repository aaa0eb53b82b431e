"""Saved plans: round trip, tamper detection and stale-plan refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_support import FakeGateway, desired_api, desired_state, grant

from connectorops.engine.observe import observe
from connectorops.engine.plan import make_plan
from connectorops.engine.planfile import check_not_stale, load_plan, save_plan
from connectorops.errors import PlanError, StalePlanError

TARGET = {"subscriptionId": "00000000-0000-0000-0000-000000000001", "resourceGroup": "rg-test"}


def _setup() -> tuple[FakeGateway, object]:
    gw = FakeGateway()
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


def test_unchanged_world_is_not_stale() -> None:
    gw, plan = _setup()
    check_not_stale(plan, observe(gw), environment="dev", target=TARGET)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="environment 'dev'"):
        check_not_stale(plan, observe(gw), environment="prod", target=TARGET)  # type: ignore[arg-type]


def test_moved_etag_appeared_and_disappeared_resources_are_named() -> None:
    gw, plan = _setup()
    gw.patch_custom_api_tags("orders", {**gw.custom_apis["orders"]["tags"], "x": "y"})
    gw.put_custom_api("billing", desired_api("billing").body)
    with pytest.raises(StalePlanError) as caught:
        check_not_stale(plan, observe(gw), environment="dev", target=TARGET)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "'orders' changed since the plan was made (etag" in message
    assert "'billing' appeared" in message
    gw.delete_custom_api("orders")
    with pytest.raises(StalePlanError, match="'orders' disappeared"):
        check_not_stale(plan, observe(gw), environment="dev", target=TARGET)  # type: ignore[arg-type]


def test_role_assignment_that_appeared_makes_plan_stale() -> None:
    gw = FakeGateway()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    wanted = grant()
    plan = make_plan(desired_state(api, grants=(wanted,)), observe(gw))
    gw.put_role_assignment(wanted.scope, wanted.name, wanted.body())
    with pytest.raises(StalePlanError, match="role assignment"):
        check_not_stale(plan, observe(gw), environment="dev", target={})
