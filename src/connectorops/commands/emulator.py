"""`connectorops emulator serve`: run the ARM emulator until SIGINT/SIGTERM.

The first stdout line is one JSON object {base_url, token, ca_path, subscription_id, powerapps_url,
flow_url, environment_id} so scripts
(and an environment with `credential: token-env`) can connect; nothing else goes to stdout.
The emulator's principal directory is seeded from the repository's policies/sharing.yaml.
`--throttle` turns on ARM's default buckets; `--faults RATE[,SEED]` injects seeded faults.
GET /_emulator/requests (with the token) answers the request counts per verb and type.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from connectorops.commands.context import EXIT_OK, CliContext
from connectorops.commands.stop_signals import stop_on_signals
from connectorops.emulator.faults import FaultConfig, VerbFaults
from connectorops.emulator.server import EmulatorServer
from connectorops.emulator.throttle import ThrottleConfig
from connectorops.errors import ConnectoropsError
from connectorops.spec.source import FileSystemTree


def _directory(ctx: CliContext) -> list[tuple[str, str, str]]:
    """Principals named in policies/sharing.yaml, so role assignments to them succeed."""
    from connectorops.policy.sharing import load_sharing_policy

    policy, problems = load_sharing_policy(FileSystemTree(ctx.repo))
    for problem in problems:
        ctx.err_console.print(f"{problem.severity}: {problem}", markup=False)
    return policy.directory_entries() if policy is not None else []


def fault_config(text: str) -> FaultConfig:
    """RATE[,SEED] -> faults on RATE of all requests, a third each 500, 503 and reset."""
    rate_text, _, seed_text = text.partition(",")
    try:
        rate = float(rate_text)
        seed = int(seed_text) if seed_text.strip() else 0
    except ValueError:
        rate, seed = -1.0, 0
    if not 0.0 <= rate <= 1.0:
        raise ConnectoropsError(
            f"--faults {text!r} is not RATE[,SEED]",
            field="--faults",
            hint="give a fault rate from 0 to 1 and optionally a whole-number seed, e.g. --faults 0.05,42",
        )
    share = rate / 3
    return FaultConfig(seed=seed, default=VerbFaults(error_500=share, error_503=share, reset=share))


def run(ctx: CliContext, *, db: Path, port: int, host: str, throttle: bool = False, faults: str | None = None) -> int:
    stop = threading.Event()
    throttle_config = ThrottleConfig() if throttle else None
    fault_settings = fault_config(faults) if faults is not None else None
    with (
        stop_on_signals(stop),
        EmulatorServer(db.resolve(), host=host, port=port, throttle=throttle_config, faults=fault_settings) as server,
    ):
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
