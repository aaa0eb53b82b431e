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
from connectorops.spec.loader import load_repository
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


def test_api_properties_that_contradict_connector_auth_are_refused(tmp_path: Path) -> None:
    # issue 14 item 12: apiProperties' parameters are deployed as written, so auth: must agree with them
    properties = {"properties": {"connectionParameters": {"api_key": {"type": "securestring"}}}}
    spec = {"definition": {"paconn": "paconn"}, "auth": {"type": "basic"}}
    connector, tree = connector_at(
        tmp_path, spec, {"paconn/apiDefinition.swagger.json": PETSTORE, "paconn/apiProperties.json": properties}
    )
    with pytest.raises(DefinitionError) as caught:
        resolve_definition(connector, tree, "local")
    problem = caught.value.problem
    assert (problem.code, problem.field) == ("AuthConflict", "spec.auth")
    assert "declares connection parameters of type(s) securestring" in problem.message
    assert "deployed as written" in (problem.hint or "")


def test_api_properties_connection_parameters_are_deployed_as_written(tmp_path: Path) -> None:
    written = {
        "username": {"type": "securestring", "uiDefinition": {"displayName": "User", "constraints": {"tabIndex": 2}}},
        "password": {"type": "securestring", "uiDefinition": {"tooltip": "Mine", "constraints": {"tabIndex": 3}}},
    }
    spec = {"definition": {"paconn": "paconn"}, "auth": {"type": "basic"}}
    files = {"paconn/apiDefinition.swagger.json": PETSTORE,
             "paconn/apiProperties.json": {"properties": {"connectionParameters": written}}}  # fmt: skip
    connector, tree = connector_at(tmp_path, spec, files)
    assert resolve_definition(connector, tree, "local").connection_parameters == written


def test_oauth_parameters_as_written_get_the_secret_reference_at_their_own_name(tmp_path: Path) -> None:
    settings = {"identityProvider": "github", "clientId": "app-1", "scopes": [], "redirectUrl": "https://x.example/r"}
    written = {"oauth": {"type": "oauthSetting", "oAuthSettings": settings, "uiDefinition": {"displayName": "Log in"}}}
    auth = {"type": "oauth2", "identityProvider": "github", "clientId": "app-1", "clientSecret": {"env": "GH_SECRET"}}
    files = {"paconn/apiDefinition.swagger.json": PETSTORE,
             "paconn/apiProperties.json": {"properties": {"connectionParameters": written}}}  # fmt: skip
    connector, tree = connector_at(tmp_path, {"definition": {"paconn": "paconn"}, "auth": auth}, files)
    resolved = resolve_definition(connector, tree, "local")
    assert resolved.connection_parameters == written
    assert resolved.secret_refs == {"/oauth/oAuthSettings/clientSecret": {"env": "GH_SECRET"}}
    other = {"definition": {"paconn": "paconn"}, "auth": {**auth, "clientId": "app-2"}}
    connector, tree = connector_at(tmp_path / "b", other, files)
    with pytest.raises(DefinitionError, match="oAuthSettings.clientId 'app-1' but connector.yaml auth says 'app-2'"):
        resolve_definition(connector, tree, "local")


def test_the_d7sms_example_deploys_its_dialog_as_microsoft_wrote_it() -> None:
    # was regenerated from auth: (password tabIndex 3 -> 2, tooltips "Provide your ...")
    root = Path(__file__).resolve().parents[2]
    repository = load_repository(FileSystemTree(root))
    connector = next(c for c in repository.connectors if c.name == "d7sms")
    written = json.loads((root / "connectors/d7sms/paconn/apiProperties.json").read_text())
    resolved = resolve_definition(connector, repository.tree, "local", cache_dir=None)
    assert resolved.connection_parameters == written["properties"]["connectionParameters"]
    assert resolved.connection_parameters["password"]["uiDefinition"]["constraints"]["tabIndex"] == 3
