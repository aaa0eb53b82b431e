"""How commands print a report: --json / --markdown verbatim on stdout, otherwise the rich terminal view.

One switch for every report (plan, drift), so the formats cannot be chosen differently per command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.console import Console

from connectorops.commands.context import CliContext

ReportT = TypeVar("ReportT")


def write_stdout(ctx: CliContext, text: str) -> None:
    """Machine output verbatim (no rich wrapping or markup) on stdout."""
    ctx.console.file.write(text if text.endswith("\n") else text + "\n")
    ctx.console.file.flush()


def show_report(
    ctx: CliContext,
    report: ReportT,
    *,
    json_output: bool,
    markdown: bool,
    as_json: Callable[[ReportT], str],
    as_markdown: Callable[[ReportT], str],
    render: Callable[[ReportT, Console], None],
) -> None:
    if json_output:
        write_stdout(ctx, as_json(report))
    elif markdown:
        write_stdout(ctx, as_markdown(report))
    else:
        render(report, ctx.console)
