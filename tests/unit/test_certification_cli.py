"""`connectorops certify` over a copy of the example repository: exit codes and output formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_runner import invoke

ROOT = Path(__file__).resolve().parents[2]


def example_repo(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "connectorops.yaml", tmp_path / "connectorops.yaml")
    shutil.copytree(ROOT / "connectors", tmp_path / "connectors")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path


def certify(repo: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(repo), "certify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_without_environment_microsofts_recommendations_apply(tmp_path: Path) -> None:
    code, out, _ = certify(example_repo(tmp_path), "--json", "orders")
    report = json.loads(out)
    assert code == 1
    [orders] = report["connectors"]
    assert orders["name"] == "orders" and not orders["passed"]
    mandatory = {f["ruleId"] for f in orders["findings"] if f["enforcement"] == "mandatory"}
    assert mandatory == {"ConnectorMetadataMissing"}  # the example has no x-ms-connector-metadata
    finding = next(f for f in orders["findings"] if f["ruleId"] == "ConnectorMetadataMissing")
    assert finding["file"] == "connectors/orders/openapi.yaml"
    assert finding["pointer"] == "/x-ms-connector-metadata"


def test_environment_policy_makes_findings_advisory(tmp_path: Path) -> None:
    code, out, _ = certify(example_repo(tmp_path), "-e", "local", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["environment"] == "local"
    assert report["summary"]["mandatory"] == 0 and report["summary"]["advisory"] > 0
    assert [c["name"] for c in report["connectors"]] == ["balance-control", "d7sms", "orders"]
    # disabled for local in policies/certification.yaml: balance-control's host is a test host
    assert all(f["ruleId"] != "HostNotProduction" for c in report["connectors"] for f in c["findings"])


def test_a_mandatory_rule_in_the_environment_fails(tmp_path: Path) -> None:
    repo = example_repo(tmp_path)
    policy = repo / "policies" / "certification.yaml"
    policy.write_text(policy.read_text().replace("      IconMissing: disabled", "      VisibilityMissing: mandatory"))
    code, out, _ = certify(repo, "-e", "local", "orders")
    assert code == 1
    assert "mandatory VisibilityMissing connectors/orders/openapi.yaml#/paths/~1orders/get" in out


def test_markdown_is_a_pr_comment_section(tmp_path: Path) -> None:
    code, out, _ = certify(example_repo(tmp_path), "--markdown", "d7sms")
    assert code == 1
    assert out.startswith("### Certification failed")
    assert "| `DefaultResponseHasSchema` | mandatory | `connectors/d7sms/paconn/apiDefinition.swagger.json#" in out


def test_unknown_connector_name_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    code, out, err = certify(example_repo(tmp_path), "ordrs")
    assert code == 1
    assert "no connector named 'ordrs'; did you mean 'orders'?" in err
    assert "Traceback" not in out + err
