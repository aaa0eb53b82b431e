"""paconn folder quirks and refusals, on small folders written to disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from definitions_support import PETSTORE, connector_at

from connectorops.definitions.paconn import load_paconn_folder
from connectorops.definitions.resolve import resolve_definition
from connectorops.errors import DefinitionError
from connectorops.spec.source import FileSystemTree

OAUTH = {
    "type": "oAuthSetting",
    "oAuthSettings": {"identityProvider": "DocuSign", "clientId": "c", "clientSecret": "[[DUMMY]]", "scopes": []},
}


def folder(tmp_path: Path, files: dict[str, Any]) -> FileSystemTree:
    target = tmp_path / "p"
    target.mkdir()
    for name, content in files.items():
        (target / name).write_text(content if isinstance(content, str) else json.dumps(content))
    return FileSystemTree(tmp_path)


def test_quirks_are_tolerated_and_reported(tmp_path: Path) -> None:
    properties = (
        '{"properties": {\n  // maker notes\n  "connectionParameters": {"token": ' + json.dumps(OAUTH) + "},\n"
        '  "iconBrandColor": "#123456", "publisher": "Me", "stackOwner": "Them", "scriptOperations": [],\n'
        '  "capabilities": ["actions"],\n  "policyTemplateInstances": [{"templateId": "setheader"}],\n}}'
    )
    tree = folder(tmp_path, {"apidefinition.swagger.json": PETSTORE, "apiProperties.json": properties})
    loaded = load_paconn_folder(tree, "p")
    token = loaded.connection_parameters["token"] if loaded.connection_parameters else {}
    assert token["type"] == "oauthSetting"
    assert token["oAuthSettings"] == {"identityProvider": "DocuSign", "clientId": "c", "scopes": []}
    assert (loaded.icon_brand_color, loaded.capabilities) == ("#123456", ["actions"])
    assert loaded.policy_template_instances == [{"templateId": "setheader"}]
    assert sorted(w.code or "" for w in loaded.warnings) == ["LenientJson", "PaconnFileName", "PaconnQuirk"]


def test_literal_client_secret_is_refused(tmp_path: Path) -> None:
    parameters = {"token": {**OAUTH, "oAuthSettings": {**OAUTH["oAuthSettings"], "clientSecret": "real-secret-1"}}}
    properties = {"properties": {"connectionParameters": parameters}}
    tree = folder(tmp_path, {"apiDefinition.swagger.json": PETSTORE, "apiProperties.json": properties})
    with pytest.raises(DefinitionError) as caught:
        load_paconn_folder(tree, "p")
    assert caught.value.problem.code == "LiteralSecret"
    assert "real-secret-1" not in str(caught.value)


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    tree = folder(tmp_path, {"apiDefinition.swagger.json": '{\n  "swagger": "2.0"\n  "info": {}\n}'})
    with pytest.raises(DefinitionError) as caught:
        load_paconn_folder(tree, "p")
    assert (caught.value.problem.file, caught.value.problem.line, caught.value.problem.column) == (
        "p/apiDefinition.swagger.json",
        3,
        3,
    )


def test_missing_api_definition_is_a_clear_error(tmp_path: Path) -> None:
    tree = folder(tmp_path, {"apiProperties.json": {"properties": {}}})
    with pytest.raises(DefinitionError, match="no apiDefinition.swagger.json in p"):
        load_paconn_folder(tree, "p")


def test_connector_auth_wins_over_api_properties(tmp_path: Path) -> None:
    properties = {"properties": {"connectionParameters": {"api_key": {"type": "securestring"}}}}
    spec = {"definition": {"paconn": "paconn"}, "auth": {"type": "basic"}}
    connector, tree = connector_at(
        tmp_path, spec, {"paconn/apiDefinition.swagger.json": PETSTORE, "paconn/apiProperties.json": properties}
    )
    resolved = resolve_definition(connector, tree, "local")
    assert sorted(resolved.connection_parameters) == ["password", "username"]
    assert [w.code for w in resolved.warnings] == ["AuthConflict"]
    assert resolved.source_files == ("connectors/pets/paconn/apiDefinition.swagger.json",
                                     "connectors/pets/paconn/apiProperties.json")  # fmt: skip
