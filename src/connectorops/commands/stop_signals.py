"""SIGTERM and SIGINT as a stop request for the long-running commands (controller, emulator serve).

The signal only sets an event: the command finishes what it is doing, stops cleanly, and the previous
handlers come back when it returns.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType


@contextlib.contextmanager
def stop_on_signals(
    stop: threading.Event, *, on_signal: Callable[[signal.Signals], None] | None = None
) -> Iterator[None]:
    """Within the block, SIGTERM/SIGINT set `stop` (after `on_signal`, e.g. a log line)."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if on_signal is not None:
            on_signal(signal.Signals(signum))
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
