"""PlanMemo: an idle interval's plan and drift are the last ones, and any change in the target is planned afresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from engine_support import InMemoryTarget, desired_api, desired_state

from connectorops.engine.deletion_policy import DeletionPolicy
from connectorops.engine.drift import detect_drift
from connectorops.engine.observe import observe
from connectorops.engine.plan import PlanOptions, make_plan
from connectorops.engine.plan_memo import PlanMemo

EARLIER = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 1, 12, 5, tzinfo=UTC)


def _no_policy(*, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
    return DeletionPolicy("protect", "test")


def test_the_same_inputs_reuse_the_plan_and_drift_with_the_new_time() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    desired, memo = desired_state(api), PlanMemo()
    first = memo.plan(desired, observe(gw, desired=desired.custom_apis, drift=True), PlanOptions(),
                      target=gw.identity, deletion_policies=_no_policy, now=EARLIER)  # fmt: skip
    observed = observe(gw, desired=desired.custom_apis, drift=True)  # a new observation, equal to the first
    again = memo.plan(desired, observed, PlanOptions(), target=gw.identity, deletion_policies=_no_policy, now=LATER)
    assert memo.reused == 1
    fresh = make_plan(desired, observed, PlanOptions(), target=gw.identity, deletion_policies=_no_policy, now=LATER)
    assert again == fresh and again.created_at != first.created_at
    assert memo.drift(desired, observed, gw) == detect_drift(desired, observed, gw)
    assert memo.drift(desired, observe(gw, desired=desired.custom_apis, drift=True), gw) == detect_drift(
        desired, observed, gw
    )


def test_an_edit_in_the_portal_is_planned_and_reported_afresh() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    desired, memo = desired_state(api), PlanMemo()
    observed = observe(gw, desired=desired.custom_apis, drift=True)
    memo.plan(desired, observed, PlanOptions(), target=gw.identity, deletion_policies=_no_policy, now=EARLIER)
    assert memo.drift(desired, observed, gw).drift == []
    gw.swaggers["orders"]["paths"]["/orders"]["get"]["summary"] = "edited in the portal"
    edited = observe(gw, desired=desired.custom_apis, drift=True)
    plan = memo.plan(desired, edited, PlanOptions(), target=gw.identity, deletion_policies=_no_policy, now=LATER)
    assert memo.reused == 0
    assert [a.name for a in plan.changes] == ["orders"]
    assert [item.kind for item in memo.drift(desired, edited, gw).drift] == ["modified"]


def test_other_options_or_another_desired_state_are_planned_afresh() -> None:
    gw = InMemoryTarget()
    desired, memo = desired_state(desired_api()), PlanMemo()
    observed = observe(gw, desired=desired.custom_apis)
    memo.plan(desired, observed, PlanOptions(), target=gw.identity, deletion_policies=_no_policy, now=EARLIER)
    memo.plan(desired, observed, PlanOptions(max_deletions=0), target=gw.identity, deletion_policies=_no_policy,
              now=EARLIER)  # fmt: skip
    equal_but_new = replace(desired)
    memo.plan(equal_but_new, observed, PlanOptions(max_deletions=0), target=gw.identity,
              deletion_policies=_no_policy, now=EARLIER)  # fmt: skip
    assert memo.reused == 0


def test_a_plan_that_read_a_deletion_policy_from_git_is_not_kept() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("gone", desired_api("gone").body)  # ours, no longer in git: its policy comes from git
    desired, memo = desired_state(desired_api("orders")), PlanMemo()
    asked: list[str] = []

    def policies(*, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
        asked.append(name)
        return DeletionPolicy("protect", "git")

    for now in (EARLIER, LATER):
        observed = observe(gw, desired=desired.custom_apis)
        memo.plan(desired, observed, PlanOptions(), target=gw.identity, deletion_policies=policies, now=now)
    assert memo.reused == 0 and asked == ["gone", "gone"]
