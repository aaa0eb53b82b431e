"""The engine on a Power Platform target (the in-memory environment, fed with the contract's wire shapes):
sharing through modifyPermissions, portal shares as drift, connection loss and breaking changes naming flows."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from engine_support import InMemoryTarget, connector, desired_api, resolved, swagger
from in_memory_target import PP_CREATOR, InMemoryPowerPlatform, PowerPlatformPlacement
from rich.console import Console

from connectorops.definitions.model import ResolvedConnector
from connectorops.engine.actions import ROLE_ASSIGNMENT, ActionKind, PlanOptions
from connectorops.engine.apply import apply_plan
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift import detect_drift
from connectorops.engine.impact import FLOW, Impact
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.planfile import load_plan, save_plan, verify_saved_plan
from connectorops.policy.role_assignments import DesiredRoleAssignment, role_assignment_name
from connectorops.render import DesiredCustomApi
from connectorops.report.json import plan_json
from connectorops.report.markdown import plan_markdown
from connectorops.report.text import render_plan

ENV = "makers"
PP = PowerPlatformPlacement()
SALES = "11111111-1111-1111-1111-111111111111"
ALICE = "33333333-3333-3333-3333-333333333333"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


ROLE_NAMES = {"CanView": "use", "CanViewWithShare": "share", "CanEdit": "edit"}  # sharing.yaml's defaults


def _grant(connector: str, principal_id: str, permission: str, kind: str = "Group") -> DesiredRoleAssignment:
    scope = PP.connector_id(connector)
    return DesiredRoleAssignment(
        name=role_assignment_name(scope, principal_id, permission), scope=scope, principal_name=f"p-{principal_id[:4]}",
        principal_id=principal_id, principal_type=kind, role_name=ROLE_NAMES[permission],
        role_definition_id=PP.role_id(permission),
    )  # fmt: skip


def _desired(*apis: DesiredCustomApi, grants: tuple[DesiredRoleAssignment, ...] = ()) -> DesiredState:
    return DesiredState(
        environment=ENV, custom_apis=apis, role_assignments=grants, commit="c0ffee",
        declared=frozenset(a.name.lower() for a in apis),
        connector_ids={a.name.lower(): PP.connector_id(a.name) for a in apis},
        principal_names={SALES: "sales-team", ALICE: "alice"},
        role_names={r.lower(): r for r in ("CanView", "CanViewWithShare", "CanEdit")},
    )  # fmt: skip


def _api(name: str = "orders", doc: dict | None = None) -> DesiredCustomApi:  # type: ignore[type-arg]
    return PP.render_connector(ResolvedConnector.from_definition(connector(name), ENV, resolved(doc)), commit="c0ffee")


def _plan(pp: InMemoryPowerPlatform, desired: DesiredState, options: PlanOptions | None = None) -> Plan:
    return make_plan(desired, observe(pp, desired=desired.custom_apis), options, target=pp.identity)


def _applied(pp: InMemoryPowerPlatform, desired: DesiredState) -> None:
    report = apply_plan(_plan(pp, desired), pp)
    assert report.exit_code == 0, report.results


def _permissions(pp: InMemoryPowerPlatform, connector: str = "orders") -> dict[str, str]:
    held = pp.permissions[pp.api_names[connector]]
    return {p: w["properties"]["roleName"] for p, w in held.items()}


def _text(plan: Plan) -> str:
    buffer = io.StringIO()
    render_plan(plan, Console(file=buffer, width=240))
    return buffer.getvalue()


# --- sharing -----------------------------------------------------------------------------------------


def test_grants_go_through_modify_permissions_and_the_next_plan_is_clean() -> None:
    pp = InMemoryPowerPlatform()
    desired = _desired(
        _api(), grants=(_grant("orders", SALES, "CanEdit"), _grant("orders", TENANT, "CanView", "Tenant"))
    )
    plan = _plan(pp, desired)
    assert sorted((str(a.kind), a.resource_type) for a in plan.changes) == [
        ("create", "customApi"), ("create", ROLE_ASSIGNMENT), ("create", ROLE_ASSIGNMENT)]  # fmt: skip
    _applied(pp, desired)
    assert _permissions(pp) == {PP_CREATOR: "Owner", SALES: "CanEdit", TENANT: "CanView"}
    puts = sorted((b["put"][0]["properties"]["roleName"], b["put"][0]["properties"]["principal"]["type"])
                  for b in pp.modify_permissions)  # fmt: skip
    assert puts == [("CanEdit", "Group"), ("CanView", "Tenant")]
    again = _plan(pp, desired)
    assert again.changes == [] and again.exit_code == 0
    assert detect_drift(desired, observe(pp, drift=True), pp).items == ()


def test_a_portal_share_is_drift_and_the_fix_revokes_it_but_never_the_owner() -> None:
    pp = InMemoryPowerPlatform()
    desired = _desired(_api(), grants=(_grant("orders", SALES, "CanView"),))
    _applied(pp, desired)
    pp.portal_share("orders", ALICE, "User", "CanEdit")
    report = detect_drift(desired, observe(pp, drift=True), pp)
    [item] = report.drift
    assert (item.kind, item.connector, item.principal, item.role) == (
        "extra-role-assignment", "orders", "alice (User)", "CanEdit")  # fmt: skip
    assert report.exit_code == 2
    fix = _plan(pp, desired)
    [revoke] = fix.changes
    assert (revoke.kind, revoke.resource_type, revoke.role) == (ActionKind.DELETE, ROLE_ASSIGNMENT, "CanEdit")
    sent = len(pp.modify_permissions)
    assert apply_plan(fix, pp).exit_code == 0
    permission = f"/providers/Microsoft.PowerApps/apis/{pp.api_names['orders']}/permissions/{ALICE}"
    assert pp.modify_permissions[sent:] == [{"put": [], "delete": [{"id": permission}]}]
    assert _permissions(pp) == {PP_CREATOR: "Owner", SALES: "CanView"}
    assert detect_drift(desired, observe(pp, drift=True), pp).items == ()


def test_a_connector_git_shares_with_nobody_keeps_its_owner() -> None:
    pp = InMemoryPowerPlatform()
    desired = _desired(_api(), grants=(_grant("orders", SALES, "CanView"),))
    _applied(pp, desired)
    unshared = _desired(_api())
    assert apply_plan(_plan(pp, unshared), pp).exit_code == 0  # the fake fails the test if Owner is revoked
    assert _permissions(pp) == {PP_CREATOR: "Owner"}


def test_a_changed_role_replaces_the_permission_instead_of_revoking_it_after_the_grant() -> None:
    pp = InMemoryPowerPlatform()
    _applied(pp, _desired(_api(), grants=(_grant("orders", SALES, "CanView"),)))
    wider = _desired(_api(), grants=(_grant("orders", SALES, "CanEdit"),))
    plan = _plan(pp, wider)
    [change] = plan.changes
    assert change.kind == ActionKind.CREATE and change.role == "edit (CanEdit)"
    assert "replaces the CanView permission" in change.warnings[0]
    assert apply_plan(plan, pp).exit_code == 0
    assert _permissions(pp) == {PP_CREATOR: "Owner", SALES: "CanEdit"}
    assert _plan(pp, wider).changes == []


def test_on_arm_a_changed_role_still_grants_the_new_and_revokes_the_old_assignment() -> None:
    arm = InMemoryTarget()
    from engine_support import PLACEMENT, desired_state

    def grant(role: str) -> DesiredRoleAssignment:
        scope = PLACEMENT.connector_id("orders")
        definition = f"/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/{role}"
        return DesiredRoleAssignment(role_assignment_name(scope, SALES, definition), scope, "sales-team", SALES,
                                     "Group", role, definition)  # fmt: skip

    first = desired_state(desired_api(), grants=(grant("acdd72a7-3385-48ef-bd42-f606fba81ae7"),))
    assert apply_plan(make_plan(first, observe(arm)), arm).exit_code == 0
    second = desired_state(desired_api(), grants=(grant("515c2055-d9d4-4321-b1b9-bd0c9a0f79fe"),))
    plan = make_plan(second, observe(arm, desired=second.custom_apis))
    assert sorted(str(a.kind) for a in plan.changes) == ["create", "delete"]


# --- connection loss and breaking changes --------------------------------------------------------------


def _deployed_with_flows(summary: bool = True) -> InMemoryPowerPlatform:
    pp = InMemoryPowerPlatform()
    _applied(pp, _desired(_api("orders"), _api("billing")))
    pp.add_connection("orders-conn", "orders")
    pp.add_connection("billing-conn", "billing")
    pp.add_flow("Cancel stale orders", "orders", "orders-conn", "DeleteOrder", summary=summary)
    pp.add_flow("Order report", "orders", "orders-conn", "ListOrders", summary=not summary)
    pp.add_flow("Billing run", "billing", "billing-conn", "ListOrders")
    return pp


def test_a_blocked_deletion_names_the_connections_and_the_flows_using_them() -> None:
    pp = _deployed_with_flows()
    plan = _plan(pp, _desired(_api("billing")))
    [delete] = plan.blocked_actions
    assert (delete.name, delete.kind) == ("orders", ActionKind.DELETE)
    assert delete.impact is not None and delete.impact.consumer_kind == FLOW
    assert [c.name for c in delete.impact.connections] == ["orders-conn"]
    assert [f.name for f in delete.impact.flows] == ["Cancel stale orders", "Order report"]
    assert delete.reasons[0] == (
        "deleting 'orders' deletes its 1 connection(s), breaking 2 flow(s): Cancel stale orders, Order report"
    )
    text, markdown = _text(plan), plan_markdown(plan)
    assert "1 connection(s), 2 flow(s)" in text and "impact: flows using them: Cancel stale orders" in text
    assert "flows using them: Cancel stale orders, Order report" in markdown
    assert "1 connection(s): orders-conn (Connected); 2 flow(s)" in markdown
    assert "Logic App" not in text + markdown
    impact = json.loads(plan_json(plan))["actions"][1]["impact"]
    assert impact["consumerKind"] == "flow" and impact["flowCount"] == 2 and "logicApps" not in impact
    assert impact["flows"][0]["operations"] == ["DeleteOrder"]
    assert "orders" in pp.connectors  # nothing was written


def test_the_check_at_the_moment_of_deletion_names_a_flow_made_after_the_plan() -> None:
    pp = _deployed_with_flows()
    plan = _plan(pp, _desired(_api("billing")), PlanOptions(allow_connection_loss=frozenset({"orders"})))
    assert not plan.is_blocked
    pp.add_connection("late-conn", "orders")
    pp.add_flow("Late flow", "orders", "late-conn", "ListOrders")
    [result] = [r for r in apply_plan(plan, pp).results if r.name == "orders"]
    assert result.status == "blocked"
    assert "late-conn" in result.message and "(used by flow(s): Late flow)" in result.message
    assert "orders" in pp.connectors


@pytest.mark.parametrize("summary", [True, False], ids=["definitionSummary", "definition"])
def test_a_removed_operation_names_only_the_flows_calling_it(summary: bool) -> None:
    pp = _deployed_with_flows(summary)
    doc = swagger()
    del doc["paths"]["/orders/{id}"]
    plan = _plan(pp, _desired(_api("orders", doc), _api("billing")))
    [update] = plan.changes
    [change] = update.breaking
    assert (change.kind, change.operations) == ("operation-removed", ("DeleteOrder",))
    assert (change.flows, change.logic_apps) == (("Cancel stale orders",), ())
    assert "— flows: Cancel stale orders" in _text(plan)
    assert "1 flow(s): Cancel stale orders" in plan_markdown(plan)
    assert json.loads(plan_json(plan))["actions"][1]["breakingChanges"][0]["flows"] == ["Cancel stale orders"]


def test_a_new_required_parameter_names_the_flows_calling_that_operation() -> None:
    pp = _deployed_with_flows()
    doc = copy.deepcopy(swagger())
    doc["paths"]["/orders"]["get"]["parameters"].append({"name": "tenant", "in": "query", "type": "string",
                                                         "required": True})  # fmt: skip
    [update] = _plan(pp, _desired(_api("orders", doc), _api("billing"))).changes
    [change] = update.breaking
    assert change.kind == "required-parameter-added" and change.flows == ("Order report",)


def test_a_flow_naming_a_same_name_connection_of_another_connector_is_not_counted() -> None:
    pp = _deployed_with_flows()
    pp.add_connection("shared-name", "billing")
    pp.add_connection("shared-name", "orders")
    pp.add_flow("Billing only", "billing", "shared-name", "ListOrders")
    impact = _plan(pp, _desired(_api("billing"))).blocked_actions[0].impact
    assert impact is not None and "Billing only" not in [f.name for f in impact.flows]


def test_a_plan_file_with_flows_round_trips_and_a_new_flow_makes_it_stale(tmp_path: Path) -> None:
    pp = _deployed_with_flows()
    options = PlanOptions(allow_connection_loss=frozenset({"orders"}))
    plan = _plan(pp, _desired(_api("billing")), options)
    save_plan(plan, tmp_path / "plan.json")
    loaded = load_plan(tmp_path / "plan.json")
    assert loaded == plan
    verify_saved_plan(loaded, _plan(pp, _desired(_api("billing")), options))
    pp.flows.append(copy.deepcopy(pp.flows[0]) | {"name": "f-new"})
    pp.flows[-1]["properties"] = {**pp.flows[-1]["properties"], "displayName": "Another flow"}
    with pytest.raises(Exception, match="the flows using its connections changed since the plan was made"):
        verify_saved_plan(loaded, _plan(pp, _desired(_api("billing")), options))


def test_flow_impact_serializes_with_operations() -> None:
    pp = _deployed_with_flows()
    impact = _plan(pp, _desired(_api("billing"))).blocked_actions[0].impact
    assert impact is not None
    assert Impact.from_dict(impact.to_dict()) == impact
    assert {f.name: f.operations for f in impact.flows} == {
        "Cancel stale orders": frozenset({"DeleteOrder"}), "Order report": frozenset({"ListOrders"})}  # fmt: skip


def test_reports_name_power_platform_and_the_permission_a_role_means() -> None:
    pp = InMemoryPowerPlatform()
    desired = _desired(_api(), grants=(_grant("orders", SALES, "CanEdit"),))
    assert "grant edit (CanEdit) to p-1111 (Group)" in _text(_plan(pp, desired))
    _applied(pp, desired)
    pp.permissions[pp.api_names["orders"]].pop(SALES)  # unshared in the portal
    [missing] = detect_drift(desired, observe(pp, drift=True), pp).drift
    assert (missing.kind, missing.detail) == (
        "missing-role-assignment",
        "declared in git but not granted in Power Platform",
    )
    pp.delete_connector("orders")
    [deleted] = [i for i in detect_drift(desired, observe(pp, drift=True), pp).drift if i.kind == "deleted"]
    assert "absent in Power Platform" in deleted.detail
    arm = InMemoryTarget()
    [on_arm] = [i for i in detect_drift(desired, observe(arm, drift=True), arm).drift if i.kind == "deleted"]
    assert "absent in Azure" in on_arm.detail


def test_a_flow_using_same_name_connections_of_two_connectors_counts_only_the_calls_through_ours() -> None:
    pp = _deployed_with_flows()
    pp.add_connection("shared-name", "billing")
    pp.add_connection("shared-name", "orders")
    flow = pp.add_flow("Both", "orders", "shared-name", "DeleteOrder", summary=False)
    billing_api = f"/providers/Microsoft.PowerApps/apis/{pp.api_names['billing']}"
    flow["properties"]["connectionReferences"]["shared_billing"] = {"connectionName": "shared-name", "id": billing_api}
    flow["properties"]["definition"]["actions"]["List"] = {"type": "OpenApiConnection", "inputs": {"host": {
        "connectionName": "shared_billing", "operationId": "ListOrders", "apiId": billing_api}}}  # fmt: skip
    doc = swagger()
    del doc["paths"]["/orders"]  # ListOrders goes from orders; only billing's connection calls it
    [update] = _plan(pp, _desired(_api("orders", doc), _api("billing"))).changes
    assert [c.flows for c in update.breaking if c.kind == "operation-removed"] == [("Order report",)]
    impact = update.impact
    assert impact is not None
    [both] = [f for f in impact.flows if f.name == "Both"]
    assert (both.connections, both.operations) == (("shared-name",), frozenset({"DeleteOrder"}))
