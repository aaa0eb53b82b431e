"""The wheel as a new user gets it: built from this tree once, installed into fresh venvs.

Without extras: reports the installed size (the issue measured 548 MB when Pulumi was a core
dependency) and runs the day-one story with the installed `connectorops` only: init, validate, plan,
apply, drift on the embedded emulator. With `[pulumi]`: the scaffolded Pulumi program runs under
`pulumi.runtime.set_mocks` in that venv (wheel_pulumi_program.py). pip uses
requirements/constraints.txt and its local cache. One xdist group: the wheel is built once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("wheel_install")]

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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this tree, built once for the module."""
    dist = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT)
    assert built.returncode == 0, built.stderr
    return next(dist.glob("connectorops-*.whl"))


def test_core_wheel_installs_without_pulumi_and_runs_the_day_one_story(tmp_path: Path, wheel: Path) -> None:
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


def test_pulumi_extra_installs_and_runs_the_scaffolded_program_under_mocks(tmp_path: Path, wheel: Path) -> None:
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python, connectorops = fresh / "bin" / "python", fresh / "bin" / "connectorops"
    started = time.monotonic()
    installed = run(python, "-m", "pip", "install", "-q", "-c", CONSTRAINTS, f"{wheel}[pulumi]", timeout=600)
    seconds = time.monotonic() - started
    assert installed.returncode == 0, installed.stderr
    site = next((fresh / "lib").glob("python3*/site-packages"))
    print(f"\n[pulumi] install: {seconds:.0f} s, {size_mb(site):.0f} MB in site-packages")

    repo = tmp_path / "team"
    assert run(connectorops, "init", repo, "--pulumi").returncode == 0
    program = run(python, Path(__file__).with_name("wheel_pulumi_program.py"), repo, cwd=repo)
    assert program.returncode == 0 and "Traceback" not in program.stderr, program.stderr
    declared = {item["name"]: item for item in json.loads(program.stdout.strip().splitlines()[-1])}

    # The scaffolded connector, rendered by the installed engine for `dev`, as an azure-native CustomApi...
    api = declared["tickets"]
    assert api["type"] == "azure-native:web:CustomApi"
    assert (api["apiName"], api["resourceGroupName"], api["swaggerTitle"]) == (
        "tickets",
        "rg-connectors-dev",
        "Contoso Tickets",
    )
    assert api["tags"]["managed-by"] == "connectorops" and api["tags"]["connectorops-environment"] == "dev"
    # ...less the dialog azure-native cannot carry, which this stack's config allowed, and said so.
    assert api["connectionParameters"] == {"api_key": {"type": "securestring"}}
    assert "tickets: azure-native's CustomApi cannot carry connectionParameters.api_key.uiDefinition" in (
        program.stderr
    )
    # ...and its sharing from policies/sharing.yaml, scoped to the CustomApi the program declared.
    share = declared["tickets-share-platform-team-edit"]
    assert share["type"] == "azure-native:authorization:RoleAssignment"
    assert share["scope"] == "/mock/azure-native:web:CustomApi/tickets"
    assert sorted(declared) == ["tickets", "tickets-share-platform-team-edit"]
