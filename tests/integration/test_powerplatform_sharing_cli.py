"""Sharing on a Power Platform environment through the CLI, against the emulator's Power Platform surface:
grants through modifyPermissions, a portal share found by drift and revoked by --fix (the Owner kept), and the
requests the platform cannot carry refused before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from powerplatform_engine_support import (
    ALICE,
    RULE_LINE,
    SALES,
    TENANT,
    permissions,
    portal,
    pp_repo,
    share_in_portal,
)
from test_cli_plan_apply_drift import cli

pytestmark = pytest.mark.integration

EDIT_AND_TENANT_VIEW = "  sharing:\n    - {principal: sales-team, role: edit}\n    - {principal: everyone, role: use}\n"


def test_grants_go_to_the_service_and_a_portal_share_is_drift_that_fix_revokes(tmp_path: Path) -> None:
    root = pp_repo(tmp_path, "orders", sharing=EDIT_AND_TENANT_VIEW)
    code, out, _ = cli(root, "apply", "--yes")
    assert code == 0 and "granted" in out
    with portal(root) as target:
        held = permissions(target, "orders")
        [owner] = [p for p, role in held.items() if role == "Owner"]
        assert held == {owner: "Owner", SALES: "CanEdit", TENANT: "CanView"}
        share_in_portal(target, "orders", ALICE, "User", "CanEdit")
    assert cli(root, "plan")[0] == 2  # the portal share would be revoked
    code, out, _ = cli(root, "drift", "--json")
    report = json.loads(out)
    assert code == 2
    [item] = report["items"]
    assert (item["kind"], item["connector"], item["principal"], item["role"]) == (
        "extra-role-assignment", "orders", "alice (User)", "CanEdit")  # fmt: skip
    code, out, _ = cli(root, "drift", "--fix")
    assert code == 0 and "revoked" in out
    with portal(root) as target:
        assert permissions(target, "orders") == {owner: "Owner", SALES: "CanEdit", TENANT: "CanView"}
    assert cli(root, "drift")[0] == 0


def test_a_changed_role_replaces_the_permission(tmp_path: Path) -> None:
    root = pp_repo(tmp_path, "orders", sharing="  sharing: [{principal: sales-team, role: use}]\n")
    assert cli(root, "apply", "--yes")[0] == 0
    text = (root / "connectors/orders/connector.yaml").read_text().replace("role: use", "role: share")
    (root / "connectors/orders/connector.yaml").write_text(text)
    code, out, _ = cli(root, "plan", "--json")
    [change] = [a for a in json.loads(out)["actions"] if a["kind"] != "noop"]
    assert code == 2 and change["kind"] == "create" and "replaces the CanView permission" in change["warnings"][0]
    assert cli(root, "apply", "--yes")[0] == 0
    with portal(root) as target:
        assert permissions(target, "orders")[SALES] == "CanViewWithShare"
    assert cli(root, "plan")[0] == 0


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("apply", "--yes")])
def test_tenant_with_can_edit_is_refused_naming_the_line_and_the_rule(tmp_path: Path, command: tuple[str, ...]) -> None:
    root = pp_repo(tmp_path, "orders", sharing="  sharing:\n    - {principal: sales-team, role: edit}\n"
                                                "    - {principal: everyone, role: edit}\n")  # fmt: skip
    code, out, err = cli(root, *command)
    assert code == 1
    output = out + err
    assert "connectors/orders/connector.yaml:10" in output
    assert f"rule 'makers-share-freely' (policies/sharing.yaml:{RULE_LINE})" in output
    assert "CanView only" in output and "Traceback" not in output
    if command[0] != "validate":
        with portal(root) as target:
            assert target.list_connectors() == []  # nothing was written


def test_a_service_principal_is_refused_on_power_platform(tmp_path: Path) -> None:
    root = pp_repo(tmp_path, "orders", sharing="  sharing: [{principal: deploy-bot, role: use}]\n")
    code, out, _ = cli(root, "validate")
    assert code == 1
    assert "connectors/orders/connector.yaml:8" in out and "users, groups and the tenant only" in out
    assert cli(root, "plan")[0] == 1
