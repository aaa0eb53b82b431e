"""The engine adopting an unmanaged connector under the name git gives it (connectorops/adopt: <listed name>), on
the in-memory Power Platform environment, and refusing where the target keeps names in resource names (ARM)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest
from engine_support import InMemoryTarget, connector, resolved
from in_memory_target import InMemoryPowerPlatform, PowerPlatformPlacement

from connectorops.definitions.model import ResolvedConnector
from connectorops.engine import desired_memo
from connectorops.engine.actions import ActionKind
from connectorops.engine.apply import apply_plan
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift import detect_drift
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.errors import GatewayError, PlanBlocked
from connectorops.policy.role_assignments import DesiredRoleAssignment, role_assignment_name
from connectorops.render import DesiredCustomApi

ENV = "makers"
PP = PowerPlatformPlacement()
LISTED = "shared_orders-5f3c2a1b0d9e8f7a"
SALES = "11111111-1111-1111-1111-111111111111"
ALICE = "33333333-3333-3333-3333-333333333333"


def _want(listed: str = LISTED) -> DesiredCustomApi:
    api = PP.render_connector(ResolvedConnector.from_definition(connector("orders"), ENV, resolved()), commit="c0")
    return replace(api, adopt=True, adopt_from=listed, source_path="connectors/orders/connector.yaml", adopt_line=6)


def _desired(*apis: DesiredCustomApi) -> DesiredState:
    return DesiredState(
        environment=ENV, custom_apis=apis, commit="c0", declared=frozenset(a.name.lower() for a in apis),
        connector_ids={a.name.lower(): PP.connector_id(a.name) for a in apis},
    )  # fmt: skip


def _portal(pp: InMemoryPowerPlatform, want: DesiredCustomApi, *, description: str | None = None) -> None:
    """A maker's connector: no record, so listed by its apiName."""
    body = copy.deepcopy({**want.body, "tags": {}})
    if description is not None:
        body["properties"]["description"] = description
    pp.create_connector(LISTED, body)
    pp.permissions[LISTED] = pp.permissions.pop(pp.api_names[LISTED])  # the server named it LISTED
    pp.api_names[LISTED] = LISTED


def _plan(target: InMemoryPowerPlatform | InMemoryTarget, desired: DesiredState) -> Plan:
    return make_plan(desired, observe(target, desired=desired.custom_apis), None, target=target.identity)


@pytest.mark.parametrize("differs", [False, True], ids=["markers-only", "with-changes"])
def test_the_listed_connector_is_adopted_under_the_name_git_gives_it(differs: bool) -> None:
    pp = InMemoryPowerPlatform()
    want = _want()
    _portal(pp, want, description="typed in the portal" if differs else None)
    pp.add_connection("makers-conn", LISTED)
    desired = _desired(want)
    plan = _plan(pp, desired)
    (adopt,) = plan.changes
    assert (adopt.kind, adopt.name, adopt.listed_as, adopt.blocked) == (ActionKind.ADOPT, "orders", LISTED, False)
    assert ("properties" in (adopt.body or {})) is differs  # changes: the whole body; else the markers alone
    assert adopt.resource_id == PP.connector_id("orders")  # where git's grants go once adopted
    report = apply_plan(plan, pp)
    assert report.exit_code == 0, report.results
    assert sorted(pp.connectors) == ["orders"] and pp.api_names == {"orders": LISTED}  # renamed, not created
    assert [c["name"] for c in pp.connections_of(PP.connector_id("orders"))] == ["makers-conn"]
    again = _plan(pp, desired)
    assert again.changes == [] and again.exit_code == 0
    unlabelled = _desired(replace(want, adopt=False, adopt_from=""))
    assert _plan(pp, unlabelled).changes == []
    assert detect_drift(unlabelled, observe(pp, drift=True), pp).items == ()


def test_a_listed_connector_git_adopts_is_not_also_reported_as_unmanaged() -> None:
    pp = InMemoryPowerPlatform()
    want = _want()
    _portal(pp, want)
    report = detect_drift(_desired(want), observe(pp, drift=True, desired=[want]), pp)
    assert [(i.kind, i.connector) for i in report.items] == [("conflict", "orders")]  # not ("unmanaged", LISTED) too


def test_a_name_nothing_is_listed_by_is_a_blocked_adopt_naming_the_label_line() -> None:
    pp = InMemoryPowerPlatform()
    plan = _plan(pp, _desired(_want("shared_nothing-00")))
    (adopt,) = plan.changes
    assert adopt.kind == ActionKind.ADOPT and adopt.blocked and plan.exit_code == 1
    assert adopt.reasons[0].startswith(
        "connectors/orders/connector.yaml:6: metadata.labels.connectorops/adopt names 'shared_nothing-00', "
        "but no connector is listed by that name"
    )
    with pytest.raises(PlanBlocked):
        apply_plan(plan, pp)
    assert pp.connectors == {}


def test_a_connector_managed_under_another_name_is_refused_by_its_api_name_too() -> None:
    pp = InMemoryPowerPlatform()
    billing = PP.render_connector(ResolvedConnector.from_definition(connector("billing"), ENV, resolved()), commit="c0")
    apply_plan(_plan(pp, _desired(billing)), pp)
    api_name = pp.api_names["billing"]
    plan = _plan(pp, _desired(billing, _want(api_name)))
    (refused,) = [a for a in plan.changes if a.name == "orders"]
    assert refused.kind == ActionKind.ADOPT and refused.blocked
    assert f"names {api_name!r}, which is managed by connectorops as 'billing'" in refused.reasons[0]
    assert "(connectors/billing/connector.yaml)" in refused.reasons[0]


def test_arm_targets_refuse_to_adopt_under_another_name() -> None:
    arm = InMemoryTarget()
    arm.add_custom_api("legacy-orders", {})
    with pytest.raises(GatewayError) as refused:
        arm.write_markers("orders", {"managed-by": "connectorops"}, listed_as="legacy-orders")
    assert "on ARM a customApi's name is its resource name" in str(refused.value)
    assert sorted(arm.custom_apis) == ["legacy-orders"] and arm.custom_apis["legacy-orders"]["tags"] == {}


@pytest.mark.parametrize(
    ("label", "adopt", "adopt_from"),
    [("true", True, ""), ("TRUE", True, ""), ("orders", True, ""), (LISTED, True, LISTED), ("false", False, "")],
)
def test_the_label_names_the_connector_to_adopt(label: str, adopt: bool, adopt_from: str) -> None:
    labelled = connector("orders", labels={"connectorops/adopt": label})
    api = PP.render_connector(ResolvedConnector.from_definition(labelled, ENV, resolved()), commit="c0")
    assert (api.adopt, api.adopt_from) == (adopt, adopt_from)
    plain = PP.render_connector(ResolvedConnector.from_definition(connector("orders"), ENV, resolved()), commit="c0")
    assert api.fingerprint == plain.fingerprint  # a label is no change to deploy: removing it later plans nothing


def test_a_remembered_desired_state_keeps_what_to_adopt_and_where_the_label_is() -> None:
    api = _want()
    assert desired_memo._api_from_dict(json.loads(json.dumps(desired_memo._api_to_dict(api)))) == api


def test_gits_sharing_is_granted_on_the_adoption_and_portal_shares_are_compared_from_the_next_plan() -> None:
    pp = InMemoryPowerPlatform()
    want = _want()
    _portal(pp, want)
    pp.portal_share(LISTED, ALICE, "User", "CanEdit")
    scope = PP.connector_id("orders")
    grant = DesiredRoleAssignment(
        name=role_assignment_name(scope, SALES, "CanView"), scope=scope, principal_name="sales", principal_id=SALES,
        principal_type="Group", role_name="use", role_definition_id="CanView",
    )  # fmt: skip
    desired = replace(_desired(want), role_assignments=(grant,))
    plan = _plan(pp, desired)
    assert sorted((str(a.kind), a.resource_type) for a in plan.changes) == [
        ("adopt", "customApi"), ("create", "roleAssignment")]  # fmt: skip
    assert apply_plan(plan, pp).exit_code == 0
    held = {p: w["properties"]["roleName"] for p, w in pp.permissions[LISTED].items()}
    assert held[SALES] == "CanView" and held[ALICE] == "CanEdit"
    (revoke,) = _plan(pp, desired).changes  # now ours: the portal share not in git is revoked
    assert (revoke.kind, revoke.principal) == (ActionKind.DELETE, f"User {ALICE}")


def test_on_arm_the_plan_blocks_the_adoption_and_the_named_customapi_stays_unmanaged() -> None:
    arm = InMemoryTarget()
    arm.add_custom_api("legacy-orders", {})
    desired = replace(_desired(_want("legacy-orders")), connector_ids={})
    plan = _plan(arm, desired)
    (refused,) = plan.changes
    assert (refused.kind, refused.name, refused.blocked) == (ActionKind.ADOPT, "orders", True)
    assert refused.reasons[0] == (
        "connectors/orders/connector.yaml:6: metadata.labels.connectorops/adopt names 'legacy-orders', but here a "
        "connector's name is its resource name: it cannot be adopted as another"
    )
    report = detect_drift(desired, observe(arm, drift=True), arm)
    assert ("unmanaged", "legacy-orders") in [(i.kind, i.connector) for i in report.items]
