"""What every command gets from the global options, and the exit codes commands return.

0 success / no changes, 2 changes or drift present, 1 error, blocked or policy violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_ERROR = 1  # error, blocked, or policy violation
EXIT_CHANGES = 2  # plan has changes / drift present


@dataclass(frozen=True)
class CliContext:
    repo: Path
    environment: str | None  # None: connectorops.yaml's default
    console: Console  # stdout; machine output (--json) goes here too
    err_console: Console  # stderr: progress, warnings, errors
