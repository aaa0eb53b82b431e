"""The engine end to end against the HTTPS emulator: every action, guard and drift class.

Each test writes a small repository, reconciles through the same functions the CLI uses and
checks the emulator (through the gateway) and the request counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_e2e_support import (
    commit_all,
    connect_logic_app,
    make_repo,
    openapi,
    reconcile,
    remove_connector,
    write_connector,
)

from connectorops import tags
from connectorops.emulator.faults import FaultConfig, VerbFaults
from connectorops.emulator.server import EmulatorServer
from connectorops.engine.apply import apply_plan
from connectorops.engine.drift import detect_drift
from connectorops.engine.plan import ActionKind, PlanOptions
from connectorops.engine.planfile import verify_saved_plan
from connectorops.errors import PlanBlocked, StalePlanError
from connectorops.gitops.deletion_policy import GitDeletionPolicies
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration


def _apply(root: Path, gateway: ArmGateway, options: PlanOptions | None = None) -> None:
    _, _, plan = reconcile(root, gateway, options)
    report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert report.exit_code == 0, report.to_dict()


def _kinds(plan: object) -> dict[str, str]:
    return {a.key: str(a.kind) for a in plan.actions}  # type: ignore[attr-defined]


def test_create_tags_everything_and_second_apply_writes_nothing(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    _, _, plan = reconcile(root, gateway)
    assert _kinds(plan) == {"customApi:billing": "create", "customApi:orders": "create"}
    assert plan.exit_code == 2
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    live = {api["name"]: api for api in gateway.list_custom_apis()}
    assert set(live) == {"orders", "billing"}
    found = live["orders"]["tags"]
    assert found[tags.MANAGED_BY] == "connectorops"
    assert found[tags.SOURCE_PATH] == "connectors/orders/connector.yaml"
    assert found[tags.SOURCE_COMMIT] == "0" * 40
    assert found[tags.FINGERPRINT] == plan.actions[1].desired_fingerprint
    _, _, again = reconcile(root, gateway)
    assert {str(a.kind) for a in again.actions} == {"noop"} and again.exit_code == 0
    writes = gateway.requests.writes()
    assert apply_plan(again, ResourceGroupTarget(gateway), secrets={}).results == ()
    assert gateway.requests.writes() == writes


def _noop_plan_requests(make_emulator: object, make_gateway: object, tmp_path: Path, count: int) -> dict[str, int]:
    emulator = make_emulator()  # type: ignore[operator]
    gateway = make_gateway(emulator)  # type: ignore[operator]
    (tmp_path / str(count)).mkdir()
    root = make_repo(tmp_path / str(count), *(f"c{i:03d}" for i in range(count)))
    _apply(root, gateway)
    before = dict(gateway.requests.counts)
    _, _, plan = reconcile(root, gateway)
    assert plan.exit_code == 0
    return {f"{v} {t}": n - before.get((v, t), 0) for (v, t), n in gateway.requests.counts.items()
            if n - before.get((v, t), 0)}  # fmt: skip


@pytest.mark.slow
def test_noop_plan_request_count_does_not_grow_with_connectors(
    tmp_path: Path, make_emulator: object, make_gateway: object
) -> None:
    small = _noop_plan_requests(make_emulator, make_gateway, tmp_path, 3)
    large = _noop_plan_requests(make_emulator, make_gateway, tmp_path, 300)
    print(f"\nno-op plan requests: 3 connectors {small}; 300 connectors {large}")
    assert sum(small.values()) == 4  # one list per resource type, nothing per connector
    assert set(large) == set(small)  # no per-connector GETs, no swagger downloads
    # Only extra pages of the customApis list (100 per page): 300 -> 3 pages.
    assert sum(large.values()) - sum(small.values()) <= 2


def test_update_shows_breaking_change_naming_the_logic_app(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders")
    _apply(root, gateway)
    connect_logic_app(gateway, "orders", "orders-conn", "la-nightly-sync")
    connect_logic_app(gateway, "orders", "orders-conn", "la-report", calls=(("get", "/orders"),))
    doc = openapi()
    del doc["paths"]["/orders/{id}"]
    write_connector(root, "orders", doc=doc)
    downloads = gateway.requests.counts[("GET", "swagger")]
    _, _, plan = reconcile(root, gateway)
    (action,) = plan.actions
    assert action.kind == ActionKind.UPDATE
    assert [b.kind for b in action.breaking] == ["operation-removed"]
    assert action.breaking[0].operations == ("DeleteOrder",)
    assert action.breaking[0].logic_apps == ("la-nightly-sync",)  # la-report only lists orders
    assert action.impact is not None and action.impact.logic_app_count == 2
    assert action.impact is not None and [c.name for c in action.impact.connections] == ["orders-conn"]
    assert sum(n for (v, t), n in gateway.requests.counts.items() if "swagger" in t.lower()) >= downloads
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    _, _, after = reconcile(root, gateway, drift=True)
    assert after.exit_code == 0


def test_delete_with_connections_blocked_until_allowed(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    _apply(root, gateway)
    connect_logic_app(gateway, "orders", "orders-conn", "la-orders")
    remove_connector(root, "orders")
    _, _, plan = reconcile(root, gateway)
    (delete,) = plan.changes
    assert delete.kind == ActionKind.DELETE and delete.blocked and plan.exit_code == 1
    assert "la-orders" in delete.reasons[0]
    writes = gateway.requests.writes()
    with pytest.raises(PlanBlocked):
        apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert gateway.requests.writes() == writes
    _apply(root, gateway, PlanOptions(allow_connection_loss=frozenset({"orders"})))
    assert [a["name"] for a in gateway.list_custom_apis()] == ["billing"]


def test_deletion_policy_committed_in_git_allows_connection_loss(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    _apply(root, gateway)
    connect_logic_app(gateway, "orders", "orders-conn", "la-orders")
    write_connector(root, "orders", deletion="allow-connection-loss")
    sha = commit_all(root, "orders: allow connection loss")
    _, _, plan = reconcile(root, gateway, commit=sha)
    assert [c.path for c in plan.changes[0].changes] == [f"tags.{tags.DELETION_POLICY}"]
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    remove_connector(root, "orders")
    policies = GitDeletionPolicies.at(root)
    _, _, plan = reconcile(root, gateway, commit=commit_all(root, "remove orders"), deletion_policies=policies)
    (delete,) = plan.changes
    assert not delete.blocked and f"connectors/orders/connector.yaml at commit {sha[:12]}" in delete.warnings[0]
    assert apply_plan(plan, ResourceGroupTarget(gateway), secrets={}).exit_code == 0
    assert gateway.get_custom_api("orders") is None


def test_orphan_keeps_the_resource_without_our_tags(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders", "billing", deletion="orphan")
    _apply(root, gateway)
    connect_logic_app(gateway, "orders", "orders-conn", "la-orders")
    remove_connector(root, "orders")
    _, _, plan = reconcile(root, gateway)
    assert [str(a.kind) for a in plan.changes] == ["orphan"]
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    kept = gateway.get_custom_api("orders")
    assert kept is not None and not tags.is_managed(kept.get("tags"))
    assert gateway.get_connection("orders-conn") is not None
    _, _, after = reconcile(root, gateway)
    assert after.exit_code == 0 and after.unmanaged == ("orders",)


def test_unmanaged_same_name_conflicts_until_adopted(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders")
    _, _, plan = reconcile(root, gateway)
    body = dict(plan.actions[0].body or {})
    body["tags"] = {"owner": "alice"}
    gateway.put_custom_api("orders", body)  # made by hand in the portal
    _, _, plan = reconcile(root, gateway)
    assert plan.actions[0].blocked and plan.exit_code == 1
    write_connector(root, "orders", extra="")
    (root / "connectors/orders/connector.yaml").write_text(
        (root / "connectors/orders/connector.yaml")
        .read_text()
        .replace("metadata: {name: orders}", "metadata: {name: orders, labels: {connectorops/adopt: 'true'}}")
    )
    _, _, plan = reconcile(root, gateway)
    (adopt,) = plan.actions
    assert adopt.kind == ActionKind.ADOPT and not adopt.blocked
    assert all(c.path.startswith("tags.") for c in adopt.changes)
    writes = gateway.requests.counts[("PATCH", "Microsoft.Web/customApis")]
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert gateway.requests.counts[("PATCH", "Microsoft.Web/customApis")] == writes + 1
    live = gateway.get_custom_api("orders")
    assert live is not None and live["tags"]["owner"] == "alice" and tags.is_managed(live["tags"])
    _, _, after = reconcile(root, gateway, drift=True)
    assert after.exit_code == 0


def test_empty_desired_state_and_max_deletions_guards(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "a1", "a2", "a3", "a4")
    _apply(root, gateway)
    for name in ("a1", "a2", "a3", "a4"):
        remove_connector(root, name)
    _, _, plan = reconcile(root, gateway, PlanOptions(max_deletions=10))
    assert all(a.blocked for a in plan.changes) and "--allow-empty" in plan.changes[0].reasons[0]
    _, _, plan = reconcile(root, gateway, PlanOptions(allow_empty=True))
    assert all(a.blocked for a in plan.changes) and "--max-deletions 3" in plan.changes[0].reasons[0]
    _apply(root, gateway, PlanOptions(allow_empty=True, max_deletions=4))
    assert gateway.list_custom_apis() == []


def test_saved_plan_is_refused_when_the_world_moved(tmp_path: Path, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders")
    _apply(root, gateway)
    write_connector(root, "orders", doc=openapi(info={"title": "Orders", "version": "2", "description": "New one."}))
    _, _, plan = reconcile(root, gateway)
    verify_saved_plan(plan, reconcile(root, gateway)[2])
    live = gateway.get_custom_api("orders")
    assert live is not None
    gateway.patch_custom_api_tags("orders", {**live["tags"], "touched-by": "someone"})
    with pytest.raises(StalePlanError, match="'orders' changed since the plan was made"):
        verify_saved_plan(plan, reconcile(root, gateway)[2])


def test_drift_classes_and_fix(tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway) -> None:
    root = make_repo(tmp_path, "orders", "billing", "gone")
    _apply(root, gateway)
    # someone edits the connector in the portal: same tags, another display name and swagger
    desired_body = reconcile(root, gateway)[0].custom_api("orders")
    assert desired_body is not None
    hand = {**desired_body.body, "properties": {**desired_body.body["properties"], "displayName": "Hand edited"}}
    hand["properties"]["swagger"] = openapi(paths={})
    gateway.put_custom_api("orders", hand)
    gateway.delete_custom_api("gone")
    gateway.put_custom_api("handmade", {"location": "westeurope", "properties": {"displayName": "x"}, "tags": {}})
    desired, observed, _ = reconcile(root, gateway, drift=True)
    report = detect_drift(desired, observed, ResourceGroupTarget(gateway))
    kinds = {(i.kind, i.connector) for i in report.items}
    assert kinds == {("modified", "orders"), ("deleted", "gone"), ("unmanaged", "handmade")}
    modified = next(i for i in report.items if i.kind == "modified")
    paths = {c.path for c in modified.changes}
    assert "properties.displayName" in paths and any(p.startswith("properties.swagger.paths") for p in paths)
    assert report.exit_code == 2
    _, _, fix = reconcile(root, gateway, drift=True)
    assert sorted(_kinds(fix).values()) == ["create", "noop", "update"]
    apply_plan(fix, ResourceGroupTarget(gateway), secrets={})
    desired, observed, _ = reconcile(root, gateway, drift=True)
    after = detect_drift(desired, observed, ResourceGroupTarget(gateway))
    assert [(i.kind, i.severity) for i in after.items] == [("unmanaged", "info")] and after.exit_code == 0
    assert gateway.get_custom_api("handmade") is not None  # never touched


def test_partial_failure_reports_what_was_and_was_not_done(
    tmp_path: Path, make_emulator: object, make_gateway: object
) -> None:
    db = tmp_path / "emulator.db"
    first = make_emulator(db)  # type: ignore[operator]
    root = make_repo(tmp_path, "keep", "orph", "old")
    write_connector(root, "orph", deletion="orphan")
    _apply(root, make_gateway(first))  # type: ignore[operator]
    first.stop()
    remove_connector(root, "orph")
    remove_connector(root, "old")
    write_connector(root, "fresh")
    failing = make_emulator(db, faults=FaultConfig(per_verb={"PUT": VerbFaults(error_500=1.0)}))  # type: ignore[operator]
    gateway = make_gateway(failing)  # type: ignore[operator]
    _, _, plan = reconcile(root, gateway)
    assert sorted(_kinds(plan).values()) == ["create", "delete", "noop", "orphan"]
    report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert {r.name: r.status for r in report.results} == {"fresh": "failed", "orph": "done", "old": "skipped"}
    assert report.exit_code == 1 and "500" in report.failed[0].message
    assert gateway.get_custom_api("old") is not None  # deletions never run after a failed earlier phase
