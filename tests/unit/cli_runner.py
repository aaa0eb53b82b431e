"""Runs the real command line in this process: `connectorops.cli.run` with stdin, stdout and stderr redirected.

The result has what a user would see: each stream, both interleaved in the order written, the exit code, and
the exception that escaped (None when the command line ended as the CLI intends, with an exit code).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from connectorops.cli import run


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr as a terminal shows them
    exception: BaseException | None


class _Stream(io.StringIO):
    """stdout or stderr: keeps its own text and adds each write to the shared, interleaved output."""

    def __init__(self, shared: io.StringIO) -> None:
        super().__init__()
        self._shared = shared

    def write(self, text: str) -> int:
        self._shared.write(text)
        return super().write(text)


def invoke(args: Sequence[str], *, input: str = "") -> Result:
    """`connectorops ARGS` with `input` on stdin (not a terminal, as in CI)."""
    shared = io.StringIO()
    out, err = _Stream(shared), _Stream(shared)
    exception: BaseException | None = None
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _stdin(io.StringIO(input)),
    ):
        try:
            code = run([str(arg) for arg in args])
        except SystemExit as exiting:  # run() returns its code; a command that exits anyway is still shown
            code = exiting.code if isinstance(exiting.code, int) else 1
            exception = exiting if code else None
        except Exception as error:  # a traceback the user would see: the test shows it
            code, exception = 1, error
    return Result(code, out.getvalue(), err.getvalue(), shared.getvalue(), exception)


@contextlib.contextmanager
def _stdin(stream: io.StringIO) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved
