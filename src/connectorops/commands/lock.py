"""One writer per environment: a CLI apply or `drift --fix` takes the controllers' lease while it writes.

The lease (gitops/lease.py) is a marker in the target itself, so CLI runs on different machines and
controllers exclude each other. `--lock-timeout` waits for it like Terraform's `-lock-timeout`.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from connectorops.errors import ConnectoropsError, EnvironmentLocked
from connectorops.gitops.controller import INTERVAL_UNITS
from connectorops.gitops.lease import Lease
from connectorops.gitops.reconcile import GuardedTarget
from connectorops.targets.arm.target import ResourceGroupTarget

if TYPE_CHECKING:
    from connectorops.engine.target import Target

# Renewed before a write once half spent (GuardedTarget), so a long apply keeps it; a killed one frees it soon.
CLI_LEASE_TTL = 120.0
POLL_SECONDS = 1.0
MAX_LOCK_TIMEOUT = 24 * 3600.0


def parse_lock_timeout(text: str) -> float:
    """'0' / '0s' / '30s' / '5m' / '1h' -> seconds; an error naming --lock-timeout otherwise."""
    raw = text.strip().lower()
    value, unit = (raw, "s") if raw.replace(".", "", 1).isdigit() else (raw[:-1], raw[-1:])
    try:
        seconds = float(value) * INTERVAL_UNITS[unit]
    except (KeyError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= MAX_LOCK_TIMEOUT:
        raise ConnectoropsError(
            f"invalid --lock-timeout {text!r}",
            field="--lock-timeout",
            hint="a duration from 0s to 24h, e.g. 0s (fail at once), 30s or 5m",
        )
    return seconds


def holder_name(command: str) -> str:
    """Who holds the lease, as other runs will read it: the command, the user, the host and the pid."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    # The run id tells two runs of one process apart (the lease treats its own holder as a renewal).
    return f"connectorops {command} by {user}@{socket.gethostname()} (pid {os.getpid()}, run {uuid.uuid4().hex[:8]})"


HOLDER_PATTERN = re.compile(r"^connectorops .+ by .+@(?P<host>\S+) \(pid (?P<pid>\d+), run \w+\)$")


def abandoned(holder: str) -> bool:
    """A CLI holder on this host whose process is gone (killed, crashed): its lease need not be waited for."""
    match = HOLDER_PATTERN.match(holder)
    if match is None or match["host"] != socket.gethostname():
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False  # alive but not ours to signal, or not a pid
    return False


def _locked(lease: Lease, waited: float) -> EnvironmentLocked:
    expires = lease.expires_at or 0.0
    until = datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds") if expires else "unknown"
    left = max(0, round(expires - time.time())) if expires else 0
    return EnvironmentLocked(
        f"environment {lease.environment!r} is locked by {lease.seen_holder or 'another writer'} "
        f"until {until} ({left}s from now, unless renewed)"
        + (f"; waited {waited:.0f}s" if waited else "")
        + ": nothing was applied",
        hint="another apply, `drift --fix` or controller is writing; retry later or pass --lock-timeout 5m to wait",
    )


@contextmanager
def writer_lease(
    target: Target,
    environment: str,
    *,
    command: str,
    lock_timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Target]:
    """The target, guarded so every write checks (and renews) the lease; released at the end, errors included.

    The lease lives in an ARM resource group (a marker customApi); a Power Platform environment has no place for
    one yet, so there writers are not serialized (docs/powerplatform.md says so).
    """
    if not isinstance(target, ResourceGroupTarget):
        yield target
        return
    lease = Lease(target.gateway, environment, holder_name(command), ttl=CLI_LEASE_TTL, abandoned=abandoned)
    started = time.monotonic()
    while not lease.acquire():
        waited = time.monotonic() - started
        if waited >= lock_timeout:
            raise _locked(lease, waited if lock_timeout else 0.0)
        sleep(min(POLL_SECONDS, lock_timeout - waited))
    try:
        yield cast("Target", GuardedTarget(target, lease, lambda: False))
    finally:
        lease.release()
