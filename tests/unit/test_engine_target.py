"""TargetId: the one identity of a target, stored in plan files and drift reports as it always was."""

from __future__ import annotations

from engine_support import PLACEMENT

from connectorops.engine.plan import Plan
from connectorops.engine.target import ARM, TargetId

# The `target` of a plan file written before TargetId existed (pipeline.target_of's dict).
BEFORE = {
    "subscriptionId": "00000000-0000-0000-0000-000000000001",
    "resourceGroup": "rg-test",
    "location": "westeurope",
}


def test_a_plan_file_target_from_before_loads_as_the_same_arm_target() -> None:
    loaded = TargetId.from_dict(BEFORE)
    assert loaded == PLACEMENT.identity and loaded.kind == ARM
    assert loaded.to_dict() == BEFORE  # written back in the same shape: no "kind" key for ARM
    assert loaded.get("resourceGroup") == "rg-test" and loaded.get("nope") is None


def test_a_saved_plan_keeps_its_fingerprint_through_load() -> None:
    old = Plan(environment="dev", target=TargetId.from_dict(BEFORE)).to_dict()
    again = Plan.from_dict(old)
    assert again.fingerprint == old["fingerprint"] and again.to_dict()["target"] == BEFORE


def test_another_kind_of_target_says_so_in_its_dict() -> None:
    makers = TargetId("powerplatform", (("environmentId", "env-1"),))
    assert makers.to_dict() == {"environmentId": "env-1", "kind": "powerplatform"}
    assert TargetId.from_dict(makers.to_dict()) == makers
