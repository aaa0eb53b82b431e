"""`make demo` (scripts/demo.py) end to end: the story's key facts, its exit code, and its safety.

The demo runs the real CLI against the embedded emulator in a scratch workspace under tmp_path,
from a copy of the repository's connectors, so the checkout is never touched here either.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from demo_workspace import MARKER, DemoWorkspace, WorkspaceError, remove_json_operation, remove_operation  # noqa: E402

SECRET = "demo-test-Secret-4b1d9e77"
SOURCE_FILES = ("connectorops.yaml", "connectors", "policies")
# The demo's process result, the checkout copy it read from, and that copy's files before the run.
DemoRun = tuple[subprocess.CompletedProcess[str], Path, dict[str, bytes]]


def copy_source(into: Path) -> Path:
    into.mkdir()
    for name in SOURCE_FILES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, into / name)
        else:
            shutil.copy2(origin, into / name)
    return into


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_demo(source: Path, workspace: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "ORDERS_CLIENT_SECRET")}
    command = [sys.executable, str(REPO / "scripts" / "demo.py")]
    command += ["--source", str(source), "--workspace", str(workspace), "--demo-secret", SECRET]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def command_outputs(output: str) -> list[tuple[str, str]]:
    """(command line, what followed it up to the next command) for every `$ connectorops ...` shown."""
    blocks: list[tuple[str, str]] = []
    for chunk in output.split("\n$ connectorops ")[1:]:
        command, _, rest = chunk.partition("\n")
        blocks.append((command.strip(), rest))
    return blocks


def outputs_of(blocks: list[tuple[str, str]], command: str) -> list[str]:
    return [text for shown, text in blocks if shown == command]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    base = tmp_path_factory.mktemp("demo")
    source = copy_source(base / "checkout")
    before = snapshot(source)
    return run_demo(source, base / "workspace"), source, before


def test_demo_exits_zero_and_tells_every_chapter(demo: DemoRun) -> None:
    result, _, _ = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "DEMO FAILED" not in result.stdout and "Traceback" not in result.stdout + result.stderr
    shown = [command for command, _ in command_outputs(result.stdout)]
    assert shown == [
        "validate", "plan", "apply --yes", "plan", "plan", "plan --markdown", "plan",
        "plan --allow-connection-loss orders", "plan", "drift", "drift --fix", "drift",
        "validate -e makers-local", "plan -e makers-local", "apply -e makers-local --yes", "plan -e makers-local",
        "plan -e makers-local", "plan -e makers-local", "plan -e makers-local",
        "drift -e makers-local", "drift -e makers-local --fix", "drift -e makers-local",
    ]  # fmt: skip
    assert "This step is NOT connectorops" in result.stdout  # the simulated user is said to be simulated


def test_breaking_change_names_the_removed_operation_and_the_logic_app(
    demo: DemoRun,
) -> None:
    blocks = command_outputs(demo[0].stdout)
    breaking_plan = outputs_of(blocks, "plan")[2]
    lines = [line for line in breaking_plan.splitlines() if "BREAKING" in line]
    assert len(lines) == 1 and "CancelOrder" in lines[0] and "cancel-unpaid-orders" in lines[0]
    assert "exit code 2" in breaking_plan
    (markdown,) = outputs_of(blocks, "plan --markdown")
    assert "`CancelOrder`" in markdown and "cancel-unpaid-orders" in markdown
    assert "folded away in this excerpt" in markdown and "VisibilityMissing" not in markdown  # the excerpt


def test_blocked_deletion_names_the_connection_and_the_flag_unblocks_it(
    demo: DemoRun,
) -> None:
    blocks = command_outputs(demo[0].stdout)
    blocked = outputs_of(blocks, "plan")[3]
    assert "BLOCKED" in blocked and "exit code 1" in blocked
    assert "orders-sales" in blocked and "cancel-unpaid-orders" in blocked
    (allowed,) = outputs_of(blocks, "plan --allow-connection-loss orders")
    assert "BLOCKED" not in allowed and "orders-sales" in allowed and "exit code 2" in allowed
    assert "exit code 0" in outputs_of(blocks, "plan")[4]  # the folder restored: git and target agree again


def test_drift_finds_the_description_and_the_grant_and_fix_clears_them(
    demo: DemoRun,
) -> None:
    blocks = command_outputs(demo[0].stdout)
    found, after = outputs_of(blocks, "drift")
    assert "exit code 2" in found and "properties.description" in found and "alice (User)" in found
    assert "extra-role-assignment" in found
    (fixed,) = outputs_of(blocks, "drift --fix")
    assert "revoke use from alice (User)" in fixed and "exit code 0" in fixed
    assert "Drift: 0 item(s)" in after and "exit code 0" in after


def test_power_automate_part_deploys_template_and_script_and_keeps_the_guards(demo: DemoRun) -> None:
    result = demo[0]
    blocks = command_outputs(result.stdout)
    applied = outputs_of(blocks, "apply -e makers-local --yes")[0]
    assert "helpdesk" in applied and "exit code 0" in applied
    # read back from the environment through the service's GET and the script's download URL
    assert "policy template setheader, scriptOperations GetTicket, script.csx" in " ".join(result.stdout.split())
    assert "identical to git's" in result.stdout
    assert "This step is NOT connectorops: the demo plays a maker" in " ".join(result.stdout.split())
    _, _, breaking, blocked, restored = outputs_of(blocks, "plan -e makers-local")
    lines = [line for line in breaking.splitlines() if "BREAKING" in line]
    assert len(lines) == 1 and "CloseTicket" in lines[0] and "close-resolved-tickets" in lines[0]
    assert "exit code 2" in breaking
    assert "BLOCKED" in blocked and "exit code 1" in blocked
    assert "helpdesk-support" in blocked and "close-resolved-tickets" in blocked
    assert "exit code 0" in restored
    found, after = outputs_of(blocks, "drift -e makers-local")
    assert "exit code 2" in found and "alice (User)" in found and "CanEdit" in found
    (fixed,) = outputs_of(blocks, "drift -e makers-local --fix")
    assert "revoke CanEdit from alice (User)" in fixed and "exit code 0" in fixed
    assert "Drift: 0 item(s)" in after and "exit code 0" in after


def test_no_secret_value_anywhere_and_the_checkout_untouched(
    demo: DemoRun,
) -> None:
    result, source, before = demo
    assert SECRET not in result.stdout + result.stderr
    assert "ORDERS_CLIENT_SECRET" in result.stdout  # the reference is named, the value never
    assert snapshot(source) == before


def test_a_step_that_misbehaves_fails_the_demo_naming_it(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "checkout")
    spec = source / "connectors" / "orders" / "connector.yaml"
    spec.write_text(spec.read_text().replace("  backend:", "  backnd:"))
    result = run_demo(source, tmp_path / "workspace")
    assert result.returncode == 1
    assert "DEMO FAILED at step 'Validate what git declares'" in result.stdout
    assert "exited 1, the story expects 0" in result.stdout


def test_workspace_not_made_by_the_demo_is_never_wiped(tmp_path: Path) -> None:
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(WorkspaceError, match="was not made by the demo"):
        DemoWorkspace.create(REPO, precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    with pytest.raises(WorkspaceError, match="would contain the source"):
        DemoWorkspace.create(tmp_path / "mine" / "src", tmp_path / "mine")


def test_a_second_run_starts_from_a_fresh_workspace(tmp_path: Path) -> None:
    first = DemoWorkspace.create(REPO, tmp_path / "ws")
    (first.root / "leftover.txt").write_text("from the last run")
    second = DemoWorkspace.create(REPO, tmp_path / "ws")
    assert (second.root / MARKER).is_file() and not (second.root / "leftover.txt").exists()
    assert (second.root / "connectors" / "orders" / "connector.yaml").is_file()
    assert len(second.head) == 40 and "ORDERS_CLIENT_SECRET" in second.env_secret_names()


def test_remove_operation_drops_exactly_that_operation(tmp_path: Path) -> None:
    openapi = tmp_path / "openapi.yaml"
    shutil.copy2(REPO / "connectors" / "orders" / "openapi.yaml", openapi)
    before = yaml.safe_load(openapi.read_text())
    remove_operation(openapi, "CancelOrder")
    after = yaml.safe_load(openapi.read_text())
    assert "delete" not in after["paths"]["/orders/{orderId}"]
    before["paths"]["/orders/{orderId}"].pop("delete")
    assert after == before  # everything else, shared path parameters included, is unchanged
    with pytest.raises(WorkspaceError, match="no operation 'CancelOrder'"):
        remove_operation(openapi, "CancelOrder")


def test_remove_json_operation_drops_exactly_that_operation(tmp_path: Path) -> None:
    definition = tmp_path / "apiDefinition.swagger.json"
    shutil.copy2(REPO / "scripts" / "demo_powerplatform" / "helpdesk" / "paconn" / definition.name, definition)
    before = json.loads(definition.read_text())
    remove_json_operation(definition, "CloseTicket")
    after = json.loads(definition.read_text())
    del before["paths"]["/tickets/{ticketId}/close"]  # its only operation: the path goes too
    assert after == before
    with pytest.raises(WorkspaceError, match="no operation 'CloseTicket'"):
        remove_json_operation(definition, "CloseTicket")
