"""Deletion is never silent: checked at the moment of each DELETE, through every door (issue 10).

Against the embedded local target through the CLI (and the controller's reconciler in-process): a
connection made after the plan (a saved file, the prompt, drift --fix, the controller) blocks the delete;
forged plan files are refused; the deletion policy comes from git, not from a tag; an acknowledgement
covers the connections it was shown; creates never overwrite; one writer per environment.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cli_runner import invoke
from engine_e2e_support import commit_all, connect_logic_app, make_repo, remove_connector, write_connector

from connectorops import tags
from connectorops.engine.plan import Plan
from connectorops.gitops.lease import Lease
from connectorops.gitops.reconcile import EngineReconciler
from connectorops.gitops.revisions import tree_at
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.tags import is_lease_marker
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.connect import open_gateway
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


@contextmanager
def target(root: Path) -> Iterator[ArmGateway]:
    """The repository's local emulator, as a user in the portal would reach it."""
    with open_gateway(root, load_repository(FileSystemTree(root)).config, "local") as gateway:
        yield gateway


def state(root: Path) -> dict[str, Any]:
    """Everything a write could change: customApis (with etags) and connections."""
    with target(root) as gateway:
        apis = {a["name"]: a.get("etag") for a in gateway.list_custom_apis() if not is_lease_marker(a)}
        return {"apis": apis, "connections": sorted(c["name"] for c in gateway.list_connections())}


def connect(root: Path, connection: str, workflow: str, connector: str = "orders") -> None:
    with target(root) as gateway:
        connect_logic_app(gateway, connector, connection, workflow)


def confirm_after(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> list[bool]:
    """The interactive prompt: `meanwhile` happens while it waits, then the operator answers yes."""
    asked: list[bool] = []

    def confirm(ctx: object, plan: Plan, yes: bool) -> bool:
        meanwhile()
        asked.append(True)
        return True

    monkeypatch.setattr("connectorops.commands.apply._confirm", confirm)
    return asked


def git_repo(tmp_path: Path, *names: str) -> Path:
    root = make_repo(tmp_path, *names)
    (root / ".gitignore").write_text(".connectorops/\n")
    commit_all(root, "connectors")
    return root


def test_stale_saved_plan_with_a_new_connection_deletes_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    remove_connector(root, "orders")
    saved, acknowledged = tmp_path / "p.json", tmp_path / "ack.json"
    assert cli(root, "plan", "--out", str(saved))[0] == 2  # 0 connections: the delete is allowed
    assert cli(root, "plan", "--allow-connection-loss", "orders", "--out", str(acknowledged))[0] == 2
    connect(root, "orders-conn", "la-orders")
    before = state(root)
    for plan_file in (saved, acknowledged):
        code, _, err = cli(root, "apply", "--plan", str(plan_file), "--yes")
        assert code == 1 and "stale" in err and "showed: none; now: orders-conn" in err, err
    assert state(root) == before and "orders" in before["apis"] and before["connections"] == ["orders-conn"]
    with target(root) as gateway:
        assert gateway.delete_connection("orders-conn")  # the world is again what the plan showed
    code, out, err = cli(root, "apply", "--plan", str(acknowledged), "--yes")
    assert code == 0 and "deleted" in out and "the saved plan was made with --allow-connection-loss orders" in err
    assert "orders" not in state(root)["apis"]


def test_a_connection_made_while_the_prompt_waits_blocks_the_delete_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    remove_connector(root, "orders")
    write_connector(root, "invoices")
    asked = confirm_after(monkeypatch, lambda: connect(root, "late-conn", "la-late"))
    code, out, _ = cli(root, "apply")
    assert asked and code == 1
    assert "BLOCKED customApi:orders" in out and "late-conn" in out and "la-late" in out and "the plan showed 0" in out
    after = state(root)
    assert {"orders", "invoices"} <= set(after["apis"]) and after["connections"] == ["late-conn"]  # the rest went on


def test_an_acknowledgement_covers_only_the_connections_it_was_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    connect(root, "shown-conn", "la-shown")
    remove_connector(root, "orders")
    saved = tmp_path / "ack.json"
    assert cli(root, "plan", "--allow-connection-loss", "orders", "--out", str(saved))[0] == 2
    (delete,) = [a for a in json.loads(saved.read_text())["actions"] if a["name"] == "orders"]
    assert delete["acknowledgedConnections"] == ["shown-conn"]
    connect(root, "second-conn", "la-second")
    code, _, err = cli(root, "apply", "--plan", str(saved), "--yes")  # 1 shown, 2 live
    assert code == 1 and "showed: shown-conn; now: second-conn, shown-conn" in err
    confirm_after(monkeypatch, lambda: connect(root, "third-conn", "la-third"))
    code, out, _ = cli(root, "apply", "--allow-connection-loss", "orders")  # 2 shown, 3 live at the DELETE
    assert code == 1 and "third-conn" in out and "acknowledged only the connection(s) the plan showed" in out
    assert state(root)["connections"] == ["second-conn", "shown-conn", "third-conn"]


def forge(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """Edit a saved plan and recompute its fingerprint, as an attacker with the file would."""
    data = json.loads(path.read_text())
    change(data)
    data["fingerprint"] = Plan.from_dict(data).fingerprint
    forged = path.with_name(f"forged-{len(list(path.parent.glob('forged-*')))}.json")
    forged.write_text(json.dumps(data))
    return forged


def test_forged_plans_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    connect(root, "orders-conn", "la-orders")
    with target(root) as gateway:
        gateway.put_custom_api("theirs", {"location": "westeurope", "properties": {"displayName": "Not ours"}})
    remove_connector(root, "orders")
    write_connector(root, "invoices")
    saved = tmp_path / "p.json"
    assert cli(root, "plan", "--out", str(saved))[0] == 1  # the delete of orders is blocked

    def delete_theirs(data: dict[str, Any]) -> None:
        orders = next(a for a in data["actions"] if a["name"] == "orders")
        theirs = orders["resourceId"].replace("orders", "theirs")
        data["actions"].append(
            {**orders, "name": "theirs", "connector": "theirs", "verdict": "allow", "reasons": [], "resourceId": theirs}
        )

    def unblock(data: dict[str, Any]) -> None:
        for action in data["actions"]:
            action.update(verdict="allow", reasons=[])

    def change_body(data: dict[str, Any]) -> None:
        unblock(data)
        invoices = next(a for a in data["actions"] if a["name"] == "invoices")
        invoices["body"]["properties"]["backendService"]["serviceUrl"] = "https://attacker.example/api"

    def change_environment(data: dict[str, Any]) -> None:
        unblock(data)
        data["environment"] = "prod"

    before = state(root)
    for change in (delete_theirs, unblock, change_body, change_environment):
        code, out, err = cli(root, "apply", "--plan", str(forge(saved, change)), "--yes")
        assert code == 1 and "Traceback" not in out + err, (change.__name__, err)
        assert "altered" in err or "environment 'prod'" in err, (change.__name__, err)
    assert state(root) == before and "theirs" in before["apis"] and before["connections"] == ["orders-conn"]


def test_a_deletion_tag_edited_out_of_band_authorizes_nothing(tmp_path: Path) -> None:
    root = git_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    connect(root, "orders-conn", "la-orders")
    with target(root) as gateway:
        live = gateway.get_custom_api("orders")
        assert live is not None
        gateway.patch_custom_api_tags("orders", {**live["tags"], tags.DELETION_POLICY: "allow-connection-loss"})
    remove_connector(root, "orders")
    commit_all(root, "remove orders")
    code, out, err = cli(root, "apply", "--yes")
    assert code == 1 and "a tag edited outside git authorizes nothing" in out and "nothing was applied" in err
    assert "lifecycle.deletion is protect (connectors/orders/connector.yaml at commit" in out
    assert "deletion policy: protect (from connectors/orders/connector.yaml at commit" in out
    code, markdown, _ = cli(root, "plan", "--markdown")
    assert code == 1 and "deletion policy: `protect` (from connectors/orders/connector.yaml at commit" in markdown
    assert state(root)["connections"] == ["orders-conn"]
    # The way git allows it: merge allow-connection-loss and apply, then remove the folder.
    write_connector(root, "orders", deletion="allow-connection-loss")
    allowed = commit_all(root, "orders: allow connection loss")
    assert cli(root, "apply", "--yes")[0] == 0
    remove_connector(root, "orders")
    commit_all(root, "remove orders again")
    code, out, _ = cli(root, "apply", "--yes")
    assert code == 0 and f"connectors/orders/connector.yaml at commit {allowed[:12]}" in out
    assert "orders" not in state(root)["apis"]


def test_a_create_never_overwrites_a_same_name_customapi_made_at_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path, "orders")

    def someone_creates_orders() -> None:
        with target(root) as gateway:
            gateway.put_custom_api("orders", {"location": "westeurope", "properties": {"displayName": "Theirs"}})

    confirm_after(monkeypatch, someone_creates_orders)
    code, out, _ = cli(root, "apply", "--json")
    (result,) = json.loads(out)["results"]
    assert code == 1 and result["status"] == "failed"
    assert "'orders' appeared meanwhile" in result["message"] and "not overwritten" in result["message"]
    with target(root) as gateway:
        live = gateway.get_custom_api("orders")
    assert live is not None and live["properties"]["displayName"] == "Theirs"
    assert not tags.is_managed(live.get("tags"))


def test_a_second_apply_fails_naming_the_lease_holder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path, "orders")
    from connectorops.commands import apply as apply_command

    real_apply_plan = apply_command.apply_plan
    second: list[tuple[int, str, str]] = []

    def apply_while_another_runs(*args: Any, **kwargs: Any) -> Any:
        second.append(cli(root, "apply", "--yes"))  # the first holds the lease while it writes
        return real_apply_plan(*args, **kwargs)

    monkeypatch.setattr(apply_command, "apply_plan", apply_while_another_runs)
    assert cli(root, "apply", "--yes")[0] == 0
    ((code, _, err),) = second
    assert code == 1 and "is locked by connectorops apply by" in err and "until" in err and "nothing was applied" in err


def test_lock_timeout_waits_for_the_holder(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    with target(root) as gateway:
        lease = Lease(gateway, "local", "ci-job-41", ttl=60)
        assert lease.acquire()
        code, _, err = cli(root, "apply", "--yes")
        assert code == 1 and "locked by ci-job-41 until" in err and "--lock-timeout" in err
        assert state(root)["apis"] == {}
        releaser = threading.Timer(1.5, lease.release)
        releaser.start()
        started = time.monotonic()
        code, out, err = cli(root, "apply", "--yes", "--lock-timeout", "30s")
        releaser.join()
    assert code == 0 and time.monotonic() - started >= 1.0 and "created" in out, err
    assert cli(root, "apply", "--yes", "--lock-timeout", "soon")[0] == 1


def test_drift_fix_checks_connections_at_the_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path, "orders", "billing")
    assert cli(root, "apply", "--yes")[0] == 0
    remove_connector(root, "orders")
    from connectorops.commands import drift as drift_command

    real_show_plan = drift_command.show_plan

    def show_then_connect(*args: Any, **kwargs: Any) -> None:
        real_show_plan(*args, **kwargs)
        connect(root, "late-conn", "la-late")  # after the correcting plan was made, before its DELETE

    monkeypatch.setattr(drift_command, "show_plan", show_then_connect)
    code, out, _ = cli(root, "drift", "--fix")
    assert code == 1 and "late-conn" in out
    assert "orders" in state(root)["apis"] and state(root)["connections"] == ["late-conn"]


def test_controller_apply_mode_checks_connections_at_the_delete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = git_repo(tmp_path, "orders", "billing")
    reconciler = EngineReconciler(root, None, "controller-1", lease_ttl=60, environ={})
    try:
        first = reconciler.reconcile(tree_at(root, "HEAD"), apply=True, should_stop=lambda: False)
        assert first.result == "success" and first.applied == 2
        remove_connector(root, "orders")
        commit_all(root, "remove orders")
        from connectorops.gitops import reconcile as reconcile_module

        real_apply_plan = reconcile_module.apply_plan

        def connect_then_apply(plan: Plan, target: ResourceGroupTarget, **kwargs: Any) -> Any:
            connect_logic_app(target.gateway, "orders", "late-conn", "la-late")
            return real_apply_plan(plan, target, **kwargs)

        monkeypatch.setattr(reconcile_module, "apply_plan", connect_then_apply)
        outcome = reconciler.reconcile(tree_at(root, "HEAD"), apply=True, should_stop=lambda: False)
    finally:
        reconciler.close()
    assert outcome.result == "failure" and "late-conn" in outcome.message and outcome.applied == 0
    assert "orders" in state(root)["apis"] and state(root)["connections"] == ["late-conn"]
