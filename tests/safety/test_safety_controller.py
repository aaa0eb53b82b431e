"""The controller in apply mode as a door to a deletion (issue 10, door 12).

The controller (a subprocess, against a local bare git remote and the test's emulator) plans and
applies in one pass; a user connects to a removed connector right after that pass listed the
connections. The connector must survive; a removed connector nobody uses is still deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gitops_support import RESOURCE_GROUP, connector_files, make_remote, start_controller, wait_for
from support import ConnectionTrap

from connectorops import tags
from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.safety, pytest.mark.integration, pytest.mark.slow]


def finished(status: dict[str, Any]) -> str | None:
    return (status.get("lastReconcile") or {}).get("finished")


def test_controller_keeps_a_removed_connector_connected_between_plan_and_delete(
    tmp_path: Path, emulator: EmulatorServer, make_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = emulator.info
    assert info is not None
    target: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)
    files = {**connector_files("orders"), **connector_files("billing"), **connector_files("stock")}
    remote = make_remote(tmp_path, info, files)
    local = tmp_path / "local"
    deployer = start_controller(local, str(remote.bare), info, mode="apply", interval="1s")
    try:
        wait_for(lambda: all(target.get_custom_api(n) for n in ("orders", "billing", "stock")), 30, "the first apply")
    finally:
        assert deployer.terminate() == 0
    remote.push({"connectors/orders": None, "connectors/billing": None}, "remove orders and billing")
    before = target.get_custom_api("orders")
    assert before is not None and before["tags"][tags.DELETION_POLICY] == "protect"

    late = ConnectionTrap(emulator, target, "orders", "orders-late").install(monkeypatch)
    controller = start_controller(local, str(remote.bare), info, mode="apply", interval="1s")
    try:
        wait_for(lambda: late.fired, 30, "the controller to list connections")
        seen = finished(controller.status())
        wait_for(lambda: finished(controller.status()) != seen, 20, "the pass that planned the deletions to finish")
        seen = finished(controller.status())
        wait_for(lambda: finished(controller.status()) != seen, 20, "one more pass")
        after = target.get_custom_api("orders")
        assert after is not None, "the controller deleted 'orders' and its connection"
        assert (after.get("etag"), after["tags"]) == (before.get("etag"), before["tags"])
        assert target.get_connection("orders-late") is not None
        assert target.get_custom_api("billing") is None, "the unconnected removed connector was not deleted"
        assert target.get_custom_api("stock") is not None
    finally:
        assert controller.terminate() == 0
