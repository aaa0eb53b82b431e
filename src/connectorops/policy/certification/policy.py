"""policies/certification.yaml: how strictly each rule is enforced, globally and per environment.

Most specific wins: environments.<env>.rules.<id> > rules.<id> > environments.<env>.default
> default. With none of these set, deployments (an environment) get "advisory" -- most custom
connectors are never submitted, so certification must not block them unless the policy says so --
and `certify` without an environment gets each rule's recommendation (errors are mandatory).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from connectorops.errors import Problem
from connectorops.policy.certification.findings import Enforcement, Finding
from connectorops.policy.certification.rules import RULES
from connectorops.policy.policy_yaml import Locator, line_of, load_policy_file, unknown_environment_problems
from connectorops.spec.source import SourceTree

CERTIFICATION_POLICY_PATH = "policies/certification.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EnvironmentEnforcement(_Strict):
    default: Enforcement | None = None
    rules: dict[str, Enforcement] = Field(default_factory=dict)


class CertificationPolicyDocument(_Strict):
    apiVersion: str = "connectorops/v1"
    kind: str = "CertificationPolicy"
    default: Enforcement | None = None  # None: each rule's recommendation
    rules: dict[str, Enforcement] = Field(default_factory=dict)
    environments: dict[str, EnvironmentEnforcement] = Field(default_factory=dict)


@dataclass(frozen=True)
class CertificationPolicy:
    # model_construct: the defaults, the object validation gives, without building a validator for them
    document: CertificationPolicyDocument = field(default_factory=CertificationPolicyDocument.model_construct)
    file: str = CERTIFICATION_POLICY_PATH

    def enforcement(self, rule_id: str, environment: str | None) -> Enforcement:
        env = self.document.environments.get(environment) if environment else None
        if env is not None and rule_id in env.rules:
            return env.rules[rule_id]
        if rule_id in self.document.rules:
            return self.document.rules[rule_id]
        if env is not None and env.default is not None:
            return env.default
        if self.document.default is not None:
            return self.document.default
        if environment is not None:
            return "advisory"
        rule = RULES.get(rule_id)
        return rule.default_enforcement if rule else "advisory"

    def apply(self, findings: list[Finding], environment: str | None) -> list[Finding]:
        """Findings with this policy's enforcement; disabled rules' findings are dropped."""
        result: list[Finding] = []
        for finding in findings:
            enforcement = self.enforcement(finding.rule_id, environment)
            if enforcement != "disabled":
                result.append(finding.with_enforcement(enforcement))
        return result


def _unknown_rule_problems(document: CertificationPolicyDocument, file: str, locate: Locator) -> list[Problem]:
    known = sorted(RULES)
    places: list[tuple[tuple[str | int, ...], str]] = [(("rules", r), r) for r in document.rules]
    for env_name, env in document.environments.items():
        places += [(("environments", env_name, "rules", r), r) for r in env.rules]
    problems: list[Problem] = []
    for path, rule_id in places:
        if rule_id in RULES:
            continue
        close = difflib.get_close_matches(rule_id, known, n=1, cutoff=0.6)
        problems.append(
            Problem(
                f"unknown certification rule {rule_id!r}",
                file=file,
                line=line_of(locate, path),
                field=".".join(str(p) for p in path),
                hint=f"did you mean {close[0]!r}?" if close else "run `connectorops certify --json` to see rule ids",
                code="UnknownRule",
            )
        )
    return problems


def load_certification_policy(tree: SourceTree) -> tuple[CertificationPolicy, list[Problem]]:
    """The policy from policies/certification.yaml; rule recommendations when the file is absent or unusable."""
    if not tree.exists(CERTIFICATION_POLICY_PATH):
        return CertificationPolicy(), []
    document, locate, problems = load_policy_file(tree, CERTIFICATION_POLICY_PATH, CertificationPolicyDocument)
    if document is None:
        return CertificationPolicy(), problems
    mentions = [(("environments", name), name) for name in document.environments]
    environments = unknown_environment_problems(tree, CERTIFICATION_POLICY_PATH, locate, mentions)
    return (
        CertificationPolicy(document=document),
        problems + _unknown_rule_problems(document, CERTIFICATION_POLICY_PATH, locate) + environments,
    )
