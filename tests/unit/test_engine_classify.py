"""One classification: plan actions and drift items are both read from engine/classify.py, and drift sends
no request of its own."""

from __future__ import annotations

from datetime import UTC, datetime

from engine_support import InMemoryTarget, desired_api, desired_state, grant

from connectorops import tags
from connectorops.engine.classify import ConnectorState, classify_connectors, classify_grants, our_scopes
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift import detect_drift
from connectorops.engine.observe import observe
from connectorops.engine.plan import make_plan


def _world() -> tuple[InMemoryTarget, DesiredState]:
    gw = InMemoryTarget()
    in_sync, edited, changed = desired_api("insync"), desired_api("edited"), desired_api("changed")
    gw.put_custom_api("insync", in_sync.body)
    gw.put_custom_api("edited", edited.body)
    gw.swaggers["edited"]["paths"]["/orders"]["get"]["summary"] = "edited in the portal"
    gw.put_custom_api("changed", changed.body)
    gw.put_custom_api("theirs", {"location": "westeurope", "properties": {}, "tags": {}})
    other = desired_api("prodonly")
    gw.put_custom_api("prodonly", {**other.body, "tags": {**other.body["tags"], tags.ENVIRONMENT: "prod"}})
    gw.put_custom_api("removed", desired_api("removed").body)
    gw.put_custom_api("handmade", {"location": "westeurope", "properties": {}, "tags": {}})
    desired = desired_state(
        in_sync, edited, desired_api("changed", description="Changed in git."), desired_api("new"),
        desired_api("theirs"), other,
    )  # fmt: skip
    return gw, desired


def test_every_connector_state_is_classified() -> None:
    gw, desired = _world()
    observed = observe(gw, desired=desired.custom_apis, drift=True)
    states = {c.name: c.state for c in classify_connectors(desired, observed)}
    assert states == {
        "insync": ConnectorState.IN_SYNC,
        "edited": ConnectorState.MODIFIED,
        "changed": ConnectorState.PENDING,
        "new": ConnectorState.MISSING,
        "theirs": ConnectorState.NOT_OURS,
        "prodonly": ConnectorState.OTHER_ENVIRONMENT,
        "removed": ConnectorState.UNDECLARED,
        "handmade": ConnectorState.UNMANAGED,
    }


def test_plan_and_drift_are_two_views_of_the_same_classification() -> None:
    gw, desired = _world()
    observed = observe(gw, desired=desired.custom_apis, drift=True)
    plan = make_plan(desired, observed, now=datetime(2026, 11, 29, tzinfo=UTC))
    report = detect_drift(desired, observed, gw)
    actions = {a.name: (str(a.kind), a.blocked) for a in plan.actions}
    items = {i.connector: i.kind for i in report.items}
    # state -> (plan action, drift item kind): the whole mapping, one connector per state
    assert {name: (actions.get(name), items.get(name)) for name in actions.keys() | items.keys()} == {
        "insync": (("noop", False), None),
        "edited": (("update", False), "modified"),
        "changed": (("update", False), "pending"),
        "new": (("create", False), "deleted"),
        "theirs": (("create", True), "conflict"),
        "prodonly": (("create", True), "conflict"),
        "removed": (("delete", False), "undeclared"),
        "handmade": (None, "unmanaged"),
    }
    assert plan.unmanaged == ("handmade",)


def test_grants_missing_and_out_of_band_come_from_one_comparison() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    stranger = grant(principal_id="22222222-2222-2222-2222-222222222222")
    gw.put_role_assignment(stranger.scope, "oob", stranger.body())
    desired = desired_state(api, grants=(grant(),))
    observed = observe(gw, desired=desired.custom_apis, drift=True)
    sharing = classify_grants(desired, observed, our_scopes(classify_connectors(desired, observed)))
    assert [g.principal_id for g in sharing.missing] == ["11111111-1111-1111-1111-111111111111"]
    assert [a.principal_id for a in sharing.out_of_band] == ["22222222-2222-2222-2222-222222222222"]
    plan = make_plan(desired, observed)
    grants = sorted((str(a.kind), a.resource_id) for a in plan.actions if a.resource_type != "customApi")
    assert grants == sorted([("create", sharing.missing[0].id), ("delete", sharing.out_of_band[0].id)])
    report = detect_drift(desired, observed, gw)
    assert sorted(i.resource_id for i in report.items) == sorted(a[1] for a in grants)


def test_detect_drift_sends_no_request_even_when_a_swagger_could_not_be_read() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    del gw.swaggers["orders"]  # the deployed definition cannot be downloaded
    desired = desired_state(api)
    observed = observe(gw, desired=desired.custom_apis, drift=True)
    before = dict(gw.requests.counts)
    assert before[("GET", "swagger")] == 1  # observe tried, once
    detect_drift(desired, observed, gw)
    assert dict(gw.requests.counts) == before  # drift compares what observe fetched; it never calls the target
