"""The wheel as a new user gets it: built from this tree, installed WITHOUT extras into a fresh venv.

Reports the installed size (the issue measured 548 MB when Pulumi was a core dependency) and runs
the day-one story with the installed `connectorops` only: init, validate, plan, apply, drift on the
embedded emulator. pip uses requirements/constraints.txt and its local cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
BEFORE_MB = 548  # issue 15: `pip install connectorops` with Pulumi in the core dependencies
CORE_LIMIT_MB = 200  # a regression guard: Pulumi alone would add ~400 MB


def run(*args: str | Path, cwd: Path | None = None, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1_000_000


def test_core_wheel_installs_without_pulumi_and_runs_the_day_one_story(tmp_path: Path) -> None:
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", ROOT)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("connectorops-*.whl"))

    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python, connectorops = fresh / "bin" / "python", fresh / "bin" / "connectorops"
    installed = run(python, "-m", "pip", "install", "-q", "-c", CONSTRAINTS, wheel)
    assert installed.returncode == 0, installed.stderr

    heavy = ("pulumi", "pulumi_azure_native", "pulumi_policy", "grpc")
    probe = f"import importlib.util as u; print([m for m in {heavy!r} if u.find_spec(m)])"
    assert run(python, "-c", probe).stdout.strip() == "[]"
    site = next((fresh / "lib").glob("python3*/site-packages"))
    megabytes = size_mb(site)
    print(f"\ncore install (wheel, no extras): {megabytes:.0f} MB in site-packages (before: {BEFORE_MB} MB)")
    assert megabytes < CORE_LIMIT_MB

    repo = tmp_path / "team"
    done = run(connectorops, "init", repo, "--pulumi")
    assert done.returncode == 0, done.stderr
    assert "connectorops validate" in done.stderr
    steps = [("validate",), ("plan",), ("apply", "--yes"), ("drift",), ("plan",)]
    codes = []
    for step in steps:
        result = run(connectorops, *step, cwd=repo)
        assert "Traceback" not in result.stderr, result.stderr
        codes.append(result.returncode)
    assert codes == [0, 2, 0, 0, 0]

    # The scaffolded Pulumi program on a core install: one line naming the extra, not a traceback.
    program = run(python, repo / "infra" / "__main__.py", cwd=repo)
    assert program.returncode == 1
    assert "pip install 'connectorops[pulumi]'" in program.stderr and "Traceback" not in program.stderr
