"""`plan` and `validate` for a `mode: pulumi` environment name what azure-native's CustomApi cannot carry.

The environment is an `azure` one pointed at the emulator (armEndpoint + caBundle + token-env), so
`plan` observes it as it would Azure. d7sms (basic auth) renders connectionParameters.*.uiDefinition:
an error until the stack that deploys the environment (Pulumi.<stack>.yaml, connectorops:environment)
lists it under connectorops:dropUiDefinition, then a warning; nothing at all in `mode: engine`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_runner import invoke

from connectorops.emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["connectionParameters.password.uiDefinition", "connectionParameters.username.uiDefinition"]
CONFIG = """default: dev
environments:
  dev:
    target: azure
    subscriptionId: {subscription}
    resourceGroup: rg-test
    location: westeurope
    armEndpoint: {endpoint}
    caBundle: {ca}
    credential: token-env
    mode: {mode}
"""


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout + result.stderr


def make_repo(tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, mode: str) -> Path:
    info = emulator.info
    assert info is not None
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    config = CONFIG.format(subscription=info.subscription_id, endpoint=info.base_url, ca=info.ca_path, mode=mode)
    (tmp_path / "connectorops.yaml").write_text(config)
    shutil.copytree(ROOT / "connectors" / "d7sms", tmp_path / "connectors" / "d7sms")
    return tmp_path


def uncarried(report: dict[str, object]) -> list[dict[str, str]]:
    """The pulumi.uncarried_field problems of a plan or validate --json report."""
    problems = list(report.get("problems") or [])  # type: ignore[call-overload]
    for connector in report.get("connectors") or []:  # type: ignore[attr-defined]
        problems += connector["problems"]
    return sorted((p for p in problems if p["code"] == "pulumi.uncarried_field"), key=lambda p: p["field"])


def test_plan_and_validate_refuse_what_pulumi_cannot_carry_until_the_stack_drops_it(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path, emulator, monkeypatch, "pulumi")

    code, out = cli(repo, "plan")
    assert code == 1
    assert "connectors/d7sms/connector.yaml: connectionParameters.password.uiDefinition: d7sms:" in out
    assert "connectorops apply" in out and "connectorops:dropUiDefinition" in out
    code, out = cli(repo, "plan", "--json")
    found = uncarried(json.loads(out))
    assert code == 1 and [p["field"] for p in found] == FIELDS
    assert {(p["severity"], p["file"]) for p in found} == {("error", "connectors/d7sms/connector.yaml")}

    code, out = cli(repo, "validate", "--json")
    found = uncarried(json.loads(out))
    assert code == 1 and [p["field"] for p in found] == FIELDS
    assert all(p["severity"] == "error" and "d7sms" in p["message"] for p in found)

    # A stack of another environment dropping it does not count; the one deploying `dev` does.
    (repo / "Pulumi.prod.yaml").write_text(
        "config:\n  connectorops:environment: prod\n  connectorops:dropUiDefinition: [d7sms]\n"
    )
    assert cli(repo, "plan")[0] == 1
    (repo / "Pulumi.dev.yaml").write_text(
        "config:\n  connectorops:environment: dev\n  connectorops:dropUiDefinition:\n    - d7sms\n"
    )
    code, out = cli(repo, "plan", "--json")
    found = uncarried(json.loads(out))
    assert code == 2 and [p["field"] for p in found] == FIELDS
    assert all(p["severity"] == "warning" and "Pulumi.dev.yaml" in p["message"] for p in found)
    code, out = cli(repo, "validate")
    assert code == 0 and "connectionParameters.username.uiDefinition" in out


def test_an_engine_environment_carries_the_dialog_and_reports_nothing(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path, emulator, monkeypatch, "engine")
    code, out = cli(repo, "plan", "--json")
    assert code == 2 and uncarried(json.loads(out)) == []
    code, out = cli(repo, "validate", "--json")
    assert code == 0 and uncarried(json.loads(out)) == []
