"""`connectorops emulator serve`: run the ARM emulator until SIGINT/SIGTERM.

The first stdout line is one JSON object {base_url, token, ca_path, subscription_id} so scripts
(and an environment with `credential: token-env`) can connect; nothing else goes to stdout.
The emulator's principal directory is seeded from the repository's policies/sharing.yaml.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.commands.stop_signals import stop_on_signals
from connectorops.emulator.server import EmulatorServer
from connectorops.spec.source import FileSystemTree


def _directory(ctx: CliContext) -> list[tuple[str, str, str]]:
    """Principals named in policies/sharing.yaml, so role assignments to them succeed."""
    from connectorops.policy.sharing import load_sharing_policy

    policy, problems = load_sharing_policy(FileSystemTree(ctx.repo))
    for problem in problems:
        ctx.err_console.print(f"{problem.severity}: {problem}", markup=False)
    return policy.directory_entries() if policy is not None else []


def run(ctx: CliContext, *, db: Path, port: int, host: str) -> int:
    stop = threading.Event()
    with stop_on_signals(stop), EmulatorServer(db.resolve(), host=host, port=port) as server:
        assert server.info is not None
        for object_id, principal_type, display_name in _directory(ctx):
            server.add_principal(object_id, principal_type, display_name)
        sys.stdout.write(json.dumps(server.info.to_dict()) + "\n")
        sys.stdout.flush()
        ctx.err_console.print(
            f"emulator listening on {server.info.base_url} (state: {db}); Ctrl-C stops it", markup=False
        )
        while not stop.wait(0.5):
            pass
    ctx.err_console.print("emulator stopped")
    return EXIT_OK
