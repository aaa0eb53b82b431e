"""make_plan: actions, guards, sharing and the plan as a serializable value."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from engine_support import RG_ID, InMemoryTarget, desired_api, desired_state, grant, swagger

from connectorops import tags
from connectorops.definitions.model import ResolvedConnector
from connectorops.engine.actions import ActionKind, PlanOptions, Verdict
from connectorops.engine.deletion_policy import DeletionPolicy, DeletionPolicySource
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, blocked_message, make_plan
from connectorops.errors import Problem, Severity
from connectorops.policy.certification.findings import Finding


def _deploy(gw: InMemoryTarget, *apis: object) -> None:
    for api in apis:
        gw.put_custom_api(api.name, api.body)  # type: ignore[attr-defined]


def _plan(gw: InMemoryTarget, desired: object, options: PlanOptions | None = None) -> Plan:
    observed = observe(gw, desired=desired.custom_apis)  # type: ignore[attr-defined,arg-type]
    return make_plan(desired, observed, options)  # type: ignore[arg-type]


def _kinds(plan: Plan) -> dict[str, str]:
    return {a.key: str(a.kind) for a in plan.actions}


def test_create_then_noop_after_deploy() -> None:
    gw = InMemoryTarget()
    desired = desired_state(desired_api("orders"), desired_api("billing"))
    plan = _plan(gw, desired)
    assert _kinds(plan) == {"customApi:billing": "create", "customApi:orders": "create"}
    assert plan.exit_code == 2
    _deploy(gw, *desired.custom_apis)
    again = _plan(gw, desired)
    assert {str(a.kind) for a in again.actions} == {"noop"}
    assert again.exit_code == 0


def test_update_carries_field_diff_impact_and_breaking_changes() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api())
    gw.add_workflow("la-orders", gw.add_connection("orders-conn", "orders"))
    doc = swagger()
    del doc["paths"]["/orders/{id}"]
    plan = _plan(gw, desired_state(desired_api(doc=doc)))
    (action,) = plan.actions
    assert action.kind == ActionKind.UPDATE
    assert any(c.path.startswith("properties.swagger.paths") for c in action.changes)
    assert action.impact is not None and action.impact.logic_app_count == 1
    assert [b.kind for b in action.breaking] == ["operation-removed"]
    assert action.breaking[0].logic_apps == ("la-orders",)
    assert action.observed_etag is not None and action.desired_fingerprint is not None


def test_out_of_band_edit_with_matching_fingerprint_is_an_update_without_swagger_download() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    _deploy(gw, api)
    gw.custom_apis["orders"]["properties"]["displayName"] = "Hand edited"
    before = gw.requests.counts[("GET", "swagger")]
    plan = _plan(gw, desired_state(api))
    assert [c.path for c in plan.actions[0].changes] == ["properties.displayName"]
    assert gw.requests.counts[("GET", "swagger")] == before


def test_unmanaged_same_name_is_a_blocked_conflict_unless_adopted() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", {**api.body, "tags": {"owner": "alice"}})
    plan = _plan(gw, desired_state(api))
    (action,) = plan.actions
    assert action.kind == ActionKind.CREATE and action.verdict == Verdict.BLOCK
    assert "not managed by connectorops" in action.reasons[0]
    assert plan.exit_code == 1
    adopted = _plan(gw, desired_state(desired_api(labels={"connectorops/adopt": "true"})))
    (adopt,) = adopted.actions
    assert adopt.kind == ActionKind.ADOPT and not adopt.blocked
    assert adopt.body is not None and "properties" not in adopt.body  # tags only: nothing else differs
    assert adopt.body["tags"]["owner"] == "alice" and adopt.body["tags"][tags.MANAGED_BY] == "connectorops"


def test_delete_with_connections_is_blocked_unless_allowed() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders"), desired_api("billing"))
    gw.add_workflow("la-orders", gw.add_connection("orders-conn", "orders"))
    desired = desired_state(desired_api("billing"))
    plan = _plan(gw, desired)
    delete = next(a for a in plan.actions if a.name == "orders")
    assert delete.kind == ActionKind.DELETE and delete.blocked
    assert "la-orders" in delete.reasons[0] and "--allow-connection-loss orders" in delete.reasons[1]
    allowed = _plan(gw, desired, PlanOptions(allow_connection_loss=frozenset({"orders"})))
    delete = next(a for a in allowed.actions if a.name == "orders")
    assert not delete.blocked and "allowed by --allow-connection-loss" in delete.warnings[0]
    assert allowed.exit_code == 2
    assert not [p for p in allowed.problems if p.code == "plan.unused_allowance"]


def test_a_misspelt_allow_connection_loss_is_reported_and_allows_nothing() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders"), desired_api("billing"))
    gw.add_connection("orders-conn", "orders")
    plan = _plan(gw, desired_state(desired_api("billing")), PlanOptions(allow_connection_loss=frozenset({"order"})))
    assert next(a for a in plan.actions if a.name == "orders").blocked
    (warning,) = [p for p in plan.problems if p.code == "plan.unused_allowance"]
    assert "order" in warning.message and warning.hint is not None and "orders" in warning.hint
    assert plan.exit_code == 1


def _git_says(value: str) -> DeletionPolicySource:
    def policy(*, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
        return DeletionPolicy(value, f"{source_path} at commit {commit}")

    return policy


def test_deletion_policy_comes_from_git_and_never_from_the_tag() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders", lifecycle={"deletion": "allow-connection-loss"}), desired_api("billing"))
    gw.add_connection("orders-conn", "orders")
    desired = desired_state(desired_api("billing"))
    # The tag says allow-connection-loss (edited in the portal, or written by an apply): no git, no allowance.
    delete = next(a for a in _plan(gw, desired).actions if a.name == "orders")
    assert delete.kind == ActionKind.DELETE and delete.blocked
    assert "a tag edited outside git authorizes nothing" in delete.warnings[0]
    assert "no git history" in delete.reasons[-1]
    git = make_plan(desired, observe(gw), deletion_policies=_git_says("allow-connection-loss"))
    delete = next(a for a in git.actions if a.name == "orders")
    assert not delete.blocked and delete.deletion_policy == "allow-connection-loss"
    assert "connectors/orders/connector.yaml at commit c0ffee" in delete.warnings[-1]
    protected = make_plan(desired, observe(gw), deletion_policies=_git_says("protect"))
    assert next(a for a in protected.actions if a.name == "orders").blocked


def test_an_allowance_records_exactly_the_connections_it_was_shown() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders"), desired_api("billing"))
    gw.add_connection("orders-conn", "orders")
    plan = _plan(gw, desired_state(desired_api("billing")), PlanOptions(allow_connection_loss=frozenset({"orders"})))
    delete = next(a for a in plan.actions if a.name == "orders")
    assert not delete.blocked and delete.acknowledged_connections == ("orders-conn",)
    assert "for these connections only: orders-conn" in delete.warnings[-1]


def test_orphan_policy_removes_our_tags_and_keeps_the_others() -> None:
    gw = InMemoryTarget()
    api = desired_api("orders", lifecycle={"deletion": "orphan"})
    gw.put_custom_api("orders", {**api.body, "tags": {**api.body["tags"], "owner": "alice"}})
    _deploy(gw, desired_api("billing"))
    plan = _plan(gw, desired_state(desired_api("billing")))
    orphan = next(a for a in plan.actions if a.name == "orders")
    assert orphan.kind == ActionKind.ORPHAN
    assert orphan.body == {"tags": {"owner": "alice"}}


def test_broken_connector_is_never_deleted() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders"))
    plan = _plan(gw, desired_state(declared=frozenset({"orders"})))
    assert plan.actions == ()


def test_empty_desired_state_refused_unless_allowed() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders"))
    plan = _plan(gw, desired_state())
    assert plan.actions[0].blocked and "--allow-empty" in plan.actions[0].reasons[-1]
    assert not _plan(gw, desired_state(), PlanOptions(allow_empty=True)).actions[0].blocked


def test_max_deletions_blocks_every_delete() -> None:
    gw = InMemoryTarget()
    names = ["a1", "a2", "a3", "a4"]
    _deploy(gw, *(desired_api(n) for n in names), desired_api("keep"))
    plan = _plan(gw, desired_state(desired_api("keep")), PlanOptions(max_deletions=3))
    deletes = [a for a in plan.actions if a.kind == ActionKind.DELETE]
    assert len(deletes) == 4 and all(a.blocked for a in deletes)
    assert all("--max-deletions 3" in a.reasons[-1] for a in deletes)
    assert not any(
        a.blocked for a in _plan(gw, desired_state(desired_api("keep")), PlanOptions(max_deletions=4)).actions
    )


def test_unmanaged_and_other_environment_resources_are_never_touched() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("handmade", {"location": "westeurope", "properties": {}, "tags": {}})
    _deploy(gw, desired_api("prodonly", env="prod"))
    plan = _plan(gw, desired_state(desired_api("orders")))
    assert _kinds(plan) == {"customApi:orders": "create"}
    assert plan.unmanaged == ("handmade",)


def test_role_assignments_created_and_undeclared_ones_revoked() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    _deploy(gw, api)
    wanted = grant()
    plan = _plan(gw, desired_state(api, grants=(wanted,)))
    (create,) = [a for a in plan.actions if a.resource_type == "roleAssignment"]
    assert create.kind == ActionKind.CREATE and create.name == wanted.name
    assert create.body == wanted.body() and "sales-team" in str(create.principal)
    gw.put_role_assignment(wanted.scope, wanted.name, wanted.body())
    stranger = grant(principal_id="22222222-2222-2222-2222-222222222222")
    gw.put_role_assignment(stranger.scope, "out-of-band", stranger.body())
    gw.put_role_assignment(RG_ID, "inherited", stranger.body())
    plan = _plan(gw, desired_state(api, grants=(wanted,)))
    (revoke,) = [a for a in plan.actions if a.resource_type == "roleAssignment"]
    assert revoke.kind == ActionKind.DELETE and revoke.name == "out-of-band"


def test_plan_round_trips_through_dict_with_same_fingerprint() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("orders"))
    gw.add_connection("orders-conn", "orders")
    plan = _plan(gw, desired_state(desired_api("billing"), grants=(grant("billing"),)))
    again = Plan.from_dict(copy.deepcopy(plan.to_dict()))
    assert again == plan
    assert again.fingerprint == plan.fingerprint


def test_touched_connectors_come_first_and_are_marked() -> None:
    gw = InMemoryTarget()
    plan = _plan(gw, desired_state(desired_api("alpha"), desired_api("zulu")), PlanOptions(touched=frozenset({"zulu"})))
    assert [(a.name, a.touched) for a in plan.actions] == [("zulu", True), ("alpha", False)]


def test_update_keeps_tags_others_put_on_the_resource() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", {**api.body, "tags": {**api.body["tags"], "cost-center": "42"}})
    plan = _plan(gw, desired_state(desired_api(description="Changed.")))
    (update,) = plan.actions
    assert update.kind == ActionKind.UPDATE and update.body is not None
    assert update.body["tags"]["cost-center"] == "42"
    assert update.body["tags"][tags.FINGERPRINT] == update.desired_fingerprint


def test_update_warns_when_the_deployed_swagger_cannot_be_read() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api())
    gw.swaggers.clear()
    (update,) = _plan(gw, desired_state(desired_api(description="Changed."))).actions
    assert update.kind == ActionKind.UPDATE and update.breaking == ()
    assert "breaking changes are unknown" in update.warnings[0]


def _with_secret(ref: dict[str, object], name: str = "orders") -> object:
    from engine_support import connector, resolved

    from connectorops.targets.arm.render import render_custom_api

    params = {"token": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "aad", "clientId": "app"}}}
    definition = resolved(connection_parameters=params, secret_refs={"/token/oAuthSettings/clientSecret": ref})
    return render_custom_api(
        ResolvedConnector.from_definition(connector(name), "dev", definition), location="westeurope", commit="c0ffee"
    )


def test_rotate_secrets_turns_a_noop_into_an_update_that_resends_the_secret() -> None:
    gw = InMemoryTarget()
    orders, billing = _with_secret({"env": "ORDERS_SECRET"}), desired_api("billing")
    _deploy(gw, orders, billing)
    desired = desired_state(orders, billing)
    assert {str(a.kind) for a in _plan(gw, desired).actions} == {"noop"}

    plan = _plan(gw, desired, PlanOptions(rotate_secrets=frozenset({"Orders", "billing"})))
    kinds = _kinds(plan)
    assert kinds == {"customApi:orders": "update", "customApi:billing": "noop"}
    [update] = plan.changes
    assert update.rotated_secrets == ("/token/oAuthSettings/clientSecret",) and update.changes == ()
    assert update.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "ORDERS_SECRET"}}
    assert update.body is not None and update.observed_etag is not None  # a full PUT, If-Match as any update
    # billing has no secret: named in vain, said so
    assert [p.code for p in plan.problems] == ["plan.unused_rotation"] and "billing" in plan.problems[0].message
    again = Plan.from_dict(plan.to_dict())
    assert again.changes[0].rotated_secrets == update.rotated_secrets and again.fingerprint == plan.fingerprint
    assert again.options.rotate_secrets == frozenset({"Orders", "billing"})
    assert _kinds(_plan(gw, desired, PlanOptions(rotate_secrets=frozenset({"*"})))) == kinds


def test_pinned_key_vault_version_is_in_the_fingerprint_so_changing_it_is_an_update() -> None:
    gw = InMemoryTarget()
    v1 = _with_secret({"keyVault": {"vault": "kv-orders", "secret": "orders-secret", "version": "v1"}})
    v2 = _with_secret({"keyVault": {"vault": "kv-orders", "secret": "orders-secret", "version": "v2"}})
    latest = _with_secret({"keyVault": {"vault": "kv-orders", "secret": "orders-secret"}})
    assert len({v1.fingerprint, v2.fingerprint, latest.fingerprint}) == 3  # type: ignore[attr-defined]
    _deploy(gw, v1)
    assert _kinds(_plan(gw, desired_state(v1))) == {"customApi:orders": "noop"}
    [action] = _plan(gw, desired_state(v2)).actions
    assert action.kind == ActionKind.UPDATE and not action.rotated_secrets
    assert [c.path for c in action.changes] == [f"tags.{tags.FINGERPRINT}"]


def test_rotation_wording_names_the_reference_never_a_value() -> None:
    from connectorops.report.wording import secret_rotations

    gw = InMemoryTarget()
    api = _with_secret({"keyVault": {"vault": "kv-orders", "secret": "orders-secret", "version": "v7"}})
    _deploy(gw, api)
    [action] = _plan(gw, desired_state(api), PlanOptions(rotate_secrets=frozenset({"orders"}))).actions
    assert secret_rotations(action) == [
        "secret rotation: connectionParameters/token/oAuthSettings/clientSecret re-sent from "
        "Key Vault kv-orders/orders-secret, version v7 (value not shown)"
    ]


def test_make_plan_is_pure_the_clock_is_passed_in() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("billing"))
    desired = desired_state(desired_api("orders"))  # one create, one (protected) delete
    at = datetime(2026, 11, 29, 17, 30, 5, 123456, tzinfo=UTC)
    first = make_plan(desired, observe(gw, desired=desired.custom_apis), now=at)
    second = make_plan(desired, observe(gw, desired=desired.custom_apis), now=at)
    assert first.to_dict() == second.to_dict()
    assert first.to_dict()["createdAt"] == "2026-11-29T17:30:05Z"
    later = make_plan(desired, observe(gw, desired=desired.custom_apis), now=at + timedelta(hours=1))
    assert later.created_at == "2026-11-29T18:30:05Z"
    assert later.fingerprint == first.fingerprint  # when it was made is not what it does
    assert make_plan(desired, observe(gw, desired=desired.custom_apis)).created_at == ""  # no clock read


def test_why_a_plan_is_blocked_is_said_once_for_apply_the_controller_and_pulumi() -> None:
    gw = InMemoryTarget()
    _deploy(gw, desired_api("billing"))
    gw.add_connection("billing-conn", "billing")
    mandatory = Finding("R1", Severity.WARNING, "mandatory", "connectors/orders/openapi.yaml", "/paths", "bad", "fix")
    advisory = mandatory.with_enforcement("advisory")
    desired = replace(
        desired_state(desired_api("orders")),
        problems=(Problem("broken", file="connectors/x/connector.yaml"), Problem("warn", severity=Severity.WARNING)),
        findings=tuple(replace(f, connector="orders") for f in (mandatory, advisory)),
    )
    plan = _plan(gw, desired)
    reasons = plan.blocked_reasons()
    assert [str(r) for r in reasons[1:]] == ["connectors/x/connector.yaml: broken", str(mandatory.to_problem())]
    assert reasons[0].message.startswith("customApi:billing: ") and "1 connection(s)" in reasons[0].message
    message = blocked_message("the plan", "nothing was applied", reasons, limit=2, more="see the plan")
    assert message.splitlines() == [
        "the plan is blocked, nothing was applied:",
        f"  {reasons[0]}",
        "  connectors/x/connector.yaml: broken",
        "  ... and 1 more (see the plan)",
    ]
    assert blocked_message("the plan", "nothing was applied") == "the plan is blocked, nothing was applied"
    assert _plan(gw, desired_state(desired_api("billing"))).blocked_reasons() == []
