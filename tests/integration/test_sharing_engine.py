"""Sharing end to end against the emulator: policy-checked grants applied, drift found and fixed.

The engine (desired -> observe -> plan -> apply) runs exactly as the CLI runs it; the emulator
speaks ARM's roleAssignments API over HTTPS and knows the principals of policies/sharing.yaml.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from connectorops.emulator.server import EmulatorServer
from connectorops.engine.apply import apply_plan
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.drift import detect_drift
from connectorops.engine.observe import ObservedState, observe
from connectorops.engine.plan import Plan, PlanOptions, make_plan
from connectorops.errors import PlanBlocked
from connectorops.policy.sharing import load_sharing_policy
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration

SALES = "5b0b6a39-2f0e-4d8b-9a71-1c6f3e8d2a01"
SUPPORT = "c7e2d1a8-4b6f-4a93-8d05-6f1e2b9c7a04"
ALICE = "0f6a3c9e-8b27-4d15-9e4a-7c2b1d8f5e05"
BOT = "e1b4c8d2-5f3a-4c67-b9e0-2d8a6f4c1b06"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"

SHARING = f"""
principals:
  sales-team: {{objectId: {SALES}, type: Group}}
  support-team: {{objectId: {SUPPORT}, type: Group}}
  alice: {{objectId: {ALICE}, type: User}}
  deploy-bot: {{objectId: {BOT}, type: ServicePrincipal}}
rules:
  - {{name: no-service-principal-edits, effect: deny, principalTypes: [ServicePrincipal], roles: [edit]}}
  - {{name: owning-team-edits, effect: allow, principals: ["{{label:team}}-team"], roles: [edit, use]}}
  - {{name: support-uses, effect: allow, principals: [support-team], roles: [use]}}
"""

OPENAPI = """
swagger: "2.0"
info: {title: Orders, version: "1.0", description: Read the orders of the Contoso order service.}
host: orders.contoso.com
basePath: /api
schemes: [https]
paths:
  /orders:
    get:
      operationId: ListOrders
      summary: List orders
      responses:
        "200": {description: The orders., schema: {type: array, items: {type: object}}}
"""


def write_repo(root: Path, sharing: str) -> Path:
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "sharing.yaml").write_text(SHARING)
    folder = root / "connectors" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "openapi.yaml").write_text(OPENAPI)
    (folder / "connector.yaml").write_text(
        "apiVersion: connectorops/v1\nkind: Connector\n"
        "metadata: {name: orders, labels: {team: sales}}\n"
        "spec:\n  definition: {openapi: openapi.yaml}\n"
        "  backend: {serviceUrl: https://orders.contoso.com/api}\n"
        f"  sharing: {sharing}\n"
    )
    return root


def seed(emulator: EmulatorServer, root: Path) -> None:
    policy, problems = load_sharing_policy(FileSystemTree(root))
    assert policy is not None and problems == []
    for entry in policy.directory_entries():
        emulator.add_principal(*entry)


def reconcile(root: Path, gateway: ArmGateway) -> tuple[DesiredState, ObservedState, Plan]:
    repo = load_repository(FileSystemTree(root))
    assert repo.errors == []
    target = ResourceGroupTarget(gateway)
    desired = build_desired_state(repo, "local", placement=target, commit=None)
    observed = observe(target, desired=desired.custom_apis, drift=True)
    plan = make_plan(desired, observed, PlanOptions(), target=target.identity)
    return desired, observed, plan


def assignments_at(gateway: ArmGateway, scope: str) -> list[dict[str, Any]]:
    return [
        ra
        for ra in gateway.list_role_assignments(scope)
        if str(ra["properties"].get("scope", "")).lower() == scope.lower()
    ]


def grant(gateway: ArmGateway, scope: str, principal: str, principal_type: str) -> str:
    role = f"/subscriptions/{gateway.target.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    body = {"properties": {"roleDefinitionId": role, "principalId": principal, "principalType": principal_type}}
    return str(gateway.put_role_assignment(scope, str(uuid.uuid4()), body)["id"])


ALLOWED = "[{principal: sales-team, role: edit}, {principal: support-team, role: use}]"


@pytest.fixture
def applied(tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway) -> Path:
    root = write_repo(tmp_path, ALLOWED)
    seed(emulator, root)
    _, _, plan = reconcile(root, gateway)
    assert not plan.is_blocked
    report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert all(r.status == "done" for r in report.results), report.to_dict()
    return root


def test_allowed_grants_are_applied_with_deterministic_names(applied: Path, gateway: ArmGateway) -> None:
    desired, _, _ = reconcile(applied, gateway)
    scope = gateway.custom_api_id("orders")
    live = assignments_at(gateway, scope)
    assert sorted(ra["name"] for ra in live) == sorted(g.name for g in desired.role_assignments)
    assert {ra["properties"]["principalId"] for ra in live} == {SALES, SUPPORT}


def test_apply_twice_creates_nothing_new(applied: Path, gateway: ArmGateway) -> None:
    scope = gateway.custom_api_id("orders")
    before = sorted(ra["name"] for ra in assignments_at(gateway, scope))
    _, _, plan = reconcile(applied, gateway)
    assert [a for a in plan.changes if a.resource_type.lower().endswith("roleassignments")] == []
    writes = gateway.requests.writes()
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert gateway.requests.writes() == writes  # nothing left to do: no request at all
    assert sorted(ra["name"] for ra in assignments_at(gateway, scope)) == before


def test_removing_a_grant_from_git_revokes_it(applied: Path, gateway: ArmGateway) -> None:
    write_repo(applied, "[{principal: sales-team, role: edit}]")
    _, _, plan = reconcile(applied, gateway)
    apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    live = assignments_at(gateway, gateway.custom_api_id("orders"))
    assert {ra["properties"]["principalId"] for ra in live} == {SALES}


def test_forbidden_grant_is_refused_before_any_write(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway
) -> None:
    root = write_repo(tmp_path, "[{principal: deploy-bot, role: edit}]")
    seed(emulator, root)
    desired, _, plan = reconcile(root, gateway)
    [violation] = [p for p in desired.problems if p.code == "SharingPolicyViolation"]
    assert "'no-service-principal-edits'" in violation.message and "'deploy-bot'" in violation.message
    assert (violation.file, violation.line) == ("connectors/orders/connector.yaml", 7)
    assert plan.is_blocked and plan.exit_code == 1
    with pytest.raises(PlanBlocked):
        apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert gateway.requests.writes() == 0
    assert gateway.list_custom_apis() == []


def test_out_of_band_grant_is_reported_and_revoked_inherited_one_left_alone(applied: Path, gateway: ArmGateway) -> None:
    scope = gateway.custom_api_id("orders")
    extra = grant(gateway, scope, ALICE, "User")  # shared in the portal
    inherited = grant(gateway, gateway.resource_group_id(), ALICE, "User")

    desired, observed, _ = reconcile(applied, gateway)
    report = detect_drift(desired, observed, ResourceGroupTarget(gateway))
    by_kind = {(i.kind, i.resource_id.lower()) for i in report.items}
    assert ("extra-role-assignment", extra.lower()) in by_kind
    assert ("inherited-role-assignment", inherited.lower()) in by_kind
    assert [i.severity for i in report.items if i.kind == "inherited-role-assignment"] == ["info"]
    assert report.exit_code == 2

    # drift --fix: apply the correcting plan
    _, _, fix = reconcile(applied, gateway)
    deletes = [a.resource_id.lower() for a in fix.changes if a.kind == "delete"]
    assert deletes == [extra.lower()]
    apply_plan(fix, ResourceGroupTarget(gateway), secrets={})
    live = {ra["id"].lower() for ra in gateway.list_role_assignments(scope)}
    assert extra.lower() not in live
    assert inherited.lower() in live

    desired, observed, _ = reconcile(applied, gateway)
    assert detect_drift(desired, observed, ResourceGroupTarget(gateway)).exit_code == 0


def test_a_forbidden_request_does_not_show_allowed_grants_as_deletions(applied: Path, gateway: ArmGateway) -> None:
    write_repo(applied, ALLOWED[:-1] + ", {principal: deploy-bot, role: edit}]")
    desired, _, plan = reconcile(applied, gateway)
    assert plan.is_blocked
    assert [p.code for p in desired.problems if p.severity == "error"] == ["SharingPolicyViolation"]
    assert [a for a in plan.changes if "roleassignment" in a.resource_type.lower()] == []
