"""policies/certification.yaml: enforcement per rule and per environment, unknown rule ids."""

from __future__ import annotations

from pathlib import Path

from certification_support import good, run
from policy_support import DictTree

from connectorops.policy.certification.certify import RULES, CertificationPolicy, load_certification_policy

POLICY = """
default: advisory
rules:
  TitleTooLong: mandatory
  VisibilityMissing: disabled
environments:
  local:
    default: disabled
    rules:
      HostNotProduction: disabled
  prod:
    rules:
      HostNotProduction: mandatory
      VisibilityMissing: advisory
"""


def load(text: str) -> CertificationPolicy:
    policy, problems = load_certification_policy(DictTree({"policies/certification.yaml": text}))
    assert problems == []
    return policy


def test_absent_file_recommends_for_certify_and_never_blocks_a_deployment() -> None:
    policy, problems = load_certification_policy(DictTree({}))
    assert problems == []
    assert policy.enforcement("TitleTooLong", None) == "mandatory"  # an error-severity rule
    assert policy.enforcement("VisibilityMissing", None) == "advisory"  # a warning-severity rule
    assert policy.enforcement("TitleTooLong", "prod") == "advisory"


def test_most_specific_setting_wins() -> None:
    policy = load(POLICY)
    assert policy.enforcement("TitleTooLong", None) == "mandatory"  # rules.<id>
    assert policy.enforcement("SchemeNotValid", None) == "advisory"  # default
    assert policy.enforcement("HostNotProduction", "prod") == "mandatory"  # environments.prod.rules
    assert policy.enforcement("HostNotProduction", "dev") == "advisory"  # no dev section: default
    assert policy.enforcement("VisibilityMissing", "prod") == "advisory"  # env rule beats rules.<id>: disabled
    assert policy.enforcement("SchemeNotValid", "local") == "disabled"  # environments.local.default
    assert policy.enforcement("TitleTooLong", "local") == "mandatory"  # rules.<id> beats the env default


def test_apply_rewrites_enforcement_and_drops_disabled_findings() -> None:
    policy = load(POLICY)
    findings = run(display_name="Contoso Order Management Service")  # too long
    doc_findings = [f for f in findings if f.rule_id == "TitleTooLong"]
    assert doc_findings and doc_findings[0].enforcement == "mandatory"
    host_finding = run(swagger={**good(), "host": "localhost"})
    assert {f.rule_id for f in host_finding} == {"HostNotProduction"}
    assert policy.apply(host_finding, "local") == []
    [advisory] = policy.apply(host_finding, "dev")
    assert advisory.enforcement == "advisory" and not advisory.blocking
    [mandatory] = policy.apply(host_finding, "prod")
    assert mandatory.blocking


def test_unknown_rule_ids_get_did_you_mean_with_line() -> None:
    text = "rules:\n  TitleTooLng: mandatory\nenvironments:\n  prod:\n    rules:\n      HostNotProd: disabled\n"
    policy, problems = load_certification_policy(DictTree({"policies/certification.yaml": text}))
    assert [p.code for p in problems] == ["UnknownRule", "UnknownRule"]
    assert problems[0].line == 2 and "did you mean 'TitleTooLong'" in (problems[0].hint or "")
    assert problems[1].line == 6 and "did you mean 'HostNotProduction'" in (problems[1].hint or "")
    assert policy.enforcement("TitleTooLong", None) == "mandatory"
    assert policy.enforcement("TitleTooLong", "prod") == "advisory"


def test_invalid_enforcement_value_is_a_located_problem() -> None:
    text = "default: advisory\nrules:\n  TitleTooLong: required\n"
    policy, problems = load_certification_policy(DictTree({"policies/certification.yaml": text}))
    assert len(problems) == 1
    assert problems[0].line == 3
    assert policy.document.default is None  # unusable file: recommendations apply


def test_docs_list_every_rule_id() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
    assert [rule_id for rule_id in RULES if f"| `{rule_id}` |" not in docs] == []


def test_environment_sections_for_undefined_environments_warn() -> None:
    config = "default: local\nenvironments:\n  local: {target: local}\n"
    text = "environments:\n  prdo: {default: mandatory}\n"
    tree = DictTree({"policies/certification.yaml": text, "connectorops.yaml": config})
    _, problems = load_certification_policy(tree)
    assert [(p.code, p.line) for p in problems] == [("UnknownEnvironment", 2)]
