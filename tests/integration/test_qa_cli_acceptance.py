"""Acceptance regressions through the CLI on the embedded local target (QA round 2).

Each test pins a defect found by using the product as a platform team would.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli_runner import invoke
from engine_e2e_support import connect_logic_app, make_repo, remove_connector, write_connector

from connectorops.emulator.server import EmulatorServer
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm.connect import open_gateway
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
from connectorops.targets.transport.credentials import StaticTokenCredential

pytestmark = pytest.mark.integration


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_saved_blocked_or_empty_plan_says_so_in_json_and_text(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    config = load_repository(FileSystemTree(root)).config
    with open_gateway(root, config, "local") as gateway:
        connect_logic_app(gateway, "orders", "orders-conn", "la-invoices")
    noop_file, blocked_file = tmp_path / "noop.json", tmp_path / "blocked.json"
    assert cli(root, "plan", "--out", str(noop_file))[0] == 0
    remove_connector(root, "orders")
    assert cli(root, "plan", "--out", str(blocked_file))[0] == 1

    code, out, err = cli(root, "apply", "--plan", str(blocked_file), "--yes", "--json")
    assert code == 1 and "nothing was applied" in err  # was: exit 1, stdout and stderr empty
    report = json.loads(out)
    assert report["exitCode"] == 1 and report["plan"]["blocked"][0]["key"] == "customApi:orders"
    code, out, err = cli(root, "apply", "--plan", str(blocked_file), "--yes")
    assert code == 1 and "BLOCKED" in out and "nothing was applied" in err
    code, out, _ = cli(root, "apply", "--yes", "--json")  # the fresh-plan path agrees on exitCode
    assert code == 1 and json.loads(out)["exitCode"] == 1

    code, _, err = cli(root, "apply", "--plan", str(noop_file), "--yes", "--json")
    # A saved "no changes" is re-verified too: git moved, so a plan made now would delete orders.
    assert code == 1 and "stale" in err and "a plan made now would delete it" in err
    write_connector(root, "orders")
    code, out, _ = cli(root, "apply", "--plan", str(noop_file), "--yes", "--json")
    report = json.loads(out)  # was: empty stdout
    assert code == 0 and report["exitCode"] == 0
    assert report["summary"] == {"done": 0, "failed": 0, "blocked": 0, "notDone": 0}


def test_local_runs_leave_git_status_clean_without_a_gitignore_entry(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    assert "connectorops.yaml" in _git_status(root)  # staged, not committed: status sees the repo's files
    subprocess.run(["git", "-C", str(root), "reset", "-q"], check=True)
    before = _git_status(root)
    assert cli(root, "plan")[0] == 2
    assert (root / ".connectorops" / "emulator.db").is_file()
    assert _git_status(root) == before  # .connectorops/ (emulator db with its token) is not offered to git


def _git_status(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_drift_fix_reports_what_it_fixed_not_only_what_is_left(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    assert cli(root, "apply", "--yes")[0] == 0
    config = load_repository(FileSystemTree(root)).config

    def edit_in_portal() -> None:
        with open_gateway(root, config, "local") as gateway:
            live = gateway.get_custom_api("orders")
            assert live is not None
            gateway.patch_custom_api_tags("orders", {**live["tags"], "connectorops-deletion": "orphan"})

    edit_in_portal()
    code, out, _ = cli(root, "drift", "--fix", "--json")
    report = json.loads(out)
    assert code == 0 and report["items"] == [] and report["exitCode"] == 0
    assert [(i["kind"], i["connector"]) for i in report["fixed"]] == [("modified", "orders")]  # was: no trace of it
    assert report["summary"]["fixed"] == 1
    edit_in_portal()
    code, out, _ = cli(root, "drift", "--fix", "--markdown")
    assert code == 0 and "Fixed by `--fix` in this run: 1 modified." in out
    edit_in_portal()
    code, out, _ = cli(root, "drift", "--fix")
    assert code == 0 and "Fixed by --fix: 1 modified." in out
    code, out, _ = cli(root, "drift", "--json")
    assert code == 0 and json.loads(out)["fixed"] == []


def test_two_emulators_with_state_in_one_folder_keep_their_own_ca(tmp_path: Path) -> None:
    first, second = EmulatorServer(tmp_path / "a.db"), EmulatorServer(tmp_path / "b.db")
    try:
        infos = [first.start(), second.start()]  # the second used to overwrite the first's emulator-ca.pem
        assert [Path(i.ca_path).name for i in infos] == ["a-ca.pem", "b-ca.pem"]
        for info in infos:
            target = ArmTarget(
                base_url=info.base_url, subscription_id=info.subscription_id, resource_group="rg",
                location="westeurope", credential=StaticTokenCredential(info.token), ca_bundle=info.ca_path,
            )  # fmt: skip
            with ArmGateway(target) as gateway:
                assert gateway.list_custom_apis() == []
    finally:
        first.stop()
        second.stop()
