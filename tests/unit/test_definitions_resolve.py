"""resolve_definition end to end over files on disk: sources, overrides, auth, refusals."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import git
import pytest
from definitions_support import PETSTORE, connector_at

from connectorops.definitions.resolve import definition_json, resolve_definition
from connectorops.errors import ConnectoropsError, DefinitionError, Severity, SpecError, ValidationFailed
from connectorops.gitops.revisions import tree_at
from connectorops.spec.loader import load_repository
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree

REPO = Path(__file__).resolve().parents[2]


def test_openapi_file_with_backend_override_per_environment(tmp_path: Path) -> None:
    spec = {
        "definition": {"openapi": "openapi.json"},
        "backend": {"serviceUrl": "https://api.contoso.com/pets"},
        "environments": {"dev": {"backend": {"serviceUrl": "http://pets-dev.contoso.com:8443/base/"}}},
    }
    connector, tree = connector_at(tmp_path, spec, {"openapi.json": PETSTORE})
    prod = resolve_definition(connector, tree, "prod", cache_dir=tmp_path / "cache")
    dev = resolve_definition(connector, tree, "dev", cache_dir=tmp_path / "cache")
    assert (prod.swagger["host"], prod.swagger["basePath"], prod.swagger["schemes"]) == (
        "api.contoso.com",
        "/pets",
        ["https"],
    )
    assert (dev.swagger["host"], dev.swagger["basePath"], dev.swagger["schemes"]) == (
        "pets-dev.contoso.com:8443",
        "/base",
        ["http"],
    )
    assert prod.operation_count == 2
    assert prod.source_kind == "openapi"
    assert prod.source_files == ("connectors/pets/openapi.json",)


def test_output_is_deterministic_bytes(tmp_path: Path) -> None:
    yaml_text = (
        "swagger: '2.0'\ninfo: {title: T, version: '1'}\nhost: a.example.com\npaths:\n"
        "  /b: {get: {responses: {200: {description: ok}}}}\n"
        "  /a: {get: {responses: {'200': {description: ok}}}}\n"
    )
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "api.yaml"}}, {"api.yaml": yaml_text})
    first = definition_json(resolve_definition(connector, tree, "local").swagger)
    second = definition_json(resolve_definition(connector, tree, "local").swagger)
    assert first == second
    # YAML integer status codes become the strings JSON needs
    assert json.loads(first)["paths"]["/b"]["get"]["responses"] == {"200": {"description": "ok"}}


def test_oauth_aad_auth_replaces_definition_security_and_warns(tmp_path: Path) -> None:
    swagger = dict(PETSTORE, securityDefinitions={"key": {"type": "apiKey", "in": "header", "name": "X-Key"}})
    spec = {
        "definition": {"openapi": "openapi.json"},
        "auth": {
            "type": "oauth2",
            "identityProvider": "aad",
            "clientId": "client-1",
            "clientSecret": {"env": "PETS_SECRET"},
            "resourceUri": "api://pets",
            "scopes": ["api://pets/.default"],
        },
    }
    connector, tree = connector_at(tmp_path, spec, {"openapi.json": swagger})
    resolved = resolve_definition(connector, tree, "local")
    assert list(resolved.swagger["securityDefinitions"]) == ["oauth2_auth"]
    assert resolved.swagger["security"] == [{"oauth2_auth": []}]
    settings = resolved.connection_parameters["token"]["oAuthSettings"]
    assert settings["identityProvider"] == "aad"
    assert settings["customParameters"]["resourceUri"] == {"value": "api://pets"}
    assert "clientSecret" not in settings
    assert resolved.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "PETS_SECRET"}}
    conflicts = [w for w in resolved.warnings if w.code == "AuthConflict"]
    assert len(conflicts) == 1 and conflicts[0].severity == Severity.WARNING
    assert "apiKey" in conflicts[0].message and "oauth2" in conflicts[0].message


def test_environment_auth_override_changes_client_id(tmp_path: Path) -> None:
    spec = {
        "definition": {"openapi": "openapi.json"},
        "auth": {"type": "oauth2", "identityProvider": "aad", "clientId": "prod-app", "resourceUri": "api://p"},
        "environments": {"dev": {"auth": {"clientId": "dev-app", "clientSecret": {"env": "DEV_SECRET"}}}},
    }
    connector, tree = connector_at(tmp_path, spec, {"openapi.json": PETSTORE})
    dev = resolve_definition(connector, tree, "dev")
    prod = resolve_definition(connector, tree, "prod")
    assert dev.connection_parameters["token"]["oAuthSettings"]["clientId"] == "dev-app"
    assert prod.connection_parameters["token"]["oAuthSettings"]["clientId"] == "prod-app"
    assert dev.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "DEV_SECRET"}}
    assert prod.secret_refs == {}


def _with_unchecked_path(connector: LoadedConnector, path: str) -> LoadedConnector:
    """Bypass the model's own path check: resolve must refuse escapes on its own too."""
    spec = connector.document.spec
    definition = spec.definition.model_copy(update={"openapi": path})
    document = connector.document.model_copy(update={"spec": spec.model_copy(update={"definition": definition})})
    return replace(connector, document=document)


def test_traversal_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}})
    connector = _with_unchecked_path(connector, "../../../etc/passwd")
    with pytest.raises(SpecError, match="leaves the repository") as caught:
        resolve_definition(connector, tree, "local")
    assert caught.value.problem.field == "spec.definition.openapi"


def test_path_into_another_connector_is_refused(tmp_path: Path) -> None:
    connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}}, {"openapi.json": PETSTORE}, name="other")
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}})
    connector = _with_unchecked_path(connector, "../other/openapi.json")
    with pytest.raises(DefinitionError, match="outside the connector folder"):
        resolve_definition(connector, tree, "local")


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_escaping_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(PETSTORE))
    repo = tmp_path / "repo"
    connector, tree = connector_at(repo, {"definition": {"openapi": "openapi.json"}})
    (repo / "connectors" / "pets" / "openapi.json").symlink_to(outside)
    with pytest.raises(ConnectoropsError, match="outside the repository"):
        resolve_definition(connector, tree, "local")


def test_ref_to_a_url_is_refused_naming_the_pointer(tmp_path: Path) -> None:
    swagger = json.loads(json.dumps(PETSTORE))
    swagger["definitions"]["Pet"] = {"$ref": "https://evil.example.com/schema.json#/Pet"}
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}}, {"openapi.json": swagger})
    with pytest.raises(DefinitionError, match="URL") as caught:
        resolve_definition(connector, tree, "local")
    assert caught.value.problem.field == "/definitions/Pet/$ref"
    assert caught.value.problem.file == "connectors/pets/openapi.json"


def test_ref_to_a_file_in_the_folder_is_inlined(tmp_path: Path) -> None:
    swagger = json.loads(json.dumps(PETSTORE))
    swagger["definitions"]["Pet"] = {"$ref": "schemas/pet.yaml#/Pet"}
    pet = "Pet:\n  type: object\n  properties:\n    owner: {$ref: '#/Owner'}\nOwner: {type: string}\n"
    connector, tree = connector_at(
        tmp_path, {"definition": {"openapi": "openapi.json"}}, {"openapi.json": swagger, "schemas/pet.yaml": pet}
    )
    resolved = resolve_definition(connector, tree, "local")
    assert resolved.swagger["definitions"]["Pet"] == {"type": "object", "properties": {"owner": {"type": "string"}}}


def test_ref_escaping_the_connector_folder_is_refused(tmp_path: Path) -> None:
    swagger = json.loads(json.dumps(PETSTORE))
    swagger["definitions"]["Pet"] = {"$ref": "../../shared.json#/Pet"}
    (tmp_path / "shared.json").write_text('{"Pet": {"type": "object"}}')
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}}, {"openapi.json": swagger})
    with pytest.raises(DefinitionError, match="outside the connector folder"):
        resolve_definition(connector, tree, "local")


def test_dangling_internal_ref_is_an_error(tmp_path: Path) -> None:
    swagger = json.loads(json.dumps(PETSTORE))
    swagger["paths"]["/pets"]["get"]["responses"]["200"]["schema"] = {"$ref": "#/definitions/Missing"}
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}}, {"openapi.json": swagger})
    with pytest.raises(DefinitionError, match="points to nothing"):
        resolve_definition(connector, tree, "local")


def test_oversize_definition_names_size_and_limit(tmp_path: Path) -> None:
    big = json.dumps(PETSTORE)[:-1] + ', "x-padding": "' + "a" * 1_048_576 + '"}'
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "openapi.json"}}, {"openapi.json": big})
    with pytest.raises(DefinitionError) as caught:
        resolve_definition(connector, tree, "local")
    message = str(caught.value)
    assert f"{len(big):,} bytes" in message and "1,048,576" in message


def test_yaml_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "api.yaml"}}, {"api.yaml": "\n".join(lines)})
    with pytest.raises(ConnectoropsError, match="alias"):
        resolve_definition(connector, tree, "local")


def test_duplicate_yaml_keys_name_the_line(tmp_path: Path) -> None:
    text = "swagger: '2.0'\ninfo: {title: T, version: '1'}\nhost: a.example.com\nhost: b.example.com\npaths: {}\n"
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "api.yaml"}}, {"api.yaml": text})
    with pytest.raises(ConnectoropsError, match="duplicate key") as caught:
        resolve_definition(connector, tree, "local")
    assert caught.value.problem.line == 4


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    text = '{\n  "swagger": "2.0",\n  "info": {"title": "T" "version": "1"}\n}'
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "api.json"}}, {"api.json": text})
    with pytest.raises(DefinitionError) as caught:
        resolve_definition(connector, tree, "local")
    assert (caught.value.problem.line, caught.value.problem.column) == (3, 25)


def test_structural_errors_are_collected(tmp_path: Path) -> None:
    swagger = {"swagger": "3.0", "info": {"title": "T", "version": "1"}, "paths": {}}
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "api.json"}}, {"api.json": swagger})
    with pytest.raises(ValidationFailed) as caught:
        resolve_definition(connector, tree, "local")
    codes = sorted(p.code or "" for p in caught.value.problems)
    assert codes == ["NoPaths", "WrongOpenApiVersion"]


def test_no_host_and_no_backend_is_an_error(tmp_path: Path) -> None:
    swagger = {k: v for k, v in PETSTORE.items() if k != "host"}
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": "api.json"}}, {"api.json": swagger})
    with pytest.raises(ValidationFailed) as caught:
        resolve_definition(connector, tree, "local")
    assert any(p.field == "spec.backend.serviceUrl" for p in caught.value.problems)


def test_icon_must_be_png(tmp_path: Path) -> None:
    spec = {"definition": {"openapi": "api.json"}, "icon": "icon.png"}
    connector, tree = connector_at(tmp_path, spec, {"api.json": PETSTORE, "icon.png": b"GIF89a..."})
    with pytest.raises(DefinitionError, match="not a PNG"):
        resolve_definition(connector, tree, "local")


def test_example_connectors_resolve(tmp_path: Path) -> None:
    tree = FileSystemTree(REPO)
    repo = load_repository(tree)
    found = {c.name: resolve_definition(c, tree, "local", cache_dir=tmp_path) for c in repo.connectors}
    assert {"orders", "balance-control", "d7sms"} <= set(found)
    orders, balance, d7 = found["orders"], found["balance-control"], found["d7sms"]
    assert (orders.source_kind, orders.operation_count, orders.auth_kind) == ("openapi", 4, "oauth2")
    assert orders.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "ORDERS_CLIENT_SECRET"}}
    assert (balance.source_kind, balance.operation_count, balance.auth_kind) == ("postman", 3, "apiKey")
    assert balance.swagger["securityDefinitions"]["api_key"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert (d7.source_kind, d7.operation_count, d7.auth_kind) == ("paconn", 2, "basic")
    assert d7.icon_brand_color == "#53c4fe" and d7.capabilities == ["actions"]
    assert d7.icon_png is not None and d7.icon_png.startswith(b"\x89PNG")
    for resolved in found.values():
        assert not [w for w in resolved.warnings if w.severity == Severity.ERROR]


def test_a_git_revision_resolves_like_the_working_tree(tmp_path: Path) -> None:
    spec = {"definition": {"openapi": "openapi.json"}, "icon": "icon.png"}
    connector, tree = connector_at(tmp_path, spec, {"openapi.json": PETSTORE, "icon.png": b"\x89PNG\r\n\x1a\nrest"})
    repo = git.Repo.init(tmp_path)
    repo.index.add(["connectors/pets/openapi.json", "connectors/pets/icon.png", "connectors/pets/connector.yaml"])
    repo.index.commit("pets")
    (tmp_path / "connectors" / "pets" / "openapi.json").write_text("{}")  # the working tree moves on
    at_commit = resolve_definition(connector, tree_at(tmp_path, "HEAD"), "local")
    assert at_commit.operation_count == 2 and at_commit.icon_png == b"\x89PNG\r\n\x1a\nrest"
    with pytest.raises(ValidationFailed):
        resolve_definition(connector, tree, "local")  # the working tree's {} is not a document
