"""`connectorops init [DIR] [--pulumi] [--action REF]`: scaffold a team's own connector repository.

Writes connectorops.yaml, one example connector, policies/, CI workflows that install this
release from PyPI (and, with --pulumi, Pulumi.yaml + infra/). Never overwrites a file.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from connectorops import __version__
from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.errors import ConnectoropsError
from connectorops.scaffold.files import default_action, starter_files, write_new_files


def run(ctx: CliContext, *, directory: Path | None, pulumi: bool, action: str | None) -> int:
    root = (directory if directory is not None else ctx.repo).resolve()
    if root.exists() and not root.is_dir():
        raise ConnectoropsError(f"{root} exists and is not a directory", hint="pass a new or existing directory")
    files = starter_files(version=__version__, action=action or default_action(__version__), pulumi=pulumi)
    written, kept = write_new_files(root, files)
    say = ctx.err_console.print
    for path in written:
        say(f"wrote {path}", markup=False, highlight=False)
    for path in kept:
        say(f"kept  {path} (exists; not overwritten)", markup=False, highlight=False)
    if not written:
        say(f"{root} already has every starter file; nothing written", markup=False, highlight=False)
    say("", markup=False)
    say("next:", markup=False)
    if root != Path.cwd().resolve():
        say(f"  cd {shlex.quote(str(directory if directory is not None else root))}", markup=False, highlight=False)
    for command in ("connectorops validate", "connectorops plan", "connectorops apply --yes"):
        say(f"  {command}", markup=False, highlight=False)
    return EXIT_OK
