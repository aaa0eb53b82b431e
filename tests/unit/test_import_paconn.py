"""A Power Platform connector (as the target lists it) -> connector.yaml + a paconn folder, and back.

The connector dicts have the shape of docs PP_CONTRACT.md: the engine's envelope around the Power Apps
API's properties (policy templates, script operations, connectionParameterSets, no secrets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from connectorops.definitions.resolve import resolve_definition
from connectorops.gitops.importer import ADOPT_LABEL, PACONN, Downloaded, connector_folder
from connectorops.spec.loader import load_repository
from connectorops.spec.models import ConnectorDocument, OAuth2Auth
from connectorops.spec.source import FileSystemTree

ENV = "00000000-0000-0000-0000-0000000000e1"
API_NAME = "shared_orders-5f1a2b3c4d5e6f70"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
# CRLF, a BOM and a non-ASCII character: the download must be written byte for byte.
SCRIPT = b"\xef\xbb\xbfpublic class Script : ScriptBase\r\n{\r\n    // \xc3\xa9t\xc3\xa9\r\n}\r\n"
SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Orders", "version": "1.0", "description": "Read orders"},
    "host": "orders.contoso.com",
    "basePath": "/api",
    "schemes": ["https"],
    "paths": {
        "/orders": {"get": {"operationId": "ListOrders", "responses": {"200": {"description": "ok"}}}},
        "/orders/{id}": {
            "get": {
                "operationId": "GetOrder",
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "x-ms-connector-metadata": [{"propertyName": "Website", "propertyValue": "https://contoso.com"}],
}
POLICY_TEMPLATES = [
    {
        "templateId": "setheader",
        "title": "Set the API version",
        "parameters": {
            "x-ms-apimTemplateParameter.name": "X-Api-Version",
            "x-ms-apimTemplateParameter.value": "2024-01-01",
            "x-ms-apimTemplateParameter.existsAction": "override",
            "x-ms-apimTemplate-policySection": "Request",
            "x-ms-apimTemplate-operationName": ["ListOrders"],
        },
    }
]
API_KEY = {
    "api_key": {
        "type": "securestring",
        "uiDefinition": {
            "displayName": "API Key",
            "description": "The API Key for this api",
            "tooltip": "Provide your API Key",
            "constraints": {"tabIndex": 2, "clearText": False, "required": "true"},
        },
    }
}
BLOB = "https://127.0.0.1:8443/_blobs/c0ffee"


def connector(name: str = API_NAME, **props: Any) -> dict[str, Any]:
    """The envelope the Power Platform target lists an unmanaged connector in (named by its apiName)."""
    properties: dict[str, Any] = {
        "displayName": "Orders",
        "description": "Read orders",
        "iconUri": f"{BLOB}/icon.png?sv=2018&sig=x",
        "iconBrandColor": "#0F6CBD",
        "backendService": {"serviceUrl": "https://orders.contoso.com/api"},
        "capabilities": ["actions"],
        "connectionParameters": API_KEY,
        "policyTemplateInstances": POLICY_TEMPLATES,
        "scriptOperations": ["GetOrder"],
        "scriptDefinitionUrl": f"{BLOB}/script.csx?sv=2018&sig=x",
        "environment": {"name": ENV},
        "isCustomApi": True,
        "apiName": name,
        **props,
    }
    return {
        "name": name,
        "id": f"/providers/Microsoft.PowerApps/environments/{ENV}/customConnectors/{name}",
        "etag": "2026-11-29T19:00:00Z",
        "tags": {},
        "properties": properties,
    }


def downloaded(api: dict[str, Any] | None = None, **fields: Any) -> Downloaded:
    values: dict[str, Any] = {"definition": SWAGGER, "icon": PNG, "script": SCRIPT, **fields}
    return Downloaded(api or connector(), layout=PACONN, **values)


def document(files: dict[str, bytes]) -> ConnectorDocument:
    return ConnectorDocument.model_validate(yaml.safe_load(files["connector.yaml"]))


def api_properties(files: dict[str, bytes]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(files["paconn/apiProperties.json"])["properties"]
    return value


def test_a_power_platform_connector_becomes_a_paconn_folder_labelled_for_adoption() -> None:
    imported = connector_folder(downloaded())
    assert set(imported.files) == {
        "connector.yaml",
        "paconn/apiDefinition.swagger.json",
        "paconn/apiProperties.json",
        "paconn/icon.png",
        "paconn/script.csx",
    }
    doc = document(imported.files)
    assert doc.metadata.name == API_NAME  # the name the target lists it by, so the next plan adopts it
    assert doc.metadata.labels == {ADOPT_LABEL: "true"}
    assert doc.spec.definition.paconn == "paconn" and doc.spec.definition.openapi is None
    assert doc.spec.displayName == "Orders" and doc.spec.description == "Read orders"
    # brand colour and icon live in the paconn folder, as paconn download writes them
    assert doc.spec.brandColor is None and doc.spec.icon is None
    assert doc.spec.backend is None and doc.spec.auth is None
    assert imported.notes == () and imported.secret_env == ()


def test_definition_properties_icon_and_script_are_written_exactly() -> None:
    imported = connector_folder(downloaded())
    assert json.loads(imported.files["paconn/apiDefinition.swagger.json"]) == SWAGGER
    assert api_properties(imported.files) == {
        "connectionParameters": API_KEY,
        "iconBrandColor": "#0F6CBD",
        "capabilities": ["actions"],
        "policyTemplateInstances": POLICY_TEMPLATES,
        "scriptOperations": ["GetOrder"],
    }
    assert imported.files["paconn/icon.png"] == PNG
    assert imported.files["paconn/script.csx"] == SCRIPT


def test_the_folder_reads_back_as_the_same_connector(tmp_path: Path) -> None:
    """What import writes is what the paconn loader and resolve read: nothing dropped, nothing added."""
    imported = connector_folder(downloaded())
    (tmp_path / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    folder = tmp_path / "connectors" / API_NAME
    for name, data in imported.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    repo = load_repository(FileSystemTree(tmp_path))
    assert repo.errors == []
    (loaded,) = repo.connectors
    resolved = resolve_definition(loaded, repo.tree, "local")
    assert resolved.swagger["paths"] == SWAGGER["paths"]
    assert resolved.policy_template_instances == POLICY_TEMPLATES
    assert resolved.custom_code is not None and resolved.custom_code.script == SCRIPT
    assert resolved.custom_code.operations == ["GetOrder"]
    assert resolved.connection_parameters == API_KEY
    assert resolved.capabilities == ["actions"] and resolved.icon_brand_color == "#0F6CBD"
    assert resolved.icon_png == PNG


def test_oauth_becomes_an_env_reference_and_no_secret_is_written() -> None:
    settings = {
        "identityProvider": "aad",
        "clientId": "11111111-2222-3333-4444-555555555555",
        "clientSecret": "should-never-be-returned-but-was",
        "scopes": [],
        "redirectUrl": "https://global.consent.azure-apim.net/redirect",
        "properties": {"IsFirstParty": "False", "AzureActiveDirectoryResourceId": "api://orders"},
        "customParameters": {"resourceUri": {"value": "api://orders"}},
    }
    params = {"token": {"type": "oauthSetting", "oAuthSettings": settings}}
    imported = connector_folder(downloaded(connector(connectionParameters=params)))
    auth = document(imported.files).spec.auth
    assert isinstance(auth, OAuth2Auth) and auth.clientId == settings["clientId"]
    assert auth.clientSecret is not None and auth.clientSecret.model_dump() == {
        "env": "SHARED_ORDERS_5F1A2B3C4D5E6F70_CLIENT_SECRET"
    }
    assert imported.secret_env == ("SHARED_ORDERS_5F1A2B3C4D5E6F70_CLIENT_SECRET",)
    written = api_properties(imported.files)["connectionParameters"]["token"]["oAuthSettings"]
    assert "clientSecret" not in written and written["clientId"] == settings["clientId"]
    assert all(b"should-never-be-returned" not in data for data in imported.files.values())


def test_connection_parameter_sets_are_kept_whole_and_their_secrets_noted() -> None:
    sets = {
        "uiDefinition": {"displayName": "Authentication type", "description": "How to sign in"},
        "values": [
            {"name": "key", "uiDefinition": {"displayName": "API key"}, "parameters": API_KEY},
            {
                "name": "oauth",
                "uiDefinition": {"displayName": "Entra ID"},
                "parameters": {
                    "token": {
                        "type": "oauthSetting",
                        "oAuthSettings": {"identityProvider": "aad", "clientId": "c", "clientSecret": "leaked"},
                    }
                },
            },
        ],
    }
    api = connector(connectionParameterSets=sets)
    del api["properties"]["connectionParameters"]
    imported = connector_folder(downloaded(api))
    written = api_properties(imported.files)
    assert "connectionParameters" not in written
    oauth = written["connectionParameterSets"]["values"][1]["parameters"]["token"]["oAuthSettings"]
    assert oauth == {"identityProvider": "aad", "clientId": "c"}
    assert written["connectionParameterSets"]["values"][0] == sets["values"][0]
    assert any("connectionParameterSets" in note and "client secret" in note for note in imported.notes)
    assert all(b"leaked" not in data for data in imported.files.values())


def test_an_ownership_record_in_the_definition_is_not_written_to_git() -> None:
    recorded = {**SWAGGER, "x-connectorops": {"managedBy": "someone-else", "name": "orders"}}
    imported = connector_folder(downloaded(definition=recorded))
    assert json.loads(imported.files["paconn/apiDefinition.swagger.json"]) == SWAGGER


def test_an_icon_that_is_no_png_stays_a_url_and_a_missing_script_is_noted() -> None:
    imported = connector_folder(downloaded(icon=b"<svg/>", script=None))
    assert "paconn/icon.png" not in imported.files and "paconn/script.csx" not in imported.files
    assert document(imported.files).spec.icon == f"{BLOB}/icon.png?sv=2018&sig=x"
    assert any("script.csx" in note for note in imported.notes)
    # the operations routed to the script stay, so adding script.csx by hand completes the folder
    assert api_properties(imported.files)["scriptOperations"] == ["GetOrder"]


def test_the_openapi_layout_is_unchanged_for_arm() -> None:
    api = connector()
    imported = connector_folder(Downloaded(api, SWAGGER))
    assert set(imported.files) == {"connector.yaml", "openapi.json"}
    assert document(imported.files).spec.definition.openapi == "openapi.json"


def test_a_connector_the_target_names_by_its_record_keeps_that_name() -> None:
    """An orphaned connector keeps its record's name: the target lists it (and adoption finds it) by that name."""
    api = connector(name="orders")  # the envelope's name comes from the x-connectorops record
    api["properties"]["apiName"] = API_NAME
    imported = connector_folder(downloaded(api))
    assert document(imported.files).metadata.name == "orders"
    assert imported.name == "orders"
