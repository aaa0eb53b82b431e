"""`connectorops certify NAME --package DIR`: write the folder Microsoft reviews for certification.

Judged like `certify` without -e (would Microsoft accept it?); refused, listing every finding,
while a mandatory one remains. The files come from policy/certification/package.py.
"""

from __future__ import annotations

from pathlib import Path

from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.definitions.resolve import environment_cache_dir, resolve_definition
from connectorops.errors import ConnectoropsError, SpecError, ValidationFailed
from connectorops.policy.certification.certify import certify_connector, definition_file, load_certification_policy
from connectorops.policy.certification.package import (
    BASE_ENVIRONMENT,
    submission_package,
)
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.repository import ConnectorInEnvironment
from connectorops.spec.source import FileSystemTree


def write_package(ctx: CliContext, names: list[str], package: Path) -> int:
    if len(names) != 1:
        raise SpecError(
            f"--package writes one connector's submission; {len(names)} connector names given",
            hint="run `connectorops certify NAME --package DIR` once per connector",
        )
    tree = FileSystemTree(ctx.repo)
    repo = load_repository(tree)
    connector = repo.select(names)[0]
    _, env = select_environment(repo, ctx.environment)
    resolved = resolve_definition(connector, tree, BASE_ENVIRONMENT, cache_dir=environment_cache_dir(ctx.repo, env))
    policy, policy_problems = load_certification_policy(tree)
    if policy_problems:
        raise ValidationFailed(policy_problems, summary="policies/certification.yaml is invalid")
    findings = certify_connector(ConnectorInEnvironment.of(connector, None), resolved, policy)
    files = submission_package(
        connector,
        resolved,
        findings,
        definition_file=definition_file(connector, resolved),
    )
    target = package if package.is_absolute() else Path.cwd() / package
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (target / name).write_bytes(data)
    except OSError as error:
        raise ConnectoropsError(
            f"cannot write the package to {package}: {error.strerror or error}", hint="pass a writable --package DIR"
        ) from None
    for name in files:
        ctx.err_console.print(f"wrote {package / name}", markup=False, highlight=False)
    advisory = sum(1 for f in findings if f.enforcement == "advisory")
    ctx.err_console.print(
        f"{connector.name}: submission package ready ({advisory} advisory finding(s); see `connectorops certify "
        f"{connector.name}`). Open a pull request to microsoft/PowerPlatformConnectors with this folder.",
        markup=False,
        highlight=False,
    )
    return EXIT_OK
