"""Sharing on a Power Platform target: role names -> CanView/CanViewWithShare/CanEdit, the tenant as a principal
(CanView only), service principals refused, one permission per principal; ARM unchanged."""

from __future__ import annotations

import pytest
from policy_support import ALICE, ROBOT, SALES, DictTree, connector

from connectorops.policy.role_assignments import classify_assignments, role_assignment_name
from connectorops.policy.roles import ARM_PLATFORM, POWER_PLATFORM
from connectorops.policy.sharing import (
    SharingPolicy,
    check_sharing,
    desired_role_assignments,
    load_sharing_policy,
    platform_of,
)
from connectorops.spec.models import AzureEnvironment, LocalEnvironment, PowerPlatformEnvironment
from connectorops.spec.repository import ConnectorInEnvironment

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SCOPE = "/providers/Microsoft.PowerApps/environments/env-1/customConnectors/orders"

POLICY_YAML = f"""\
principals:
  sales-team: {{objectId: {SALES}, type: Group}}
  alice: {{objectId: {ALICE}, type: User}}
  deploy-bot: {{objectId: {ROBOT}, type: ServicePrincipal}}
  everyone: {{objectId: {TENANT}, type: Tenant, displayName: Contoso}}
roles:
  operate: {{roleDefinitionId: 515c2055-d9d4-4321-b1b9-bd0c9a0f79fe}}
  view: {{powerPlatformRole: CanView}}
  use: {{roleDefinitionId: 515c2055-d9d4-4321-b1b9-bd0c9a0f79fe, powerPlatformRole: CanViewWithShare}}
rules:
  - name: everything-for-everyone
    effect: allow
"""
RULE_LINE = POLICY_YAML.splitlines().index("  - name: everything-for-everyone") + 1

CONNECTOR_YAML = """\
apiVersion: connectorops/v1
kind: Connector
metadata: {name: orders}
spec:
  definition: {openapi: openapi.yaml}
  sharing:
    - {principal: sales-team, role: edit}
    - {principal: everyone, role: edit}
"""


@pytest.fixture()
def policy() -> SharingPolicy:
    loaded, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": POLICY_YAML}))
    assert problems == []
    assert loaded is not None
    return loaded


def _grants(policy: SharingPolicy, *requests: tuple[str, str], platform: str = POWER_PLATFORM) -> list[tuple[str, str]]:
    c = connector(sharing=[{"principal": p, "role": r} for p, r in requests])
    found = desired_role_assignments(
        ConnectorInEnvironment.of(c, "makers"), policy, scope=SCOPE, role_id=lambda r: r, platform=platform
    )
    return [(g.principal_name, g.role_definition_id) for g in found]


def test_default_roles_map_to_permissions_and_a_role_entry_overrides_per_platform(policy: SharingPolicy) -> None:
    assert _grants(policy, ("sales-team", "edit")) == [("sales-team", "CanEdit")]
    assert _grants(policy, ("alice", "read")) == [("alice", "CanView")]
    assert _grants(policy, ("alice", "share")) == [("alice", "CanViewWithShare")]
    assert _grants(policy, ("alice", "view")) == [("alice", "CanView")]
    # `use` says powerPlatformRole: CanViewWithShare; on ARM it keeps its roleDefinitionId
    assert _grants(policy, ("alice", "use")) == [("alice", "CanViewWithShare")]
    assert _grants(policy, ("alice", "use"), platform=ARM_PLATFORM) == [
        ("alice", "515c2055-d9d4-4321-b1b9-bd0c9a0f79fe")
    ]


def test_grant_names_are_deterministic_per_scope_principal_and_permission(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "sales-team", "role": "edit"}])
    first = desired_role_assignments(
        ConnectorInEnvironment.of(c, "makers"), policy, scope=SCOPE, role_id=lambda r: r, platform=POWER_PLATFORM
    )
    again = desired_role_assignments(
        ConnectorInEnvironment.of(c, "makers"), policy, scope=SCOPE, role_id=lambda r: r, platform=POWER_PLATFORM
    )
    assert [g.name for g in first] == [g.name for g in again] == [role_assignment_name(SCOPE, SALES, "CanEdit")]
    assert first[0].name != role_assignment_name(SCOPE, SALES, "CanView")
    assert first[0].principal_type == "Group"


def test_use_and_read_both_mean_canview_and_give_one_grant(policy: SharingPolicy) -> None:
    assert _grants(policy, ("alice", "read"), ("alice", "view")) == [("alice", "CanView")]
    c = connector(sharing=[{"principal": "alice", "role": "read"}, {"principal": "alice", "role": "view"}])
    assert check_sharing(ConnectorInEnvironment.of(c, "makers"), policy, platform=POWER_PLATFORM) == []


def test_tenant_with_more_than_canview_is_refused_at_the_request_line_naming_the_rule(policy: SharingPolicy) -> None:
    tree = DictTree({"connectors/orders/connector.yaml": CONNECTOR_YAML, "policies/sharing.yaml": POLICY_YAML})
    c = connector(sharing=[{"principal": "sales-team", "role": "edit"}, {"principal": "everyone", "role": "edit"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "makers"), policy, tree=tree, platform=POWER_PLATFORM)
    assert problem.code == "InvalidTenantPermission"
    assert (problem.file, problem.line, problem.field) == ("connectors/orders/connector.yaml", 8, "spec.sharing.1")
    assert f"rule 'everything-for-everyone' (policies/sharing.yaml:{RULE_LINE})" in problem.message
    assert "CanEdit" in problem.message and "'orders'" in problem.message and "CanView only" in problem.message
    # and no grant is planned for it, while the group's grant stands
    assert _grants(policy, ("sales-team", "edit"), ("everyone", "edit")) == [("sales-team", "CanEdit")]


def test_tenant_may_view(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "everyone", "role": "read"}])
    assert check_sharing(ConnectorInEnvironment.of(c, "makers"), policy, platform=POWER_PLATFORM) == []
    assert _grants(policy, ("everyone", "read")) == [("everyone", "CanView")]


@pytest.mark.parametrize("role", ["share", "edit", "use"])
def test_every_role_above_canview_for_the_tenant_is_refused(policy: SharingPolicy, role: str) -> None:
    c = connector(sharing=[{"principal": "everyone", "role": role}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "makers"), policy, platform=POWER_PLATFORM)
    assert problem.code == "InvalidTenantPermission"


def test_service_principals_are_refused_on_power_platform(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "deploy-bot", "role": "read"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "makers"), policy, platform=POWER_PLATFORM)
    assert problem.code == "PrincipalTypeNotOnTarget"
    assert "users, groups and the tenant only" in problem.message and "'deploy-bot'" in problem.message
    assert _grants(policy, ("deploy-bot", "read")) == []
    assert check_sharing(ConnectorInEnvironment.of(c, "dev"), policy) == []  # a role assignment on ARM


def test_the_tenant_is_refused_on_arm(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "everyone", "role": "read"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "dev"), policy, platform=ARM_PLATFORM)
    assert problem.code == "PrincipalTypeNotOnTarget"
    assert _grants(policy, ("everyone", "read"), platform=ARM_PLATFORM) == []


def test_a_role_without_meaning_on_the_platform_says_which_field_to_add(policy: SharingPolicy) -> None:
    operate = connector(sharing=[{"principal": "alice", "role": "operate"}])
    on_pp = check_sharing(ConnectorInEnvironment.of(operate, "m"), policy, platform=POWER_PLATFORM)
    on_arm = check_sharing(
        ConnectorInEnvironment.of(connector(sharing=[{"principal": "alice", "role": "share"}]), "d"), policy
    )
    assert [(p.code, "powerPlatformRole" in (p.hint or "")) for p in on_pp] == [("RoleNotOnTarget", True)]
    assert [(p.code, "roleDefinitionId" in (p.hint or "")) for p in on_arm] == [("RoleNotOnTarget", True)]


def test_two_permissions_for_one_principal_are_refused(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "alice", "role": "read"}, {"principal": "alice", "role": "edit"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "makers"), policy, platform=POWER_PLATFORM)
    assert problem.code == "OnePermissionPerPrincipal" and problem.field == "spec.sharing.1"
    assert _grants(policy, ("alice", "read"), ("alice", "edit")) == [("alice", "CanView")]
    assert (
        check_sharing(ConnectorInEnvironment.of(c, "dev"), policy) == []
    )  # ARM holds several role assignments per principal


def test_a_role_entry_must_name_a_role_on_some_platform() -> None:
    text = "roles:\n  nothing: {description: what}\n"
    _, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": text}))
    [problem] = problems
    assert problem.line == 2 and "powerPlatformRole" in problem.message


def test_rules_may_name_power_platform_roles(policy: SharingPolicy) -> None:
    text = (
        POLICY_YAML
        + "  - {name: share-ok, effect: allow, roles: [share]}\n  - {name: typo, effect: allow, roles: [shar]}\n"
    )
    _, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": text}))
    assert [(p.code, p.field) for p in problems] == [("UnknownRole", "rules[2].roles[0]")]


def test_platform_of_reads_the_environment() -> None:
    assert platform_of(LocalEnvironment(target="local")) == ARM_PLATFORM
    assert platform_of(AzureEnvironment(target="azure", subscriptionId=SALES, resourceGroup="rg", location="x")) == (
        ARM_PLATFORM
    )
    assert platform_of(PowerPlatformEnvironment(target="powerplatform", environmentId=SALES)) == POWER_PLATFORM
    assert platform_of(LocalEnvironment(target="local", platform="powerplatform")) == POWER_PLATFORM
    assert platform_of(None) == ARM_PLATFORM


def test_the_creators_owner_permission_is_never_out_of_band() -> None:
    def permission(principal: str, kind: str, role: str) -> dict[str, object]:
        props = {"scope": SCOPE, "principalId": principal, "principalType": kind, "roleDefinitionId": role}
        return {"id": f"/providers/Microsoft.PowerApps/apis/a/permissions/{principal}", "properties": props}

    owner, portal = permission(ALICE, "User", "Owner"), permission(SALES, "Group", "CanEdit")
    drift = classify_assignments([owner, portal], [], {SCOPE})
    assert [a.principal_id for a in drift.out_of_band] == [SALES]
    assert drift.in_sync == () and drift.inherited == ()
