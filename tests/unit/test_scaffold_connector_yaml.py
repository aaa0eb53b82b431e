"""connector.yaml text for `new connector`: auth from the first securityDefinition, and it always parses."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from connectorops.scaffold.connector_yaml import DefinitionSource, connector_yaml
from connectorops.spec.models import ApiKeyAuth, BasicAuth, ConnectorDocument, OAuth2Auth

SOURCE = DefinitionSource("openapi", "openapi.yaml")


def document(security: dict[str, Any] | None, **info: str) -> ConnectorDocument:
    swagger: dict[str, Any] = {"swagger": "2.0", "info": {"title": "Demo", "version": "1", **info}, "paths": {}}
    if security is not None:
        swagger["securityDefinitions"] = security
    text = connector_yaml("demo", swagger, SOURCE, origin="demo.yaml")
    return ConnectorDocument.model_validate(yaml.safe_load(text))


def test_no_security_definitions_no_auth() -> None:
    assert document(None).spec.auth is None


def test_basic() -> None:
    assert isinstance(document({"b": {"type": "basic"}}).spec.auth, BasicAuth)


def test_api_key_keeps_name_and_place_of_the_first_definition() -> None:
    auth = document({"k": {"type": "apiKey", "name": "X-Key: 1", "in": "query"}, "b": {"type": "basic"}}).spec.auth
    assert isinstance(auth, ApiKeyAuth) and (auth.name, auth.in_) == ("X-Key: 1", "query")


def test_oauth2_generic_carries_urls_and_scopes() -> None:
    security = {
        "o": {
            "type": "oauth2",
            "flow": "accessCode",
            "authorizationUrl": "https://auth.example.com/authorize",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read": "Read", "write": "Write"},
        }
    }
    auth = document(security).spec.auth
    assert isinstance(auth, OAuth2Auth) and auth.identityProvider == "oauth2generic"
    assert (auth.authorizationUrl, auth.tokenUrl, auth.scopes) == (
        "https://auth.example.com/authorize",
        "https://auth.example.com/token",
        ["read", "write"],
    )
    assert auth.clientSecret is None  # left as a commented reference for the user to fill in


def test_oauth2_on_entra_id_is_aad() -> None:
    url = "https://login.microsoftonline.com/common/oauth2/authorize"
    auth = document({"o": {"type": "oauth2", "flow": "implicit", "authorizationUrl": url}}).spec.auth
    assert isinstance(auth, OAuth2Auth) and auth.identityProvider == "aad"


@pytest.mark.parametrize("url", ["http://auth.example.com/a", ""])
def test_oauth2_without_https_urls_is_left_as_a_comment(url: str) -> None:
    assert document({"o": {"type": "oauth2", "flow": "implicit", "authorizationUrl": url}}).spec.auth is None


def test_title_and_description_survive_yaml_special_characters() -> None:
    spec = document(None, title="Acme: #1 API", description="Line one.\nLine 'two': \"quoted\".").spec
    assert spec.displayName == "Acme: #1 API"
    assert spec.description == "Line one.\nLine 'two': \"quoted\"."
