"""The matrix of environments the workflows plan, deploy and watch (connectorops.ci.environments)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectorops.ci.environments import ci_environments, github_matrix, main, read_project_config
from connectorops.errors import SpecError

CONFIG = """
default: local
environments:
  local: {target: local}
  dev:
    target: azure
    subscriptionId: 00000000-0000-0000-0000-000000000001
    resourceGroup: rg-dev
    location: westeurope
    mode: pulumi
  prod:
    target: azure
    subscriptionId: 00000000-0000-0000-0000-000000000002
    resourceGroup: rg-prod
    location: westeurope
"""


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    (tmp_path / "connectorops.yaml").write_text(text)
    return tmp_path


def test_only_azure_environments_with_their_mode(tmp_path: Path) -> None:
    config = read_project_config(write_config(tmp_path))
    assert [(e.name, e.mode) for e in ci_environments(config)] == [("dev", "pulumi"), ("prod", "engine")]
    assert [e.name for e in ci_environments(config, mode="pulumi")] == ["dev"]
    assert github_matrix(ci_environments(config, mode="engine")) == {
        "include": [{"environment": "prod", "mode": "engine", "target": "azure"}]
    }


def test_power_platform_environments_are_in_the_matrix_with_their_target(tmp_path: Path) -> None:
    text = (
        CONFIG
        + """  makers:
    target: powerplatform
    environmentId: Default-00000000-0000-0000-0000-000000000003
    mode: pulumi
  makers-local: {target: local, platform: powerplatform}
"""
    )
    config = read_project_config(write_config(tmp_path, text))
    assert github_matrix(ci_environments(config)) == {
        "include": [
            {"environment": "dev", "mode": "pulumi", "target": "azure"},
            {"environment": "prod", "mode": "engine", "target": "azure"},
            {"environment": "makers", "mode": "pulumi", "target": "powerplatform"},
        ]
    }  # the emulator's Power Platform surface (target local) is the laptop's, never CI's
    assert [e.name for e in ci_environments(config, mode="pulumi")] == ["dev", "makers"]


def test_main_prints_github_output_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(write_config(tmp_path))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "any=true"
    key, value = lines[0].split("=", 1)
    assert key == "matrix"
    assert [row["environment"] for row in json.loads(value)["include"]] == ["dev", "prod"]


def test_main_with_no_azure_environment_says_any_false(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_config(tmp_path, "default: local\nenvironments: {local: {target: local}}\n")
    assert main(["--repo", str(repo)]) == 0
    assert capsys.readouterr().out.splitlines() == ['matrix={"include":[]}', "any=false"]


def test_invalid_config_is_a_spec_error_naming_the_field(tmp_path: Path) -> None:
    write_config(tmp_path, "environments:\n  dev: {target: azure, resourceGroup: rg, location: x}\n")
    with pytest.raises(SpecError) as caught:
        read_project_config(tmp_path)
    assert caught.value.problem.file == "connectorops.yaml"
    assert "subscriptionId" in (caught.value.problem.field or "")


def test_broken_yaml_names_the_line_and_main_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tmp_path, "default: local\nenvironments: [\n")
    with pytest.raises(SpecError) as caught:
        read_project_config(tmp_path)
    assert caught.value.problem.line is not None and caught.value.problem.line >= 2
    assert main(["--repo", str(tmp_path)]) == 1
    assert "connectorops.yaml" in capsys.readouterr().err


def test_the_repository_config_parses() -> None:
    root = Path(__file__).resolve().parents[2]
    names = [e.name for e in ci_environments(read_project_config(root))]
    assert "local" not in names and names
