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
from connectorops.definitions.input_memo import connector_inputs, memoized
from connectorops.definitions.resolve import environment_cache_dir, resolve_definition
from connectorops.definitions.verdict_cache import verdict_cache_at
from connectorops.errors import ConnectoropsError, Problem, Severity
from connectorops.policy.certification.certify import Finding, load_certification_policy, located_findings
from connectorops.policy.certification.report import (
    CertificationReport,
    ConnectorCertification,
    certification_markdown,
)
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector
from connectorops.spec.source import FileSystemTree, SourceTree


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
        problems, located = _judged(connector, tree, env_name, environment, cache_dir)
        if problems:
            results.append(ConnectorCertification(connector.name, connector.path, problems=tuple(problems)))
            continue
        findings = policy.apply(located, environment)  # on every run: editing the policy needs no new verdict
        results.append(ConnectorCertification(connector.name, connector.path, findings=tuple(findings)))
    return CertificationReport(environment, tuple(results), problems=tuple(blocking + policy_problems))


def _judged(
    connector: LoadedConnector, tree: SourceTree, env_name: str, environment: str | None, cache_dir: Path
) -> tuple[list[Problem], list[Finding]]:
    """Why the connector cannot be certified, or its findings before the policy; remembered with the files read."""
    verdicts = verdict_cache_at(cache_dir)

    def compute(recording: SourceTree) -> tuple[list[Problem], list[Finding]]:
        try:
            resolved = resolve_definition(connector, recording, env_name, cache_dir=cache_dir)
        except ConnectoropsError as error:
            return list(error.problems), []
        view = ConnectorInEnvironment.of(connector, environment)  # no --environment: the base spec
        return [], located_findings(view, resolved, cache=verdicts)

    if connector.document.spec.definition.kind == "url":  # a fetch, not the tree, supplies the document
        return compute(tree)
    return memoized(
        verdicts,
        "certify-connector",
        (*connector_inputs(connector), env_name, environment),
        tree,
        compute,
        encode=lambda v: {"problems": [p.to_dict() for p in v[0]], "findings": [f.to_dict() for f in v[1]]},
        decode=lambda v: ([Problem.from_dict(p) for p in v["problems"]], [Finding.from_dict(f) for f in v["findings"]]),
    )


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
