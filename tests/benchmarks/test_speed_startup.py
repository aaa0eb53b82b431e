"""Start-up: `connectorops --help` and `connectorops validate` of one connector, wall time (issue 13).

Min/median of 5 runs each; the baseline is a bare `python -c pass` on the same interpreter.
Goals: --help <= 0.12 s, validate of one connector <= 0.3 s (warm cache; cold is printed too).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from speed_support import record, run_cli, summary, timed, timings, write_repo

RUNS = 5


def _bare_python() -> list[float]:
    return timings(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), RUNS)


def test_help_start_up(tmp_path: Path) -> None:
    def help_() -> None:
        result = run_cli(["--help"], tmp_path)
        assert result.returncode == 0 and "validate" in result.stdout

    help_()
    (helps, cpus), bare = timed(help_, RUNS), _bare_python()
    record("--help", measured_s=summary(helps), measured_cpu_s=summary(cpus), baseline_s=summary(bare),
           ratio=round(min(helps) / min(bare), 2), target_s=0.12, met=min(helps) <= 0.12,
           met_in_cpu_time=min(cpus) <= 0.12)  # fmt: skip


def test_validate_one_connector(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", 1, None)
    cache = repo / ".connectorops" / "cache"

    def validate() -> None:
        result = run_cli(["validate"], repo)
        assert result.returncode == 0, result.stdout + result.stderr

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        validate()

    validate()
    colds, cold_cpus = timed(cold, RUNS)
    validate()
    warms, warm_cpus = timed(validate, RUNS)
    bare = _bare_python()
    record("validate one connector", measured_s=summary(warms), measured_cpu_s=summary(warm_cpus),
           cold_s=summary(colds), cold_cpu_s=summary(cold_cpus), baseline_s=summary(bare),
           ratio=round(min(warms) / min(bare), 2), target_s=0.3, met=min(warms) <= 0.3,
           met_in_cpu_time=min(warm_cpus) <= 0.3)  # fmt: skip
