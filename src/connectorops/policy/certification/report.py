"""Certification results of several connectors, as a value with JSON and Markdown views.

`certify` prints these; plan reports can embed the same Markdown section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectorops.errors import Problem, Severity
from connectorops.policy.certification.findings import Finding

MAX_ROWS = 200  # a PR comment has a size limit; the JSON view always has everything


@dataclass(frozen=True)
class ConnectorCertification:
    name: str
    path: str
    findings: tuple[Finding, ...] = ()
    problems: tuple[Problem, ...] = ()  # the connector could not be certified (definition errors)

    @property
    def mandatory(self) -> int:
        return sum(1 for f in self.findings if f.blocking)

    @property
    def advisory(self) -> int:
        return sum(1 for f in self.findings if not f.blocking)

    @property
    def passed(self) -> bool:
        return self.mandatory == 0 and not any(p.severity == Severity.ERROR for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "passed": self.passed,
            "mandatory": self.mandatory,
            "advisory": self.advisory,
            "findings": [f.to_dict() for f in self.findings],
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class CertificationReport:
    environment: str | None
    connectors: tuple[ConnectorCertification, ...]
    problems: tuple[Problem, ...] = field(default=())  # policy file problems

    @property
    def passed(self) -> bool:
        policy_ok = not any(p.severity == Severity.ERROR for p in self.problems)
        return policy_ok and all(c.passed for c in self.connectors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "environment": self.environment,
            "summary": {
                "connectors": len(self.connectors),
                "mandatory": sum(c.mandatory for c in self.connectors),
                "advisory": sum(c.advisory for c in self.connectors),
            },
            "connectors": [c.to_dict() for c in self.connectors],
            "problems": [p.to_dict() for p in self.problems],
        }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def certification_markdown(report: CertificationReport) -> str:
    """A Markdown section: one line per connector, then a table of its findings."""
    verdict = "passed" if report.passed else "failed"
    env = f" (environment `{report.environment}`)" if report.environment else ""
    lines = [f"### Certification {verdict}{env}", ""]
    for problem in report.problems:
        lines.append(f"- :x: `{problem.location}` {_cell(problem.message)}")
    for connector in report.connectors:
        mark = ":white_check_mark:" if connector.passed else ":x:"
        lines.append(
            f"#### {mark} `{connector.name}`: {connector.mandatory} mandatory, {connector.advisory} advisory finding(s)"
        )
        for problem in connector.problems:
            lines.append(f"- :x: `{problem.location}` {_cell(problem.message)}")
        if connector.findings:
            lines += ["", "| rule | enforcement | where | message | fix |", "|---|---|---|---|---|"]
            shown = sorted(connector.findings, key=lambda f: (not f.blocking, f.rule_id, f.pointer))
            for finding in shown[:MAX_ROWS]:
                where = f"{finding.file}#{finding.pointer}" if finding.pointer else finding.file
                lines.append(
                    f"| `{finding.rule_id}` | {finding.enforcement} | `{_cell(where)}` | "
                    f"{_cell(finding.message)} | {_cell(finding.hint)} |"
                )
            if len(shown) > MAX_ROWS:
                lines.append(f"\n{len(shown) - MAX_ROWS} more finding(s) not shown; run `connectorops certify --json`.")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
