"""`connectorops definition NAME [-e ENV]`: the normalized OpenAPI 2.0 document that would be deployed.

JSON on stdout (sorted keys, indent 2); warnings on stderr; exit 1 on any error.
"""

from __future__ import annotations

from rich.text import Text

from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.commands.output import write_stdout
from connectorops.definitions.resolve import default_cache_dir, definition_json, resolve_definition
from connectorops.errors import Severity, SpecError, ValidationFailed
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.source import FileSystemTree


def run(ctx: CliContext, *, name: str) -> int:
    tree = FileSystemTree(ctx.repo)
    repo = load_repository(tree)
    connector = repo.connector(name)
    if connector is None:
        own_errors = [p for p in repo.errors if (p.file or "").startswith(f"connectors/{name}/")]
        if own_errors:
            raise ValidationFailed(own_errors, summary=f"connector {name} cannot be loaded")
        known = ", ".join(sorted(c.name for c in repo.connectors)) or "none"
        raise SpecError(
            f"unknown connector {name!r}",
            field="metadata.name",
            hint=f"known connectors: {known}",
        )
    environment, _ = select_environment(repo, ctx.environment)
    resolved = resolve_definition(connector, tree, environment, cache_dir=default_cache_dir(tree))
    for warning in resolved.warnings:
        if warning.severity == Severity.WARNING:
            ctx.err_console.print(Text.assemble(("warning: ", "yellow"), str(warning)), highlight=False)
    write_stdout(ctx, definition_json(resolved.swagger))
    return EXIT_OK
