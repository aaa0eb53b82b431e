"""policies/sharing.yaml: loading, rule evaluation (default deny, deny wins) and check_sharing problems."""

from __future__ import annotations

import pytest
from policy_support import ALICE, OPS, ROBOT, SALES, DictTree, connector

from connectorops.policy.sharing import SharingPolicy, check_sharing, load_sharing_policy
from connectorops.policy.sharing_model import SharingPolicyDocument
from connectorops.spec.repository import ConnectorInEnvironment

POLICY_YAML = f"""
principals:
  sales-team: {{objectId: {SALES}, type: Group, displayName: Sales team}}
  ops-team: {{objectId: {OPS}, type: Group}}
  alice: {{objectId: {ALICE}, type: User}}
  deploy-bot: {{objectId: {ROBOT}, type: ServicePrincipal}}
rules:
  - name: no-users-in-prod
    effect: deny
    principalTypes: [User]
    environments: [prod]
  - name: no-service-principal-edits
    effect: deny
    principalTypes: [ServicePrincipal]
    roles: [edit]
  - name: anyone-may-use
    effect: allow
    roles: [use, read]
  - name: owning-team-edits
    effect: allow
    principals: ["{{label:team}}-team"]
    roles: [edit]
  - name: bots-everything
    effect: allow
    principalTypes: [ServicePrincipal]
"""


@pytest.fixture()
def policy() -> SharingPolicy:
    loaded, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": POLICY_YAML}))
    assert problems == []
    assert loaded is not None
    return loaded


def test_absent_policy_file_is_none_without_problems() -> None:
    assert load_sharing_policy(DictTree({})) == (None, [])


def test_allowed_use_grant_has_no_problems(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "ops-team", "role": "use"}])
    assert check_sharing(ConnectorInEnvironment.of(c, "prod"), policy) == []


def test_users_are_denied_in_prod_even_though_anyone_may_use(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "alice", "role": "use"}])
    assert check_sharing(ConnectorInEnvironment.of(c, "dev"), policy) == []
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "prod"), policy)
    assert problem.code == "SharingPolicyViolation"
    assert "'no-users-in-prod'" in problem.message
    assert "'alice'" in problem.message and "'orders'" in problem.message
    assert "'use'" in problem.message and "'prod'" in problem.message
    assert problem.file == "connectors/orders/connector.yaml"
    assert problem.field == "spec.sharing.0"


def test_edit_only_for_the_owning_teams_group(policy: SharingPolicy) -> None:
    sales_connector = connector(labels={"team": "sales"}, sharing=[{"principal": "sales-team", "role": "edit"}])
    assert check_sharing(ConnectorInEnvironment.of(sales_connector, "prod"), policy) == []
    other = connector(labels={"team": "sales"}, sharing=[{"principal": "ops-team", "role": "edit"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(other, "prod"), policy)
    assert "default deny" in problem.message
    unlabeled = connector(sharing=[{"principal": "sales-team", "role": "edit"}])
    assert [p.code for p in check_sharing(ConnectorInEnvironment.of(unlabeled, "dev"), policy)] == [
        "SharingPolicyViolation"
    ]


def test_explicit_deny_beats_a_later_allow(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "deploy-bot", "role": "edit"}, {"principal": "deploy-bot", "role": "use"}])
    problems = check_sharing(ConnectorInEnvironment.of(c, "dev"), policy)
    assert len(problems) == 1
    assert "'no-service-principal-edits'" in problems[0].message
    assert problems[0].field == "spec.sharing.0"


def test_unknown_principal_and_role_get_did_you_mean(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "sales-tema", "role": "edti"}])
    problems = check_sharing(ConnectorInEnvironment.of(c, "dev"), policy)
    assert {p.code for p in problems} == {"UnknownPrincipal", "UnknownRole"}
    hints = " ".join(p.hint or "" for p in problems)
    assert "did you mean 'sales-team'" in hints
    assert "did you mean 'edit'" in hints


def test_environment_override_is_checked_with_its_own_path(policy: SharingPolicy) -> None:
    c = connector(
        sharing=[{"principal": "ops-team", "role": "use"}],
        environments={"prod": {"sharing": [{"principal": "alice", "role": "read"}]}},
    )
    assert check_sharing(ConnectorInEnvironment.of(c, "dev"), policy) == []
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "prod"), policy)
    assert problem.field == "spec.environments.prod.sharing.0"


def test_no_policy_file_means_every_request_is_denied() -> None:
    c = connector(sharing=[{"principal": "ops-team", "role": "use"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "dev"), None)
    assert problem.code == "SharingPolicyViolation"
    assert "policies/sharing.yaml" in problem.message


def test_connector_selectors_by_name_glob_and_label() -> None:
    doc = SharingPolicyDocument.model_validate(
        {
            "principals": {"g": {"objectId": SALES, "type": "Group"}},
            "rules": [
                {"name": "by-glob", "effect": "allow", "connectors": ["orders-*"]},
                {"name": "by-label", "effect": "allow", "connectors": ["tier=gold"]},
                {"name": "by-map", "effect": "allow", "connectors": [{"labels": {"tier": "silver"}}]},
            ],
        }
    )
    policy = SharingPolicy(document=doc)
    assert policy.decide(connector("orders-eu"), "dev", "g", "use").rule == "by-glob"
    assert policy.decide(connector("x", labels={"tier": "gold"}), "dev", "g", "use").rule == "by-label"
    assert policy.decide(connector("x", labels={"tier": "silver"}), "dev", "g", "use").rule == "by-map"
    decision = policy.decide(connector("x", labels={"tier": "bronze"}), "dev", "g", "use")
    assert (decision.allowed, decision.rule) == (False, "default deny")


def test_policy_rules_naming_unknown_principals_or_roles_are_problems() -> None:
    text = f"""
principals:
  sales-team: {{objectId: {SALES}, type: Group}}
rules:
  - {{name: r1, effect: allow, principals: [sales-taem], roles: [usee]}}
  - {{name: r1, effect: deny}}
"""
    policy, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": text}))
    assert policy is not None
    codes = sorted(p.code or "" for p in problems)
    assert codes == ["DuplicateRuleName", "UnknownPrincipal", "UnknownRole"]
    assert all(p.file == "policies/sharing.yaml" for p in problems)
    assert any("did you mean 'sales-team'" in (p.hint or "") for p in problems)


def test_malformed_policy_is_reported_not_raised() -> None:
    text = "principals:\n  bob: {objectId: not-a-guid, type: Person}\nrulez: []\n"
    policy, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": text}))
    assert policy is None
    assert len(problems) >= 3  # bad objectId, bad type, unknown key
    assert all(p.file == "policies/sharing.yaml" for p in problems)


def test_roles_default_and_can_be_overridden() -> None:
    doc = SharingPolicyDocument.model_validate(
        {"roles": {"use": {"roleDefinitionId": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}}}
    )
    ids = SharingPolicy(document=doc).role_ids
    assert ids["use"] == "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    assert ids["edit"] == "87a39d53-fc1b-424a-814c-f7e04687dc9e"
    assert ids["read"] == "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_directory_entries_seed_the_emulator(policy: SharingPolicy) -> None:
    entries = policy.directory_entries()
    assert (SALES, "Group", "Sales team") in entries
    assert (ALICE, "User", "alice") in entries
    assert len(entries) == 4


def test_violation_names_the_request_line_and_the_rule_line(policy: SharingPolicy) -> None:
    connector_yaml = """apiVersion: connectorops/v1
kind: Connector
metadata: {name: orders}
spec:
  definition: {openapi: openapi.yaml}
  sharing:
    - {principal: ops-team, role: use}
    - {principal: alice, role: use}
"""
    tree = DictTree({"connectors/orders/connector.yaml": connector_yaml, "policies/sharing.yaml": POLICY_YAML})
    c = connector(sharing=[{"principal": "ops-team", "role": "use"}, {"principal": "alice", "role": "use"}])
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "prod"), policy, tree=tree)
    assert problem.line == 8
    rule_line = POLICY_YAML.splitlines().index("  - name: no-users-in-prod") + 1
    assert f"(policies/sharing.yaml:{rule_line})" in problem.message


def test_policy_problems_carry_line_numbers() -> None:
    text = "principals:\n  bob: {objectId: not-a-guid, type: Group}\n"
    _, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": text}))
    assert [p.line for p in problems] == [2]


def test_rules_naming_undefined_environments_warn_with_did_you_mean() -> None:
    config = "default: local\nenvironments:\n  local: {target: local}\n"
    text = (
        f"principals:\n  g: {{objectId: {SALES}, type: Group}}\n"
        "rules:\n  - {name: r, effect: deny, environments: [lcoal]}\n"
    )
    _, problems = load_sharing_policy(DictTree({"policies/sharing.yaml": text, "connectorops.yaml": config}))
    [problem] = problems
    assert (problem.code, problem.severity, problem.line) == ("UnknownEnvironment", "warning", 4)
    assert "did you mean 'local'" in (problem.hint or "")


class _CountingTree(DictTree):
    def __init__(self, files: dict[str, str]) -> None:
        super().__init__(files)
        self.reads: list[str] = []

    def read_bytes(self, path: str) -> bytes:
        self.reads.append(path)
        return super().read_bytes(path)


CONNECTOR_YAML = """\
apiVersion: connectorops/v1
kind: Connector
metadata: {name: orders}
spec:
  definition: {openapi: openapi.yaml}
  sharing:
    - {principal: ops-team, role: use}
    - {principal: alice, role: use}
"""


def test_connector_yaml_is_read_again_only_to_name_the_line_of_a_problem(policy: SharingPolicy) -> None:
    c = connector(sharing=[{"principal": "ops-team", "role": "use"}, {"principal": "alice", "role": "use"}])
    tree = _CountingTree({c.path: CONNECTOR_YAML})
    assert check_sharing(ConnectorInEnvironment.of(c, "dev"), policy, tree=tree) == []
    assert tree.reads == []  # allowed grants: no second parse of connector.yaml
    [problem] = check_sharing(ConnectorInEnvironment.of(c, "prod"), policy, tree=tree)
    assert (problem.line, problem.field) == (8, "spec.sharing.1")
    assert tree.reads == [c.path]
