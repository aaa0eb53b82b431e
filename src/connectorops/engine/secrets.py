"""Secret references ({env: NAME}, {keyVault: ...}) resolved at apply time, and only there.

Values are injected into a copy of the PUT body just before it is sent; plans, fingerprints,
reports and error messages only ever see the reference.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connectorops.definitions.refs import pointer_unescape
from connectorops.errors import ConnectoropsError

REDACTED = "***"


class SecretError(ConnectoropsError):
    """A secret reference cannot be resolved (unset variable, unsupported store)."""


# (vault, secret, version) -> value; the default reads Azure Key Vault with DefaultAzureCredential.
KeyVaultReader = Callable[[str, str, str | None], str]
# Sovereign clouds use another DNS suffix (vault.usgovcloudapi.net, vault.azure.cn).
KEYVAULT_SUFFIX_ENV = "CONNECTOROPS_KEYVAULT_DNS_SUFFIX"


def read_key_vault_secret(vault: str, secret: str, version: str | None) -> str:
    """One secret value from Azure Key Vault, as the identity DefaultAzureCredential finds."""
    from azure.identity import DefaultAzureCredential
    from azure.keyvault.secrets import SecretClient

    suffix = os.environ.get(KEYVAULT_SUFFIX_ENV, "vault.azure.net")
    client = SecretClient(vault_url=f"https://{vault}.{suffix}", credential=DefaultAzureCredential())
    value = client.get_secret(secret, version).value
    if value is None:
        raise ValueError("the secret has no value")
    return value


def resolve_secret(
    ref: Mapping[str, Any],
    *,
    connector: str,
    pointer: str,
    environ: Mapping[str, str] | None = None,
    key_vault: KeyVaultReader | None = None,
) -> str:
    env = os.environ if environ is None else environ
    if "env" in ref:
        name = str(ref["env"])
        value = env.get(name)
        if not value or not value.strip():  # blank counts as unset: a secret of spaces is a CI mistake
            raise SecretError(
                f"connector {connector!r}: environment variable {name} is not set (or blank) "
                f"(needed for connectionParameters{pointer})",
                field=f"connectionParameters{pointer}",
                hint=f"export {name}=... before `connectorops apply` (the value never leaves this process)",
            )
        return value
    vault_ref = ref.get("keyVault") or ref.get("key_vault")
    if isinstance(vault_ref, Mapping):
        vault, secret, version = str(vault_ref.get("vault")), str(vault_ref.get("secret")), vault_ref.get("version")
        reader = key_vault or read_key_vault_secret
        try:
            return reader(vault, secret, str(version) if version else None)
        except Exception as error:  # the SDK raises many types; the user needs one clear message
            raise SecretError(
                f"connector {connector!r}: cannot read Key Vault secret {secret!r} from vault {vault!r} "
                f"({type(error).__name__})",
                field=f"connectionParameters{pointer}",
                hint="check that the vault and secret exist and that your identity may get secrets "
                "(Key Vault Secrets User); or use {env: NAME}",
            ) from None
    raise SecretError(f"connector {connector!r}: unknown secret reference at connectionParameters{pointer}")


def _pointer_parts(pointer: str) -> list[str]:
    parts = pointer.lstrip("/").split("/") if pointer.strip("/") else []
    return [pointer_unescape(p) for p in parts]


def set_at_pointer(params: dict[str, Any], pointer: str, value: Any) -> None:
    """Write `value` at the JSON pointer inside connectionParameters, creating objects on the way."""
    parts = _pointer_parts(pointer)
    if not parts:
        return
    node: Any = params
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(part, {})
    if isinstance(node, dict):
        node[parts[-1]] = value


def inject_secrets(
    body: dict[str, Any],
    secret_refs: Mapping[str, Mapping[str, Any]],
    *,
    connector: str,
    environ: Mapping[str, str] | None = None,
    key_vault: KeyVaultReader | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """A copy of `body` with every referenced secret written under properties.connectionParameters.

    Returns the body and the plain values (so callers can scrub them from error text).
    """
    if not secret_refs:
        return body, []
    filled = copy.deepcopy(body)
    values: list[str] = []
    params = filled.setdefault("properties", {}).setdefault("connectionParameters", {})
    for pointer, ref in sorted(secret_refs.items()):
        value = resolve_secret(ref, connector=connector, pointer=pointer, environ=environ, key_vault=key_vault)
        values.append(value)
        set_at_pointer(params, pointer, value)
    return filled, values


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in `text` (an ARM error message, say) by ***."""
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    return text
