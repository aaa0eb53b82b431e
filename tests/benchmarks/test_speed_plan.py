"""No-op `connectorops plan` of N connectors against the emulator vs the unavoidable work (issue 13).

Side by side in one run, alternating: the real CLI (an `azure` environment via token-env) and
baseline_noop.py (PyYAML C loader over every YAML file + the 4 paged LIST calls with requests).
Prints and records ratios; asserts only that both did the work (exit 0: no changes). Also recorded: a
plan right after one connector.yaml was edited without changing its meaning (the remembered desired
state misses, so the repository is loaded; informational, no goal).
Goals: ratio <= 1.3 at N=1000, <= 2.5 at N=10.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from speed_support import RESOURCE_GROUP, bench_target, cli_env, record, run_cli, summary, timed, write_repo

from connectorops.emulator.server import EmulatorServer

BASELINE = Path(__file__).with_name("baseline_noop.py")
SIZES = [int(n) for n in os.environ.get("CONNECTOROPS_BENCH_PLAN_SIZES", "10,100,1000").split(",")]
GOALS = {10: 2.5, 1000: 1.3}


@pytest.mark.parametrize("count", SIZES)
def test_noop_plan_vs_baseline(tmp_path: Path, count: int) -> None:
    with EmulatorServer(None) as server:
        info = bench_target(server)
        repo = write_repo(tmp_path / "repo", count, info)
        env = cli_env(info)
        applied = run_cli(["apply", "--yes"], repo, env=env)
        assert applied.returncode == 0, applied.stderr[-2000:]

        def plan() -> None:
            result = run_cli(["plan"], repo, env=env)
            assert result.returncode == 0, result.stdout[-1000:] + result.stderr[-2000:]

        def baseline() -> None:
            args = [str(repo), info.base_url, info.ca_path, info.subscription_id, RESOURCE_GROUP]
            result = subprocess.run([sys.executable, str(BASELINE), *args], env=env, capture_output=True, text=True)
            assert result.returncode == 0, result.stderr[-2000:]
            documents, items = map(int, result.stdout.split())
            assert documents == 2 * count + 1 and items >= count

        plan()  # warm: the verdict cache and the OS file cache, as on a developer's second run
        plans, baselines, plan_cpu, baseline_cpu, edited, edited_cpu = [], [], [], [], [], []
        touched = repo / "connectors" / "bench0000" / "connector.yaml"
        for run in range(3):
            walls, cpus = timed(baseline, 1)
            baselines, baseline_cpu = baselines + walls, baseline_cpu + cpus
            walls, cpus = timed(plan, 1)
            plans, plan_cpu = plans + walls, plan_cpu + cpus
            # One file edited without changing what it says (a comment): the remembered desired state no
            # longer holds, so this plan loads the repository (the other connectors' resolutions are cached).
            touched.write_text(touched.read_text() + f"# edit {run}\n")
            walls, cpus = timed(plan, 1)
            edited, edited_cpu = edited + walls, edited_cpu + cpus
    ratio = min(plans) / min(baselines)
    record(
        "no-op plan",
        n=count,
        measured_s=summary(plans),
        baseline_s=summary(baselines),
        measured_cpu_s=summary(plan_cpu),
        baseline_cpu_s=summary(baseline_cpu),
        cpu_ratio=round(min(plan_cpu) / min(baseline_cpu), 2),
        after_one_edit_s=summary(edited),
        after_one_edit_cpu_ratio=round(min(edited_cpu) / min(baseline_cpu), 2),
        ratio=round(ratio, 2),
        target=GOALS.get(count),
        met=ratio <= GOALS[count] if count in GOALS else None,
        met_in_cpu_time=min(plan_cpu) / min(baseline_cpu) <= GOALS[count] if count in GOALS else None,
    )
