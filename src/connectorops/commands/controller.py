"""`connectorops controller`: watch a git branch and reconcile one environment until SIGTERM/SIGINT.

Wires the pieces together: workspace (git), engine reconciler (ARM), lease, status server, JSON logs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from connectorops.commands.context import CliContext
from connectorops.commands.stop_signals import stop_on_signals
from connectorops.errors import ConnectoropsError
from connectorops.gitops.controller import MODES, Controller, ControllerSettings, parse_interval
from connectorops.gitops.logs import configure_json_logging
from connectorops.gitops.status import ControllerStatus
from connectorops.gitops.status_server import StatusServer, start_status_server
from connectorops.gitops.workspace import RetryPolicy, Workspace, redact_url

log = logging.getLogger("connectorops.controller")

STATE_DIR = ".connectorops/controller"
MIN_LEASE_TTL = 60.0


def run(
    ctx: CliContext,
    *,
    repo_url: str,
    branch: str,
    interval: str,
    mode: str,
    listen: str | None,
) -> int:
    seconds = parse_interval(interval)
    if mode not in MODES:
        raise ConnectoropsError(f"unknown --mode {mode!r}", field="--mode", hint="use observe or apply")
    handler = configure_json_logging()
    workdir = ctx.repo / STATE_DIR / _slug(repo_url, branch, ctx.environment)
    workdir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    server: StatusServer | None = None
    try:
        with _exclusive(workdir), stop_on_signals(stop, on_signal=_log_stop_request):
            from connectorops.gitops.reconcile import EngineReconciler

            holder = f"{socket.gethostname()}/{_instance_id(workdir)}"
            status = ControllerStatus(
                environment=ctx.environment or "(default)",
                mode=mode,
                branch=branch,
                repo_url=redact_url(repo_url),
                interval=seconds,
            )
            if listen:
                server = start_status_server(listen, status)
                log.info("status server listening", extra={"event": "status_server_started", "url": server.url})
            workspace = Workspace(
                repo_url,
                branch,
                workdir / "git",
                retry=RetryPolicy(attempts=3, initial=1.0, maximum=min(30.0, seconds)),
                stop=stop,
            )
            reconciler = EngineReconciler(ctx.repo, ctx.environment, holder, lease_ttl=max(3 * seconds, MIN_LEASE_TTL))
            log.info(
                "controller configured",
                extra={"event": "controller_configured", "holder": holder, "repo_url": redact_url(repo_url)},
            )
            settings = ControllerSettings(interval=seconds, mode=mode)
            return Controller(workspace, reconciler, settings, status, stop=stop).run()
    finally:
        if server is not None:
            server.stop()
        logging.getLogger("connectorops").removeHandler(handler)


def _slug(repo_url: str, branch: str, environment: str | None) -> str:
    """One working directory per (remote, branch, environment); the URL's credential is left out, not hashed."""
    digest = hashlib.sha256(f"{redact_url(repo_url)}\n{branch}\n{environment or ''}".encode()).hexdigest()[:16]
    return f"{environment or 'default'}-{digest}"


def _instance_id(workdir: Path) -> str:
    """Stable across restarts of this controller (so it re-takes its own lease at once), unique per workdir."""
    path = workdir / "instance-id"
    if path.exists():
        return path.read_text().strip()
    value = uuid.uuid4().hex[:12]
    path.write_text(value + "\n")
    return value


@contextlib.contextmanager
def _exclusive(workdir: Path) -> Iterator[None]:
    """One controller per working directory on this machine (the lease handles other machines)."""
    with open(workdir / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConnectoropsError(
                f"another controller is already running with {workdir}",
                hint="stop it first, or run this one from another --repo directory",
            ) from None
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def _log_stop_request(sig: signal.Signals) -> None:
    """SIGTERM/SIGINT ask the loop to stop: the current action finishes, no new one starts."""
    log.info("stop requested", extra={"event": "stop_requested", "signal": sig.name})
