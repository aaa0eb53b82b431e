"""`connectorops plan | apply | drift` through the CLI on the embedded local target.

Exit codes, every report format, saved plans (and stale-plan refusal), the non-interactive
refusal, the connection-loss guard, crash-resume of a killed apply, and no secret in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke
from engine_e2e_support import connect_logic_app, make_repo, remove_connector, write_connector

from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.tags import is_lease_marker
from connectorops.targets.arm.connect import open_gateway

pytestmark = pytest.mark.integration

SECRET_VAR = "CLI_TEST_ORDERS_SECRET"
SECRET_VALUE = "cli-Secret-Value-9f8e7d6c"
OAUTH = (
    "  auth:\n    type: oauth2\n    identityProvider: aad\n    clientId: 6f0c3b9e-2a41-4c8e-9a57-1d2b3c4d5e6f\n"
    f"    clientSecret: {{env: {SECRET_VAR}}}\n    resourceUri: api://contoso-orders\n"
)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_plan_apply_drift_exit_codes_and_formats(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    code, out, _ = cli(root, "plan")
    assert code == 2 and "Plan: 2 create." in out
    code, out, _ = cli(root, "plan", "--json")
    data = json.loads(out)
    assert code == 2 and data["schemaVersion"] == 1 and data["summary"]["create"] == 2
    code, out, _ = cli(root, "plan", "--markdown")
    assert code == 2 and out.startswith("<!-- connectorops-plan:local -->")
    code, out, err = cli(root, "apply")
    assert code == 1 and "stdin is not a terminal" in err
    code, out, _ = cli(root, "apply", "--yes")
    assert code == 0 and "Apply complete: 2 action(s) done." in out
    assert cli(root, "plan")[0] == 0
    code, out, _ = cli(root, "drift", "--json")
    assert code == 0 and json.loads(out)["summary"]["drift"] == 0
    code, out, _ = cli(root, "apply", "--yes", "--json")
    assert code == 0 and json.loads(out)["summary"] == {"done": 0, "failed": 0, "blocked": 0, "notDone": 0}


def test_saved_plan_applies_exactly_and_stale_plan_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    plan_file = tmp_path / "plan.json"
    assert cli(root, "plan", "--out", str(plan_file))[0] == 2
    code, out, _ = cli(root, "apply", "--plan", str(plan_file), "--yes")
    assert code == 0 and "created" in out
    write_connector(root, "orders", extra="  displayName: Orders v2\n")
    assert cli(root, "plan", "--out", str(plan_file))[0] == 2
    stale = tmp_path / "stale.json"
    stale.write_text(plan_file.read_text())
    assert cli(root, "apply", "--plan", str(plan_file), "--yes")[0] == 0
    code, _, err = cli(root, "apply", "--plan", str(stale), "--yes")
    assert code == 1 and "stale" in err and "'orders' changed since the plan was made" in err


def test_blocked_deletion_exits_one_and_names_the_logic_app(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    config = load_repository(FileSystemTree(root)).config
    with open_gateway(root, config, "local") as gateway:
        connect_logic_app(gateway, "orders", "orders-conn", "la-invoices")
    remove_connector(root, "orders")
    code, out, _ = cli(root, "plan")
    assert code == 1 and "BLOCKED" in out and "la-invoices" in out
    code, out, _ = cli(root, "plan", "--markdown")
    assert code == 1 and "### ⛔ Blocked" in out and "la-invoices" in out
    code, _, err = cli(root, "apply", "--yes")
    assert code == 1 and "nothing was applied" in err
    code, out, _ = cli(root, "apply", "--yes", "--allow-connection-loss", "orders")
    assert code == 0 and "deleted" in out


def test_drift_reports_and_fix_converges(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    assert cli(root, "apply", "--yes")[0] == 0
    config = load_repository(FileSystemTree(root)).config
    with open_gateway(root, config, "local") as gateway:
        live = gateway.get_custom_api("orders")
        assert live is not None
        gateway.patch_custom_api_tags("orders", {**live["tags"], "connectorops-deletion": "orphan"})
    code, out, _ = cli(root, "drift")
    assert code == 2 and "modified" in out and "tags.connectorops-deletion" in out
    code, out, _ = cli(root, "drift", "--markdown")
    assert code == 2 and out.startswith("<!-- connectorops-drift:local -->")
    code, out, _ = cli(root, "drift", "--fix")
    assert code == 0 and "updated" in out
    assert cli(root, "drift")[0] == 0


def test_no_secret_value_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path)
    write_connector(root, "orders", extra=OAUTH)
    code, _, err = cli(root, "apply", "--yes")
    assert code == 1 and SECRET_VAR in err and "is not set" in err
    monkeypatch.setenv(SECRET_VAR, SECRET_VALUE)
    outputs = []
    runs = [["plan"], ["plan", "--json"], ["plan", "--markdown"], ["plan", "--out", str(tmp_path / "p.json")]]
    runs += [["apply", "--yes"], ["drift"], ["drift", "--json"], ["drift", "--markdown"], ["apply", "--yes", "--json"]]
    for args in runs:
        code, out, err = cli(root, *args)
        assert code in (0, 2), (args, out, err)
        outputs += [out, err]
    outputs.append((tmp_path / "p.json").read_text())
    assert all(SECRET_VALUE not in text for text in outputs)
    assert SECRET_VAR in "".join(outputs)  # the reference is shown, the value never


def test_killed_apply_resumes_without_duplicates(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "c1", "c2", "c3", "c4", "c5", "c6")
    command = [sys.executable, "-m", "connectorops.cli", "--repo", str(root), "apply", "--yes"]
    env = {**os.environ, "CONNECTOROPS_TEST_CRASH_AFTER": "1"}
    crashed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 137, crashed.stderr
    config = load_repository(FileSystemTree(root)).config
    with open_gateway(root, config, "local") as gateway:
        partial = [a["name"] for a in gateway.list_custom_apis() if not is_lease_marker(a)]
    assert 1 <= len(partial) < 6  # killed after the first finished action, others may have been in flight
    env.pop("CONNECTOROPS_TEST_CRASH_AFTER")
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Apply complete: {6 - len(partial)} action(s) done." in resumed.stdout
    with open_gateway(root, config, "local") as gateway:
        names = sorted(a["name"] for a in gateway.list_custom_apis() if not is_lease_marker(a))
    assert names == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert cli(root, "plan")[0] == 0


def test_broken_definition_is_an_error_never_a_deletion(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    (root / "connectors" / "orders" / "openapi.json").write_text('{"swagger": "2.0", "info": ')
    code, out, _ = cli(root, "plan", "--json")
    data = json.loads(out)
    assert code == 1 and [a["kind"] for a in data["actions"]] == ["noop"]  # billing only; orders not deleted
    assert any("connectors/orders/openapi.json" in str(p["file"]) for p in data["problems"])
    code, out, _ = cli(root, "drift")
    assert code == 1 and "openapi.json" in out
    code, _, err = cli(root, "apply", "--yes")
    assert code == 1 and "nothing was applied" in err


def test_spec_error_stops_before_any_request_and_names_file_and_line(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    path = root / "connectors" / "orders" / "connector.yaml"
    path.write_text(path.read_text().replace("  lifecycle:", "  lifecylce:"))
    for command in (["plan"], ["apply", "--yes"], ["drift"]):
        code, out, err = cli(root, *command)
        assert code == 1 and "connectors/orders/connector.yaml:" in err and "lifecylce" in err, (command, err)
        assert "Traceback" not in out + err
    assert not (root / ".connectorops" / "emulator.db").exists()  # no gateway was ever opened
