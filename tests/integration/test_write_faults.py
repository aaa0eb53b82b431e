"""Writes whose reply is lost or refused once: retried, and counted by what the server now holds.

A lost reply (the server wrote, then the connection dropped) on a conditional PUT is retried into
412; the gateway reads the resource back and counts the write done when it carries what was sent,
and says "plan again" when someone else's change is there. PATCH and DELETE are retried like PUT.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_e2e_support import make_repo, openapi, reconcile, remove_connector, write_connector

from connectorops import tags
from connectorops.emulator.faults import FaultConfig, FaultInjector, FaultKind
from connectorops.emulator.server import EmulatorServer
from connectorops.engine.apply import apply_plan
from connectorops.engine.plan import ActionKind
from connectorops.errors import GatewayError
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration


def _script(emulator: EmulatorServer, verb: str, *kinds: FaultKind) -> FaultInjector:
    """From now on, the next requests of `verb` meet these faults, in order; then none."""
    injector = FaultInjector(FaultConfig(scripted={verb: list(kinds)}))
    emulator.faults = injector
    return injector


def _applied(root: Path, gateway: ArmGateway) -> None:
    _, _, plan = reconcile(root, gateway)
    assert apply_plan(plan, ResourceGroupTarget(gateway), secrets={}).exit_code == 0


def _changed_description(root: Path) -> None:
    write_connector(root, "orders", doc=openapi(info={"title": "Orders", "version": "2", "description": "New text."}))


# the gateway -----------------------------------------------------------------------------------------
def test_a_lost_reply_to_an_if_match_put_is_a_done_write(emulator: EmulatorServer, gateway: ArmGateway) -> None:
    body = {"location": "westeurope", "properties": {"displayName": "Orders"}, "tags": {tags.FINGERPRINT: "a"}}
    etag = gateway.put_custom_api("orders", body)["etag"]
    changed = {**body, "properties": {"displayName": "Orders v2"}, "tags": {tags.FINGERPRINT: "b"}}
    injector = _script(emulator, "PUT", "lost_reply")
    result = gateway.put_custom_api("orders", changed, if_match=etag)
    assert injector.injected["lost_reply"] == 1
    assert result["properties"]["displayName"] == "Orders v2" and result["tags"][tags.FINGERPRINT] == "b"
    assert gateway.requests.counts[("PUT", "Microsoft.Web/customApis")] == 3  # first, lost, 412
    assert gateway.requests.retried >= 1


def test_a_lost_reply_to_an_if_none_match_create_is_a_done_write(emulator: EmulatorServer, gateway: ArmGateway) -> None:
    body = {"location": "westeurope", "properties": {"displayName": "Orders"}, "tags": {tags.FINGERPRINT: "a"}}
    _script(emulator, "PUT", "lost_reply")
    result = gateway.put_custom_api("orders", body, if_none_match="*")
    assert result["name"] == "orders" and result["tags"][tags.FINGERPRINT] == "a"


def test_a_412_after_a_retry_with_someone_elses_change_says_plan_again(
    emulator: EmulatorServer, gateway: ArmGateway
) -> None:
    body = {"location": "westeurope", "properties": {"displayName": "Orders"}, "tags": {tags.FINGERPRINT: "a"}}
    etag = gateway.put_custom_api("orders", body)["etag"]
    gateway.put_custom_api("orders", {**body, "properties": {"displayName": "Portal edit"}})  # after the plan
    _script(emulator, "PUT", "error_503")  # our write is refused once, then retried into 412
    with pytest.raises(GatewayError, match="changed by someone else since the plan; plan again") as caught:
        gateway.put_custom_api("orders", {**body, "properties": {"displayName": "Ours"}}, if_match=etag)
    assert caught.value.status == 412
    live = gateway.get_custom_api("orders")
    assert live is not None and live["properties"]["displayName"] == "Portal edit"


def test_a_retried_create_finding_another_holder_in_a_tag_is_a_conflict(
    emulator: EmulatorServer, gateway: ArmGateway
) -> None:
    # The controller's lease marker: same properties for every contender, the holder in a tag.
    marker = {"location": "westeurope", "properties": {"displayName": "lease"}, "tags": {"holder": "b"}}
    gateway.put_custom_api("lease", marker, if_none_match="*")
    _script(emulator, "PUT", "reset")
    with pytest.raises(GatewayError, match="plan again") as caught:
        gateway.put_custom_api("lease", {**marker, "tags": {"holder": "a"}}, if_none_match="*")
    assert caught.value.status == 412
    live = gateway.get_custom_api("lease")
    assert live is not None and live["tags"] == {"holder": "b"}


def test_a_412_without_a_retry_is_not_read_back(emulator: EmulatorServer, gateway: ArmGateway) -> None:
    body = {"location": "westeurope", "properties": {"displayName": "Orders"}, "tags": {tags.FINGERPRINT: "a"}}
    etag = gateway.put_custom_api("orders", body)["etag"]
    gateway.put_custom_api("orders", body)  # the same content, a new etag: still a conflict with the plan
    gets = gateway.requests.counts[("GET", "Microsoft.Web/customApis")]
    with pytest.raises(GatewayError) as caught:
        gateway.put_custom_api("orders", body, if_match=etag)
    assert caught.value.status == 412
    assert gateway.requests.counts[("GET", "Microsoft.Web/customApis")] == gets


def test_a_refused_create_finding_exactly_what_we_sent_is_done(emulator: EmulatorServer, gateway: ArmGateway) -> None:
    # A controller killed mid-apply: its create still landed; the next run's create meets it.
    body = {"location": "westeurope", "properties": {"displayName": "Orders"}, "tags": {tags.FINGERPRINT: "a"}}
    gateway.put_custom_api("orders", body, if_none_match="*")
    etag = gateway.get_custom_api("orders")["etag"]  # type: ignore[index]
    again = gateway.put_custom_api("orders", body, if_none_match="*")
    assert again["etag"] == etag  # read back, not overwritten
    with pytest.raises(GatewayError) as caught:  # anything else there (here: another fingerprint) is a conflict
        gateway.put_custom_api("orders", {**body, "tags": {tags.FINGERPRINT: "b"}}, if_none_match="*")
    assert caught.value.status == 412
    assert gateway.get_custom_api("orders")["tags"][tags.FINGERPRINT] == "a"  # type: ignore[index]


@pytest.mark.parametrize("fault", ["reset", "lost_reply", "error_503"])
def test_a_tags_patch_is_retried_like_a_put(emulator: EmulatorServer, gateway: ArmGateway, fault: FaultKind) -> None:
    gateway.put_custom_api("orders", {"location": "westeurope", "properties": {}, "tags": {"a": "1"}})
    injector = _script(emulator, "PATCH", fault)
    result = gateway.patch_custom_api_tags("orders", {"a": "2"})
    assert injector.injected[fault] == 1
    assert result["tags"] == {"a": "2"}
    assert gateway.requests.counts[("PATCH", "Microsoft.Web/customApis")] == 2


def test_a_lost_reply_to_a_delete_is_already_gone(emulator: EmulatorServer, gateway: ArmGateway) -> None:
    gateway.put_custom_api("orders", {"location": "westeurope", "properties": {}})
    _script(emulator, "DELETE", "lost_reply")
    assert gateway.delete_custom_api("orders") is False  # the retry found nothing left to delete
    assert gateway.get_custom_api("orders") is None


# through the engine ---------------------------------------------------------------------------------------
def test_an_update_whose_reply_is_lost_is_reported_done(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway
) -> None:
    root = make_repo(tmp_path, "orders")
    _applied(root, gateway)
    _changed_description(root)
    _, _, plan = reconcile(root, gateway)
    assert [a.kind for a in plan.changes] == [ActionKind.UPDATE]
    _script(emulator, "PUT", "lost_reply")
    report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert [(r.name, r.status, r.message) for r in report.results] == [("orders", "done", "updated")]
    _, _, after = reconcile(root, gateway, drift=True)
    assert after.exit_code == 0


def test_an_update_conflicting_with_a_portal_edit_fails_with_plan_again(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway
) -> None:
    root = make_repo(tmp_path, "orders")
    _applied(root, gateway)
    _changed_description(root)
    _, _, plan = reconcile(root, gateway)
    live = gateway.get_custom_api("orders")
    assert live is not None
    gateway.put_custom_api("orders", {**live, "properties": {**live["properties"], "displayName": "Portal"}})
    _script(emulator, "PUT", "error_500")
    report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    (result,) = report.results
    assert result.status == "failed" and "plan again" in result.message and report.exit_code == 1


def test_an_orphan_whose_patch_meets_a_reset_is_reported_done(
    tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway
) -> None:
    root = make_repo(tmp_path, "orders", "billing", deletion="orphan")
    _applied(root, gateway)
    remove_connector(root, "orders")
    _, _, plan = reconcile(root, gateway)
    assert [a.kind for a in plan.changes] == [ActionKind.ORPHAN]
    _script(emulator, "PATCH", "reset")
    report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
    assert [(r.name, r.status) for r in report.results] == [("orders", "done")]
    kept = gateway.get_custom_api("orders")
    assert kept is not None and not tags.is_managed(kept.get("tags"))
