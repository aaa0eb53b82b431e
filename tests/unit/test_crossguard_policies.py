"""The CrossGuard pack's validate functions, called directly (no Pulumi CLI), on what the program declares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy
from pulumi_support import SALES_GROUP, SUBSCRIPTION, make_repo, pulumi_target, run_program, unwrap_secret

from connectorops.engine.desired import build_desired_state
from connectorops.policy.certification.findings import Finding
from connectorops.pulumi_stack.crossguard import (
    CUSTOM_API,
    ROLE_ASSIGNMENT,
    RepositoryRules,
    build_policies,
    load_pack_inputs,
    repository_rules,
)
from connectorops.pulumi_stack.settings import StackSettings
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ArmPlacement

ENVIRON = {"ORDERS_DEV_CLIENT_SECRET": "pack-test-secret"}
UNKNOWN_PRINCIPAL = "99999999-0000-0000-0000-000000000009"


def rules_for(repo: Path, environment: str | None = "dev") -> RepositoryRules:
    return RepositoryRules(lambda: load_pack_inputs(load_repository(FileSystemTree(repo))), lambda: environment)


def expected_findings(repo: Path) -> list[Finding]:
    """The engine's certification findings for the test repository's `dev` environment."""
    placement = ArmPlacement(SUBSCRIPTION, "rg", "westeurope")
    state = build_desired_state(load_repository(FileSystemTree(repo)), "dev", placement=placement, commit=None)
    return list(state.findings)


def declared_inputs(repo: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (type, inputs) of what the Pulumi program declares, secrets unwrapped as the pack sees them."""
    settings = StackSettings(
        repo_root=repo, environment="dev", subscription_id=SUBSCRIPTION, drop_ui_definition=frozenset({"d7sms"})
    )
    mocks, _, _ = run_program(settings, pulumi_target(), ENVIRON)
    result = {}
    for typ, name, inputs in mocks.created:
        result[name] = (typ, {k: unwrap_secret(v)[1] for k, v in inputs.items()})
    return result


def args(typ: str, name: str, props: dict[str, Any]) -> ResourceValidationArgs:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(
        typ, unknown_checking_proxy(props), f"urn:pulumi:dev::connectorops::{typ}::{name}", name, options, None
    )


def run_policy(policy: ResourceValidationPolicy, resource: ResourceValidationArgs) -> list[str]:
    messages: list[str] = []
    policy.validate(resource, lambda message, urn=None: messages.append(message))
    return messages


def policy_named(rules: RepositoryRules, name: str) -> ResourceValidationPolicy:
    return next(p for p in build_policies(rules) if p.name == name)


def all_violations(rules: RepositoryRules, declared: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for policy in build_policies(rules):
        for name, (typ, props) in declared.items():
            found.setdefault(policy.name, []).extend(run_policy(policy, args(typ, name, props)))
    return found


def test_pack_policies_and_their_enforcement_levels(tmp_path: Path) -> None:
    levels = {p.name: p.enforcement_level for p in build_policies(rules_for(make_repo(tmp_path)))}
    assert levels == {
        "connectorops-managed-tags": EnforcementLevel.MANDATORY,
        "connectorops-sharing-requests": EnforcementLevel.MANDATORY,
        "connectorops-role-assignments": EnforcementLevel.MANDATORY,
        "connectorops-certification-mandatory": EnforcementLevel.MANDATORY,
        "connectorops-certification-advisory": EnforcementLevel.ADVISORY,
    }


def test_what_the_program_declares_passes_every_mandatory_policy(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    declared = declared_inputs(repo)
    assert {t for t, _ in declared.values()} == {CUSTOM_API, ROLE_ASSIGNMENT}
    found = all_violations(rules_for(repo), declared)
    for name in ("managed-tags", "sharing-requests", "role-assignments", "certification-mandatory"):
        assert found[f"connectorops-{name}"] == [], name
    # policies/certification.yaml of the test repo makes every rule advisory: the pack reports, on the
    # deployed properties, exactly the findings the engine reports on the files.
    engine = sorted(
        f"[{f.rule_id}] {f.message} ({f.file}{'#' + f.pointer if f.pointer else ''}; hint: {f.hint})"
        for f in expected_findings(repo)
    )
    assert engine and sorted(found["connectorops-certification-advisory"]) == engine


def test_certification_yaml_decides_which_policy_reports_a_finding(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    declared = declared_inputs(repo)
    rule = expected_findings(repo)[0].rule_id
    (repo / "policies" / "certification.yaml").write_text(
        f"apiVersion: connectorops/v1\nkind: CertificationPolicy\ndefault: advisory\nrules: {{{rule}: mandatory}}\n"
    )
    found = all_violations(rules_for(repo), declared)
    mandatory = found["connectorops-certification-mandatory"]
    assert mandatory and all(m.startswith(f"[{rule}]") for m in mandatory)
    assert len(mandatory) == sum(1 for f in expected_findings(repo) if f.rule_id == rule)
    assert not any(m.startswith(f"[{rule}]") for m in found["connectorops-certification-advisory"])


def test_a_role_assignment_for_an_undeclared_principal_is_a_violation(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    declared = declared_inputs(repo)
    ((name, (typ, props)),) = [(n, v) for n, v in declared.items() if v[0] == ROLE_ASSIGNMENT]
    assert props["principalId"] == SALES_GROUP
    props = {**props, "principalId": UNKNOWN_PRINCIPAL}
    messages = run_policy(policy_named(rules_for(repo), "connectorops-role-assignments"), args(typ, name, props))
    assert len(messages) == 1 and UNKNOWN_PRINCIPAL in messages[0] and "policies/sharing.yaml" in messages[0]


def test_a_role_assignment_the_rules_deny_is_a_violation(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    declared = declared_inputs(repo)
    ((name, (typ, props)),) = [(n, v) for n, v in declared.items() if v[0] == ROLE_ASSIGNMENT]
    policy_file = repo / "policies" / "sharing.yaml"
    policy_file.write_text(policy_file.read_text() + "    environments: [prod]\n")  # allow only in prod now
    messages = run_policy(policy_named(rules_for(repo), "connectorops-role-assignments"), args(typ, name, props))
    assert messages == [
        f"role assignment {name!r}: default deny forbids role 'use' for 'sales-team' on connector 'orders' "
        "in environment 'dev'"
    ]
    # The same grant against a customApi no connector.yaml declares.
    stray = {**props, "scope": str(props["scope"]).replace("/orders", "/handmade")}
    messages = run_policy(policy_named(rules_for(repo), "connectorops-role-assignments"), args(typ, name, stray))
    assert messages and "'handmade'" in messages[0]


def test_with_no_sharing_policy_every_role_assignment_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    declared = declared_inputs(repo)
    ((name, (typ, props)),) = [(n, v) for n, v in declared.items() if v[0] == ROLE_ASSIGNMENT]
    (repo / "policies" / "sharing.yaml").unlink()
    messages = run_policy(policy_named(rules_for(repo), "connectorops-role-assignments"), args(typ, name, props))
    assert len(messages) == 1 and "no policies/sharing.yaml" in messages[0]


def test_an_unknown_scope_in_preview_still_checks_the_principal_first(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    declared = declared_inputs(repo)
    ((name, (typ, props)),) = [(n, v) for n, v in declared.items() if v[0] == ROLE_ASSIGNMENT]
    messages: list[str] = []
    preview = args(typ, name, {**props, "scope": UNKNOWN_STRING_VALUE})
    # Known principal and role: the pack reaches the unknown scope and CrossGuard skips the rest.
    with pytest.raises(UnknownValueError):
        policy_named(rules_for(repo), "connectorops-role-assignments").validate(
            preview, lambda message, urn=None: messages.append(message)
        )
    assert messages == []
    bad = args(typ, name, {**props, "scope": UNKNOWN_STRING_VALUE, "principalId": UNKNOWN_PRINCIPAL})
    assert len(run_policy(policy_named(rules_for(repo), "connectorops-role-assignments"), bad)) == 1


def test_a_custom_api_without_ownership_tags_is_a_violation(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    typ, props = declared_inputs(repo)["orders"]
    stripped = {**props, "tags": {"team": "sales"}}
    messages = run_policy(policy_named(rules_for(repo), "connectorops-managed-tags"), args(typ, "orders", stripped))
    assert len(messages) == 4 and "managed-by=connectorops" in messages[0]
    # The other CustomApi policies need the source tag to find the connector; they stay silent.
    assert (
        run_policy(policy_named(rules_for(repo), "connectorops-sharing-requests"), args(typ, "orders", stripped)) == []
    )


def test_a_forbidden_sharing_request_is_reported_on_the_custom_api(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    typ, props = declared_inputs(repo)["orders"]
    policy_file = repo / "policies" / "sharing.yaml"
    policy_file.write_text(policy_file.read_text().replace("effect: allow", "effect: deny"))
    messages = run_policy(policy_named(rules_for(repo), "connectorops-sharing-requests"), args(typ, "orders", props))
    assert len(messages) == 1
    assert "teams-use-their-connectors" in messages[0] and "connectors/orders/connector.yaml" in messages[0]


def test_a_broken_policy_file_fails_loudly_instead_of_allowing_everything(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "policies" / "sharing.yaml").write_text("rules: [{name: x, effect: maybe}]\n")
    rules = repository_rules(repo, lambda: "dev")
    with pytest.raises(RuntimeError, match="policies/sharing.yaml"):
        _ = rules.inputs


def test_the_environment_comes_from_tags_then_stack_config_then_the_default(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    rules: Callable[[str | None], RepositoryRules] = lambda env: rules_for(repo, env)  # noqa: E731
    assert rules(None).environment({"connectorops-environment": "prod"}) == "prod"
    assert rules("dev").environment({}) == "dev"
    assert rules(None).environment(None) == "dev"  # connectorops.yaml default of the test repo


def test_the_pack_entry_point_serves_these_policies_for_this_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    import pulumi_policy

    served: dict[str, Any] = {}

    def fake_pack(name: str, policies: list[ResourceValidationPolicy], **_: Any) -> None:
        served.update(name=name, policies=[p.name for p in policies])  # the real one starts a gRPC server

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    root = Path(__file__).resolve().parents[2]
    module = runpy.run_path(str(root / "policies" / "crossguard" / "__main__.py"), run_name="__main__")
    assert served["name"] == "connectorops"
    assert served["policies"] == [p.name for p in build_policies(rules_for(root))]
    assert module["REPO_ROOT"] == root
