"""Controller idle interval (observe mode, unchanged commit, 100 connectors, 2 s interval) (issue 13).

Runs the real `connectorops controller` against a local git repository and the emulator, lets it
settle, then measures its CPU time (own + reaped git children) and the ARM requests per interval.
Goal: <= 2 % of a core and only the 4 collections' list requests per idle interval (no download, no write).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from speed_support import CLI, bench_target, cli_env, cpu_seconds, record, write_repo

from connectorops.emulator.protocol import ArmRequest, ArmResponse
from connectorops.emulator.server import EmulatorServer

CONNECTORS = 100
LISTS = {"GET customApis", "GET connections", "GET roleAssignments", "GET workflows"}  # nothing else
INTERVAL = 2.0
WINDOW = float(os.environ.get("CONNECTOROPS_BENCH_CONTROLLER_WINDOW", "20"))


class CountingEmulator(EmulatorServer):
    """The real emulator, counting the requests it answers (method + last path segment)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.seen: Counter[str] = Counter()  # not `requests`: the server has its own counter
        self._count_lock = threading.Lock()

    def answer(self, request: ArmRequest) -> ArmResponse | None:
        with self._count_lock:
            self.seen[f"{request.method} {request.path.rstrip('/').rsplit('/', 1)[-1]}"] += 1
        return super().answer(request)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _finished(lines: list[str]) -> list[dict[str, Any]]:
    events = []
    for line in list(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "reconcile_finished":
            events.append(entry)
    return events


def test_controller_idle_interval(tmp_path: Path) -> None:
    with CountingEmulator() as server:
        info = bench_target(server)
        source = write_repo(tmp_path / "source", CONNECTORS, info)
        env = cli_env(info)
        applied = subprocess.run([CLI, "apply", "--yes"], cwd=source, env=env, capture_output=True, text=True)
        assert applied.returncode == 0, applied.stderr[-2000:]
        _git(source, "init", "-q", "-b", "main")
        _git(source, "add", "-A")
        _git(source, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "bench")
        command = [CLI, "--repo", str(tmp_path / "local"), "controller", "--repo-url", str(source),
                   "--branch", "main", "--interval", f"{INTERVAL:g}s", "--mode", "observe"]  # fmt: skip
        (tmp_path / "local").mkdir()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 120
            while len(_finished(lines)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(_finished(lines)) >= 2, "".join(lines[-20:])
            before_cpu, before_seen, before_runs = cpu_seconds(process.pid), Counter(server.seen), len(_finished(lines))
            started = time.monotonic()
            time.sleep(WINDOW)
            cpu = cpu_seconds(process.pid) - before_cpu
            wall = time.monotonic() - started
            runs = len(_finished(lines)) - before_runs
            seen = Counter(server.seen) - before_seen
            requests = sum(seen.values())
        finally:
            process.terminate()
            process.wait(timeout=30)
    share = cpu / wall
    per_interval = requests / runs if runs else None
    record(
        "controller idle interval",
        n=CONNECTORS,
        interval_s=INTERVAL,
        window_s=round(wall, 1),
        reconciles=runs,
        cpu_share_of_core=round(share, 4),
        requests_per_interval=per_interval,
        # The emulator pages 100 customApis as a full page and an empty one: 5 requests, all lists.
        requests_seen=dict(sorted(seen.items())),
        target=0.02,
        met=share <= 0.02 and set(seen) == LISTS,
    )
    assert runs >= 1
