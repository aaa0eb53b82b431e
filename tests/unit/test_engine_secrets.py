"""Secret references: resolved only at apply time, errors name the connector and variable, never the value."""

from __future__ import annotations

import pytest

from connectorops.engine.secrets import SecretError, inject_secrets, scrub
from connectorops.secret_refs import without_secret_refs

POINTER = "/token/oAuthSettings/clientSecret"
BODY = {"properties": {"connectionParameters": {"token": {"type": "oauthSetting", "oAuthSettings": {"clientId": "a"}}}}}


def test_env_reference_is_injected_into_a_copy() -> None:
    filled, values = inject_secrets(BODY, {POINTER: {"env": "ORDERS_SECRET"}}, connector="orders",
                                    environ={"ORDERS_SECRET": "s3cr3t-value"})  # fmt: skip
    assert filled["properties"]["connectionParameters"]["token"]["oAuthSettings"]["clientSecret"] == "s3cr3t-value"
    assert "clientSecret" not in BODY["properties"]["connectionParameters"]["token"]["oAuthSettings"]
    assert values == ["s3cr3t-value"]


def test_missing_variable_names_connector_and_variable() -> None:
    with pytest.raises(SecretError) as caught:
        inject_secrets(BODY, {POINTER: {"env": "ORDERS_SECRET"}}, connector="orders", environ={})
    text = str(caught.value)
    assert "'orders'" in text and "ORDERS_SECRET" in text and "is not set" in text


def test_key_vault_reference_is_read_through_the_reader() -> None:
    ref = {"keyVault": {"vault": "kv-orders", "secret": "client-secret", "version": "v1"}}
    calls: list[tuple[str, str, str | None]] = []

    def reader(vault: str, secret: str, version: str | None) -> str:
        calls.append((vault, secret, version))
        return "from-the-vault"

    filled, values = inject_secrets(BODY, {POINTER: ref}, connector="orders", environ={}, key_vault=reader)
    assert filled["properties"]["connectionParameters"]["token"]["oAuthSettings"]["clientSecret"] == "from-the-vault"
    assert calls == [("kv-orders", "client-secret", "v1")] and values == ["from-the-vault"]


def test_unreadable_key_vault_secret_names_vault_and_secret() -> None:
    def reader(vault: str, secret: str, version: str | None) -> str:
        raise PermissionError("403 Forbidden")

    ref = {"keyVault": {"vault": "kv-orders", "secret": "client-secret"}}
    with pytest.raises(SecretError) as caught:
        inject_secrets(BODY, {POINTER: ref}, connector="orders", environ={}, key_vault=reader)
    text = str(caught.value)
    assert "'orders'" in text and "'client-secret'" in text and "'kv-orders'" in text and "PermissionError" in text


def test_scrub_and_strip_references() -> None:
    assert scrub("bad token s3cr3t-value here", ["s3cr3t-value"]) == "bad token *** here"
    assert without_secret_refs({"a": {"clientSecret": {"env": "X"}, "clientId": "c"}}) == {"a": {"clientId": "c"}}
