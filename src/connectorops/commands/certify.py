"""`connectorops certify [NAME...] [--json|--markdown] [--package DIR]`: Microsoft's certification rules, offline.

Exit 1 when any finding is mandatory under policies/certification.yaml (or a connector cannot
be certified at all), 0 otherwise; advisory findings are reported but never fail. Without -e the
definition is resolved for the default environment but judged by the policy's environment-free
settings (or each rule's recommendation): "would Microsoft accept this?".
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.text import Text

from connectorops.commands.context import EXIT_ERROR, EXIT_OK, CliContext
from connectorops.definitions.resolve import environment_cache_dir, resolve_definition
from connectorops.definitions.verdict_cache import verdict_cache_at
from connectorops.errors import ConnectoropsError, Severity
from connectorops.policy.certification import certify_connector, load_certification_policy
from connectorops.policy.certification.report import (
    CertificationReport,
    ConnectorCertification,
    certification_markdown,
)
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.repository import ConnectorInEnvironment
from connectorops.spec.source import FileSystemTree


def run(ctx: CliContext, *, names: list[str], json_output: bool, markdown: bool, package: Path | None = None) -> int:
    if package is not None:
        from connectorops.commands.certify_package import write_package

        return write_package(ctx, names, package)
    report = certify_repository(ctx.repo, ctx.environment, names)
    if json_output:
        ctx.console.out(json.dumps(report.to_dict(), indent=2), highlight=False)
    elif markdown:
        ctx.console.out(certification_markdown(report), highlight=False)
    else:
        _print(ctx, report)
    return EXIT_OK if report.passed else EXIT_ERROR


def certify_repository(repo_root: Path, environment: str | None, names: list[str]) -> CertificationReport:
    tree = FileSystemTree(repo_root)
    repo = load_repository(tree)
    blocking = [p for p in repo.problems if p.severity == Severity.ERROR]
    env_name, env = select_environment(repo, environment)
    cache_dir = environment_cache_dir(repo_root, env)
    policy, policy_problems = load_certification_policy(tree)
    results: list[ConnectorCertification] = []
    for connector in repo.select(names):
        try:
            resolved = resolve_definition(connector, tree, env_name, cache_dir=cache_dir)
        except ConnectoropsError as error:
            results.append(ConnectorCertification(connector.name, connector.path, problems=tuple(error.problems)))
            continue
        view = ConnectorInEnvironment.of(connector, environment)  # no --environment: the base spec
        findings = certify_connector(view, resolved, policy, cache=verdict_cache_at(cache_dir))
        results.append(ConnectorCertification(connector.name, connector.path, findings=tuple(findings)))
    return CertificationReport(environment, tuple(results), problems=tuple(blocking + policy_problems))


def _print(ctx: CliContext, report: CertificationReport) -> None:
    for problem in report.problems:
        ctx.console.print(Text(f"error {problem}", style="bold red"), highlight=False)
    for connector in report.connectors:
        style = "green" if connector.passed else "bold red"
        verdict = "passed" if connector.passed else "FAILED"
        header = Text(f"{connector.name} ", style="bold")
        header.append(f"{verdict}: {connector.mandatory} mandatory, {connector.advisory} advisory", style=style)
        ctx.console.print(header, highlight=False)
        for problem in connector.problems:
            ctx.console.print(Text(f"  error {problem}", style="bold red"), highlight=False)
        for finding in sorted(connector.findings, key=lambda f: (not f.blocking, f.rule_id, f.pointer)):
            where = f"{finding.file}#{finding.pointer}" if finding.pointer else finding.file
            line = Text("  ")
            line.append(finding.enforcement, style="bold red" if finding.blocking else "yellow")
            line.append(f" {finding.rule_id} {where}: {finding.message}")
            ctx.console.print(line, highlight=False, soft_wrap=True)
            ctx.console.print(Text(f"      fix: {finding.hint}", style="dim"), highlight=False, soft_wrap=True)
    mandatory = sum(c.mandatory for c in report.connectors)
    advisory = sum(c.advisory for c in report.connectors)
    summary = f"\n{len(report.connectors)} connector(s): {mandatory} mandatory, {advisory} advisory finding(s)"
    ctx.console.print(Text(summary, style="green" if report.passed else "bold red"), highlight=False)
