"""Crash and concurrency: SIGKILL mid-reconcile then restart converges; two controllers -> one applies."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from gitops_support import RESOURCE_GROUP, connector_files, make_remote, start_controller, wait_for

from connectorops import tags
from connectorops.emulator.faults import FaultConfig, VerbFaults
from connectorops.gitops.lease import HOLDER_TAG, lease_name
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")


def all_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for name in NAMES:
        files.update(connector_files(name, title=name.title()))
    return files


def deployed(target: ArmGateway, commit: str) -> list[str]:
    return sorted(
        str(a["name"]) for a in target.list_custom_apis() if (a.get("tags") or {}).get(tags.SOURCE_COMMIT) == commit
    )


def commit_of(target: ArmGateway, name: str = "orders") -> str | None:
    return ((target.get_custom_api(name) or {}).get("tags") or {}).get(tags.SOURCE_COMMIT)


def test_sigkill_during_reconcile_then_restart_converges(tmp_path: Path, make_emulator, make_gateway) -> None:  # type: ignore[no-untyped-def]
    # Every PUT takes 1s, so a kill right after the lease is taken lands in the middle of the apply.
    slow_puts = FaultConfig(per_verb={"PUT": VerbFaults(latency=1.0, latency_seconds=1.0)})
    emulator = make_emulator(faults=slow_puts)
    info = emulator.info
    target: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)
    remote = make_remote(tmp_path, info, all_files())
    head = remote.work.head.commit.hexsha
    local = tmp_path / "local"

    first = start_controller(local, str(remote.bare), info, mode="apply")
    wait_for(lambda: first.events("lease_acquired"), 30, "the first apply to start")
    time.sleep(0.3)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    assert first.process.returncode == -signal.SIGKILL
    assert not first.events("reconcile_finished"), "the kill came too late to interrupt the reconcile"
    assert deployed(target, head) != list(NAMES), "the kill came too late: everything was already applied"
    marker = target.get_custom_api(lease_name("dev")) or {}
    holder = marker["tags"][HOLDER_TAG]
    assert holder  # the dead controller never released its lease

    second = start_controller(local, str(remote.bare), info, mode="apply")
    try:
        wait_for(lambda: deployed(target, head) == sorted(NAMES), 40, "convergence after restart")
        finished = wait_for(lambda: second.events("reconcile_finished"), 10, "a finished reconcile")
        assert finished[0]["result"] == "success", json.dumps(finished, indent=1)
        # Same working directory, same holder: it took its own lease back without waiting for expiry.
        assert second.status()["lease"]["held"] is True
        assert (target.get_custom_api(lease_name("dev")) or {})["tags"][HOLDER_TAG] == holder
    finally:
        assert second.terminate() == 0


def test_two_controllers_on_one_environment_exactly_one_applies(
    tmp_path: Path,
    emulator,
    make_gateway,  # type: ignore[no-untyped-def]
) -> None:
    info = emulator.info
    target: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)
    remote = make_remote(tmp_path, info)
    one = start_controller(tmp_path / "one", str(remote.bare), info, mode="apply")
    two = start_controller(tmp_path / "two", str(remote.bare), info, mode="apply")
    controllers = (one, two)
    try:
        wait_for(lambda: target.get_custom_api("orders"), 30, "the first apply")
        pushed = remote.push(connector_files(extra_path="/invoices"), "add /invoices")
        wait_for(lambda: commit_of(target) == pushed, 15, "the update")
        time.sleep(2.5)  # a few more intervals in which the follower could misbehave
        appliers = [c for c in controllers if any(e["applied"] > 0 for e in c.events("reconcile_finished"))]
        assert len(appliers) == 1
        leader = appliers[0]
        follower = two if leader is one else one
        assert sum(e["applied"] for e in leader.events("reconcile_finished")) == 2  # create, then update
        follower_runs = follower.events("reconcile_finished")
        assert follower_runs and all(e["lease"].startswith("held by ") for e in follower_runs)
        assert follower.status()["lease"]["held"] is False

        # The leader stops gracefully and releases the lease: the follower takes over the next change.
        assert leader.terminate() == 0
        again = remote.push(connector_files(extra_path="/credits"), "add /credits")
        wait_for(lambda: commit_of(target) == again, 15, "the follower to take over")
        # the commit tag lands during the apply; its reconcile_finished event is logged after it
        wait_for(
            lambda: any(e["applied"] > 0 for e in follower.events("reconcile_finished")), 15, "the follower's event"
        )
    finally:
        for controller in controllers:
            controller.terminate()


def test_sigterm_mid_apply_finishes_started_actions_starts_no_new_ones_and_releases_lease(
    tmp_path: Path,
    make_emulator,
    make_gateway,  # type: ignore[no-untyped-def]
) -> None:
    slow_puts = FaultConfig(per_verb={"PUT": VerbFaults(latency=1.0, latency_seconds=1.0)})
    emulator = make_emulator(faults=slow_puts)
    info = emulator.info
    target: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)
    remote = make_remote(tmp_path, info, all_files())
    head = remote.work.head.commit.hexsha

    controller = start_controller(tmp_path / "local", str(remote.bare), info, mode="apply")
    wait_for(lambda: controller.events("lease_acquired"), 30, "the apply to start")
    time.sleep(0.2)
    assert controller.terminate(timeout=30) == 0

    finished = controller.events("reconcile_finished")
    assert len(finished) == 1 and finished[0]["result"] == "interrupted"
    done = deployed(target, head)
    # apply runs a few writes at a time: those in flight completed, the rest were never started.
    assert 0 < finished[0]["applied"] == len(done) < len(NAMES)
    marker = target.get_custom_api(lease_name("dev")) or {}
    assert marker["tags"][HOLDER_TAG] == ""  # released on the way out
