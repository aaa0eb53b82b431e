"""The controller as a subprocess against a local bare git remote and the HTTPS emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitops_support import RESOURCE_GROUP, connector_files, make_remote, start_controller, wait_for

from connectorops import tags
from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def target(emulator: EmulatorServer, make_gateway) -> ArmGateway:  # type: ignore[no-untyped-def]
    gateway: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)
    return gateway


def commit_of(target: ArmGateway, name: str) -> str | None:
    api = target.get_custom_api(name)
    return (api or {}).get("tags", {}).get(tags.SOURCE_COMMIT)


def test_pushed_commit_is_applied_within_one_interval(
    tmp_path: Path, emulator: EmulatorServer, target: ArmGateway
) -> None:
    info = emulator.info
    assert info is not None
    remote = make_remote(tmp_path, info)
    controller = start_controller(tmp_path / "local", str(remote.bare), info, mode="apply", interval="1s")
    try:
        first = wait_for(lambda: commit_of(target, "orders"), 30, "the first apply")
        second = remote.push(connector_files(extra_path="/returns"), "add /returns")
        wait_for(lambda: commit_of(target, "orders") == second, 10, "the pushed commit applied")
        assert first != second
        swagger = target.download_swagger(target.get_custom_api("orders") or {})
        assert swagger is not None and "/returns" in swagger["paths"]
        status = controller.status()
        assert status["revision"] == second
        assert status["lease"]["held"] is True
        assert 'connectorops_reconcile_total{environment="dev",result="success"}' in controller.metrics()
    finally:
        assert controller.terminate() == 0
    stopped = controller.events("controller_stopped")
    assert stopped, "no clean shutdown logged"
    assert all(json.dumps(e).find(info.token) < 0 for e in controller.logs), "the token leaked into the logs"


def test_out_of_band_edit_is_reported_in_status_and_fixed_in_apply_mode(
    tmp_path: Path, emulator: EmulatorServer, target: ArmGateway
) -> None:
    info = emulator.info
    assert info is not None
    remote = make_remote(tmp_path, info)
    local = tmp_path / "local"
    deployer = start_controller(local, str(remote.bare), info, mode="apply")
    try:
        wait_for(lambda: commit_of(target, "orders"), 30, "the first apply")
    finally:
        assert deployer.terminate() == 0

    edited = target.get_custom_api("orders") or {}
    edited["properties"]["displayName"] = "Edited in the portal"
    edited["properties"]["swagger"] = target.download_swagger(edited)
    target.put_custom_api("orders", {k: v for k, v in edited.items() if k in ("location", "tags", "properties")})

    observer = start_controller(local, str(remote.bare), info, mode="observe")
    try:

        def modified() -> dict[str, object] | None:
            drift = observer.status().get("drift") or {}
            items = [i for i in drift.get("items", []) if i["kind"] == "modified" and i["connector"] == "orders"]
            return items[0] if items else None

        item = wait_for(modified, 15, "/status to report the out-of-band edit")
        assert "properties.displayName" in item["fields"]
        assert f"deployed from commit {remote.work.head.commit.hexsha[:12]}" in str(item["detail"])
        seen = observer.status()["lastReconcile"]["finished"]
        wait_for(lambda: observer.status()["lastReconcile"]["finished"] != seen, 5, "another observe pass")
        assert (target.get_custom_api("orders") or {})["properties"]["displayName"] == "Edited in the portal"
    finally:
        assert observer.terminate() == 0

    fixer = start_controller(local, str(remote.bare), info, mode="apply")
    try:
        wait_for(
            lambda: (target.get_custom_api("orders") or {})["properties"]["displayName"] == "Orders",
            15,
            "apply mode to restore the display name",
        )
        wait_for(lambda: fixer.status()["drift"].get("total") == 0, 10, "/status to show no drift afterwards")
    finally:
        assert fixer.terminate() == 0


def test_unreachable_remote_backs_off_then_recovers(
    tmp_path: Path, emulator: EmulatorServer, target: ArmGateway
) -> None:
    info = emulator.info
    assert info is not None
    remote = make_remote(tmp_path, info)
    controller = start_controller(tmp_path / "local", str(remote.bare), info, mode="apply")
    hidden = tmp_path / "hidden.git"
    try:
        wait_for(lambda: commit_of(target, "orders"), 30, "the first apply")
        remote.bare.rename(hidden)  # the git server goes away
        failures = wait_for(lambda: len(controller.events("git_sync_failed")) >= 2 or None, 30, "two failed syncs")
        assert failures
        status = controller.status()
        assert status["consecutiveFailures"] >= 2 and "cannot fetch" in status["lastError"]
        retries = controller.events("git_fetch_retry")
        assert retries and all(r["wait_seconds"] >= 0 for r in retries)  # the workspace backed off between attempts
        assert "connectorops_git_fetch_failures_total" in controller.metrics()

        hidden.rename(remote.bare)  # back again, with a new commit
        pushed = remote.push(connector_files(extra_path="/refunds"), "add /refunds")
        wait_for(lambda: commit_of(target, "orders") == pushed, 30, "recovery and the new commit applied")
        wait_for(lambda: controller.status()["consecutiveFailures"] == 0, 5, "failure count reset")
        assert controller.status()["circuit"] == "closed"
    finally:
        if hidden.exists():
            hidden.rename(remote.bare)
        assert controller.terminate() == 0
