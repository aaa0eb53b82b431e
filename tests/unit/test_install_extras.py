"""The core install is the CLI; Pulumi is the `pulumi` extra, and its absence is explained, not a traceback.

Also pins the constraints file that `make test` and CI install from: PyPI releases only.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
PULUMI_PACKAGES = ("pulumi", "pulumi_azure_native", "pulumi_policy")


def _run_without(module: str, script: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` as Pulumi would, with `module` unimportable (as on a core install)."""
    code = (
        "import runpy, sys\n"
        f"sys.modules[{module!r}] = None  # import {module} raises ImportError, as when it is not installed\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_pyproject_keeps_pulumi_out_of_the_core_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    assert "pulumi" not in core
    extra = " ".join(project["optional-dependencies"]["pulumi"])
    for package in ("pulumi>=", "pulumi-azure-native", "pulumi-policy"):
        assert package in extra
    assert "connectorops[pulumi]" in project["optional-dependencies"]["dev"]


def test_the_cli_and_every_command_import_no_pulumi_package() -> None:
    commands = sorted(p.stem for p in (ROOT / "src/connectorops/commands").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        "import connectorops.cli\n"
        f"for name in {commands!r}:\n"
        "    importlib.import_module('connectorops.commands.' + name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {PULUMI_PACKAGES!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
    assert "init" in commands and "new_connector" in commands


def test_the_pulumi_program_without_pulumi_says_what_to_install() -> None:
    done = _run_without("pulumi_azure_native", ROOT / "infra" / "__main__.py")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "pulumi-azure-native" in done.stderr
    assert "pip install 'connectorops[pulumi]'" in done.stderr
    assert "the Pulumi program (infra/)" in done.stderr


def test_the_crossguard_pack_without_pulumi_policy_says_what_to_install() -> None:
    done = _run_without("pulumi_policy", ROOT / "policies" / "crossguard" / "__main__.py")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "'pulumi-policy'" in done.stderr
    assert "pip install 'connectorops[pulumi]'" in done.stderr


def test_constraints_pin_only_pypi_releases_and_cover_every_dependency() -> None:
    lines = [line for line in CONSTRAINTS.read_text().splitlines() if line and not line.startswith("#")]
    pinned: dict[str, str] = {}
    for line in lines:
        # name==version only: no editable (-e), no direct references (`name @ file://...`), no hashes
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)", line)
        assert match, f"not a PyPI pin: {line!r}"
        pinned[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    assert "connectorops" not in pinned
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["pulumi"]
    wanted += [d for d in project["optional-dependencies"]["dev"] if not d.startswith("connectorops")]
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0]).lower()
        assert name in pinned, f"{name} (from pyproject.toml) is not pinned in {CONSTRAINTS.name}: run `make lock`"


def test_workflow_jobs_that_run_pulumi_install_the_pulumi_extra_first() -> None:
    import yaml

    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            steps = job.get("steps", [])
            runs_pulumi = [i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/actions")]
            if not runs_pulumi:
                continue
            installs = [i for i, s in enumerate(steps) if "'.[pulumi]'" in str(s.get("run", ""))]
            assert installs and installs[0] < runs_pulumi[0], f"{path.name}:{name} runs pulumi without the extra"
