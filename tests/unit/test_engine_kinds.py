"""The registry of resource kinds: apply dispatches through it, and plan files name only known kinds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from engine_support import InMemoryTarget, desired_api, desired_state

from connectorops.canonical import canonical_json, sha256_hex
from connectorops.engine.actions import CUSTOM_API, ROLE_ASSIGNMENT
from connectorops.engine.kinds import KINDS, kind_of
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.planfile import load_plan, save_plan
from connectorops.errors import PlanError


def test_every_kind_a_plan_makes_is_registered_once() -> None:
    assert set(KINDS) == {CUSTOM_API, ROLE_ASSIGNMENT}
    assert [k.name for k in KINDS.values() if k.is_connector] == [CUSTOM_API]


def test_an_action_of_an_unregistered_kind_has_no_executor() -> None:
    plan = make_plan(desired_state(desired_api("orders")), observe(InMemoryTarget()))
    with pytest.raises(ValueError, match="unknown resource type 'flowPermission'"):
        kind_of(replace(plan.actions[0], resource_type="flowPermission"))


def test_a_plan_file_with_an_unknown_kind_is_refused_by_name(tmp_path: Path) -> None:
    plan = make_plan(desired_state(desired_api("orders")), observe(InMemoryTarget()))
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    data = json.loads(path.read_text())
    data["actions"][0]["resourceType"] = "flowPermission"
    # Re-fingerprinted as a newer connectorops (or a forger) would: the kind is what is refused.
    content = {k: v for k, v in data.items() if k not in ("createdAt", "fingerprint", "summary", "exitCode")}
    data["fingerprint"] = sha256_hex(canonical_json(content))
    assert Plan.from_dict(data).fingerprint == data["fingerprint"]
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="unknown resource type: 'flowPermission'"):
        load_plan(path)
