"""`connectorops schema [--out DIR]`: the JSON Schemas of connector.yaml and connectorops.yaml.

Without --out, one JSON object {"connector": ..., "connectorops": ...} on stdout; with --out,
connector.schema.json and connectorops.schema.json are written into DIR.
"""

from __future__ import annotations

from pathlib import Path

from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.errors import ConnectoropsError
from connectorops.spec.jsonschema import all_schemas, render, schema_file_texts


def run(ctx: CliContext, *, out: Path | None) -> int:
    if out is None:
        ctx.console.out(render(all_schemas()), end="", highlight=False)
        return EXIT_OK
    target = out if out.is_absolute() else Path.cwd() / out
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in schema_file_texts().items():
            (target / name).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConnectoropsError(
            f"cannot write schemas to {out}: {error.strerror or error}", hint="pass a writable directory to --out"
        ) from None
    for name in schema_file_texts():
        ctx.err_console.print(f"wrote {out / name}", markup=False, highlight=False)
    return EXIT_OK
