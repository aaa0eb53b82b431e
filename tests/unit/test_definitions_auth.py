"""connector.yaml auth -> securityDefinitions/security + ARM connectionParameters, per auth kind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from connectorops.definitions.auth import GLOBAL_REDIRECT_URL, apply_auth
from connectorops.spec.models import Auth

DOCUMENT: dict[str, Any] = {"swagger": "2.0", "info": {"title": "T", "version": "1"}, "paths": {}}


def auth(data: dict[str, Any]) -> Any:
    return TypeAdapter(Auth).validate_python(data)


def applied(data: dict[str, Any], swagger: dict[str, Any] | None = None) -> Any:
    return apply_auth(
        swagger or DOCUMENT, auth(data), existing_parameters=None, connector_file="c.yaml", definition_file="d.json"
    )


def test_aad_oauth_shape() -> None:
    result = applied(
        {"type": "oauth2", "identityProvider": "aad", "clientId": "app-1", "clientSecret": {"env": "S"},
         "resourceUri": "api://orders", "tenantId": "contoso.onmicrosoft.com", "scopes": ["api://orders/rw"]}
    )  # fmt: skip
    settings = result.connection_parameters["token"]["oAuthSettings"]
    assert result.connection_parameters["token"]["type"] == "oauthSetting"
    assert settings["identityProvider"] == "aad"
    assert settings["clientId"] == "app-1"
    assert settings["scopes"] == ["api://orders/rw"]
    assert settings["redirectUrl"] == GLOBAL_REDIRECT_URL == "https://global.consent.azure-apim.net/redirect"
    assert settings["customParameters"]["resourceUri"] == {"value": "api://orders"}
    assert settings["customParameters"]["tenantId"] == {"value": "contoso.onmicrosoft.com"}
    assert settings["customParameters"]["loginUri"] == {"value": "https://login.microsoftonline.com"}
    assert "clientSecret" not in json.dumps(result.connection_parameters)
    assert result.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "S"}}
    definition = result.swagger["securityDefinitions"]["oauth2_auth"]
    assert (definition["type"], definition["flow"]) == ("oauth2", "accessCode")
    assert definition["scopes"] == {"api://orders/rw": "api://orders/rw"}
    assert result.swagger["security"] == [{"oauth2_auth": []}]


def test_key_vault_secret_reference_is_kept_as_reference() -> None:
    result = applied(
        {"type": "oauth2", "identityProvider": "aad", "clientId": "a", "resourceUri": "api://x",
         "clientSecret": {"keyVault": {"vault": "kv-prod", "secret": "orders-secret"}}}
    )  # fmt: skip
    assert result.secret_refs == {
        "/token/oAuthSettings/clientSecret": {"keyVault": {"vault": "kv-prod", "secret": "orders-secret"}}
    }


def test_generic_oauth_urls() -> None:
    result = applied(
        {"type": "oauth2", "identityProvider": "oauth2generic", "clientId": "c",
         "authorizationUrl": "https://id.example.com/authorize", "tokenUrl": "https://id.example.com/token"}
    )  # fmt: skip
    custom = result.connection_parameters["token"]["oAuthSettings"]["customParameters"]
    assert custom == {
        "authorizationUrl": {"value": "https://id.example.com/authorize"},
        "tokenUrl": {"value": "https://id.example.com/token"},
        "refreshUrl": {"value": "https://id.example.com/token"},  # defaults to the token URL
    }
    definition = result.swagger["securityDefinitions"]["oauth2_auth"]
    assert definition["authorizationUrl"] == "https://id.example.com/authorize"
    assert definition["x-ms-refresh-url"] == "https://id.example.com/token"


def test_service_provider_uses_its_name_and_endpoints() -> None:
    result = applied({"type": "oauth2", "identityProvider": "github", "clientId": "gh", "scopes": ["repo"]})
    assert result.connection_parameters["token"]["oAuthSettings"]["identityProvider"] == "github"
    definition = result.swagger["securityDefinitions"]["oauth2_auth"]
    assert definition["authorizationUrl"] == "https://github.com/login/oauth/authorize"
    assert definition["tokenUrl"] == "https://github.com/login/oauth/access_token"


def test_basic_auth_parameters() -> None:
    result = applied({"type": "basic", "usernameLabel": "User", "passwordLabel": "Secret"})
    assert result.swagger["securityDefinitions"] == {"basic_auth": {"type": "basic"}}
    params = result.connection_parameters
    assert sorted(params) == ["password", "username"]
    assert {p["type"] for p in params.values()} == {"securestring"}
    assert params["username"]["uiDefinition"]["displayName"] == "User"
    assert params["password"]["uiDefinition"]["constraints"]["clearText"] is False


@pytest.mark.parametrize("where", ["header", "query"])
def test_api_key_in_header_or_query(where: str) -> None:
    result = applied({"type": "apiKey", "name": "x-key", "in": where})
    assert result.swagger["securityDefinitions"] == {"api_key": {"type": "apiKey", "in": where, "name": "x-key"}}
    assert result.connection_parameters["api_key"]["type"] == "securestring"


def test_none_removes_declared_security_and_reports_conflict() -> None:
    swagger = dict(DOCUMENT, securityDefinitions={"b": {"type": "basic"}}, security=[{"b": []}])
    result = applied({"type": "none"}, swagger)
    assert "securityDefinitions" not in result.swagger and "security" not in result.swagger
    assert result.connection_parameters == {}
    assert [w.code for w in result.warnings] == ["AuthConflict"]


def test_same_security_is_no_conflict() -> None:
    swagger = dict(DOCUMENT, securityDefinitions={"whatever": {"type": "apiKey", "in": "header", "name": "x-key"}})
    assert applied({"type": "apiKey", "name": "x-key"}, swagger).warnings == ()


def test_without_auth_the_definition_decides() -> None:
    swagger = dict(DOCUMENT, securityDefinitions={"b": {"type": "basic"}})
    result = apply_auth(swagger, None, existing_parameters=None, connector_file="c", definition_file="d")
    assert result.swagger is swagger
    assert sorted(result.connection_parameters) == ["password", "username"]


def test_literal_secret_is_refused_by_the_model() -> None:
    with pytest.raises(ValidationError, match="literal secret"):
        auth({"type": "oauth2", "identityProvider": "github", "clientId": "c", "clientSecret": "hunter2"})
