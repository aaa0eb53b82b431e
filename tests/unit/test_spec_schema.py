"""JSON Schema export: committed schemas/ match the models, and they describe the YAML keys."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import invoke

from connectorops.spec.jsonschema import all_schemas, schema_file_texts

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_committed_schemas_are_up_to_date() -> None:
    for name, text in schema_file_texts().items():
        committed = REPO_ROOT / "schemas" / name
        assert committed.read_text(encoding="utf-8") == text, f"run `connectorops schema --out schemas` ({name})"


def test_connector_schema_uses_yaml_key_names_and_forbids_unknown_keys() -> None:
    schema = all_schemas()["connector"]
    assert set(schema["required"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert schema["additionalProperties"] is False
    api_key = schema["$defs"]["ApiKeyAuth"]
    assert "in" in api_key["properties"] and "in_" not in api_key["properties"]
    spec = schema["$defs"]["ConnectorSpecBody"]["properties"]
    assert "definition" in spec and spec["displayName"]["description"]


def test_schema_command_prints_both_schemas(tmp_path: Path) -> None:
    result = invoke(["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert set(printed) == {"connector", "connectorops"}
    assert printed == json.loads(json.dumps(all_schemas()))


def test_schema_command_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = invoke(["schema", "--out", str(out)])
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["connector.schema.json", "connectorops.schema.json"]
    assert json.loads((out / "connectorops.schema.json").read_text())["title"] == "connectorops.yaml"
