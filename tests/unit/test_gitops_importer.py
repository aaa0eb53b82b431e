"""Deployed customApi JSON -> connector folder files: auth inference, icons, secrets as references, filters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from connectorops.gitops.importer import (
    ADOPT_LABEL,
    Downloaded,
    connector_folder,
    env_var_prefix,
    importable,
)
from connectorops.gitops.lease import HOLDER_TAG
from connectorops.spec.models import ApiKeyAuth, ConnectorDocument, OAuth2Auth

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Orders", "version": "1.0"},
    "host": "orders.contoso.com",
    "basePath": "/api",
    "schemes": ["https"],
    "paths": {"/orders": {"get": {"operationId": "ListOrders", "responses": {"200": {"description": "ok"}}}}},
}


def api(name: str = "orders", **props: Any) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/customApis/{name}",
        "name": name,
        "location": "westeurope",
        "tags": {"team": "sales"},
        "properties": {
            "displayName": "Orders",
            "description": "Read orders",
            "brandColor": "#0F6CBD",
            "backendService": {"serviceUrl": "https://orders.contoso.com/api"},
            "apiType": "Rest",
            **props,
        },
    }


def load(files: dict[str, bytes]) -> ConnectorDocument:
    return ConnectorDocument.model_validate(yaml.safe_load(files["connector.yaml"]))


def test_plain_connector_becomes_valid_yaml_labelled_for_adoption() -> None:
    imported = connector_folder(Downloaded(api(), SWAGGER))
    doc = load(imported.files)
    assert doc.metadata.name == "orders"
    assert doc.metadata.labels == {ADOPT_LABEL: "true"}
    assert doc.spec.displayName == "Orders" and doc.spec.description == "Read orders"
    assert doc.spec.brandColor == "#0F6CBD"
    assert doc.spec.definition.openapi == "openapi.json"
    assert doc.spec.backend is None  # same as the swagger's host/basePath: render derives it
    assert doc.spec.auth is None
    assert json.loads(imported.files["openapi.json"]) == SWAGGER
    assert imported.notes == () and imported.secret_env == ()


def test_backend_different_from_swagger_host_is_kept() -> None:
    imported = connector_folder(Downloaded(api(backendService={"serviceUrl": "https://other.example.com/v2"}), SWAGGER))
    backend = load(imported.files).spec.backend
    assert backend is not None and backend.serviceUrl == "https://other.example.com/v2"


def test_data_uri_icon_is_decoded_to_icon_png() -> None:
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    imported = connector_folder(Downloaded(api(iconUri=uri), SWAGGER))
    assert imported.files["icon.png"] == PNG
    assert load(imported.files).spec.icon == "icon.png"


def test_https_icon_is_referenced_and_bad_icon_noted() -> None:
    https = connector_folder(Downloaded(api(iconUri="https://cdn.example.com/i.png"), SWAGGER))
    assert load(https.files).spec.icon == "https://cdn.example.com/i.png" and "icon.png" not in https.files
    bad = connector_folder(Downloaded(api(iconUri="data:image/png;base64,bm90IGEgcG5n"), SWAGGER))
    assert "icon.png" not in bad.files and any("icon" in n for n in bad.notes)


def test_aad_oauth_becomes_auth_with_secret_reference_never_the_value() -> None:
    settings = {
        "identityProvider": "aad",
        "clientId": "11111111-2222-3333-4444-555555555555",
        "clientSecret": "super-secret-value",
        "scopes": [],
        "redirectUrl": "https://global.consent.azure-apim.net/redirect",
        "properties": {"IsFirstParty": "False", "AzureActiveDirectoryResourceId": "api://orders"},
        "customParameters": {
            "loginUri": {"value": "https://login.microsoftonline.com"},
            "tenantId": {"value": "contoso.onmicrosoft.com"},
            "resourceUri": {"value": "api://orders"},
        },
    }
    deployed = api("orders-api", connectionParameters={"token": {"type": "oauthSetting", "oAuthSettings": settings}})
    imported = connector_folder(Downloaded(deployed, SWAGGER))
    auth = load(imported.files).spec.auth
    assert isinstance(auth, OAuth2Auth)
    assert auth.identityProvider == "aad" and auth.resourceUri == "api://orders"
    assert auth.tenantId == "contoso.onmicrosoft.com"
    assert auth.clientSecret is not None and auth.clientSecret.model_dump() == {"env": "ORDERS_API_CLIENT_SECRET"}
    assert imported.secret_env == ("ORDERS_API_CLIENT_SECRET",)
    assert all(b"super-secret-value" not in data for data in imported.files.values())


def test_api_key_auth_is_inferred_from_security_definitions() -> None:
    swagger = {**SWAGGER, "securityDefinitions": {"api_key": {"type": "apiKey", "in": "query", "name": "code"}}}
    params = {"api_key": {"type": "securestring", "uiDefinition": {"displayName": "Function key"}}}
    imported = connector_folder(Downloaded(api(connectionParameters=params), swagger))
    auth = load(imported.files).spec.auth
    assert isinstance(auth, ApiKeyAuth)
    assert (auth.name, auth.in_, auth.label) == ("code", "query", "Function key")


def test_unsupported_provider_and_brand_color_are_noted_not_guessed() -> None:
    params = {"token": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "myidp", "clientId": "x"}}}
    imported = connector_folder(Downloaded(api(connectionParameters=params, brandColor="blue"), SWAGGER))
    doc = load(imported.files)
    assert doc.spec.auth is None and doc.spec.brandColor is None
    assert len(imported.notes) == 2


def test_missing_swagger_gives_a_stub_and_a_note() -> None:
    imported = connector_folder(Downloaded(api(), None))
    assert json.loads(imported.files["openapi.json"])["swagger"] == "2.0"
    assert any("could not be downloaded" in n for n in imported.notes)


def test_invalid_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid connector name"):
        connector_folder(Downloaded(api("bad name!"), SWAGGER))


def test_importable_skips_declared_managed_and_lease_marker() -> None:
    deployed = [
        api("zeta"),
        api("orders"),
        {**api("mine"), "tags": {"managed-by": "connectorops"}},
        {**api("connectorops-lease-dev"), "tags": {HOLDER_TAG: "host"}},
        api("Alpha"),
    ]
    names = [a["name"] for a in importable(deployed, declared=["ORDERS"])]
    assert names == ["Alpha", "zeta"]


@pytest.mark.parametrize(
    ("name", "prefix"), [("orders-api", "ORDERS_API"), ("3d.view", "C_3D_VIEW"), ("--", "CONNECTOR")]
)
def test_env_var_prefix(name: str, prefix: str) -> None:
    assert env_var_prefix(name) == prefix
