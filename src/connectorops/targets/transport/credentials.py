"""Credentials the gateway can authenticate with: the emulator's static token, a token from the
environment ($CONNECTOROPS_ARM_TOKEN) or azure-identity's DefaultAzureCredential.

Token values are never part of a repr, message or log line.
"""

from __future__ import annotations

import logging
import os
import time
from abc import ABC, abstractmethod
from typing import Any, Literal

from azure.core.credentials import AccessToken, TokenCredential

from connectorops.errors import AuthenticationError

TOKEN_ENV_VAR = "CONNECTOROPS_ARM_TOKEN"  # noqa: S105 - the variable name, not a token
POWERPLATFORM_TOKEN_ENV_VAR = "CONNECTOROPS_POWERPLATFORM_TOKEN"  # noqa: S105 - a variable name
# A static token has no expiry of its own; report one an hour ahead so the bearer policy keeps it.
_STATIC_LIFETIME = 3600


class _BearerTokenCredential(ABC):
    """A TokenCredential whose token comes from somewhere other than an identity provider."""

    @abstractmethod
    def _token(self) -> str: ...

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self._token(), int(time.time()) + _STATIC_LIFETIME)


class StaticTokenCredential(_BearerTokenCredential):
    """A fixed bearer token (the local emulator's): a TokenCredential without any identity provider."""

    def __init__(self, token: str) -> None:
        if not token:
            raise AuthenticationError("empty bearer token", hint="start the emulator or set a token")
        self._value = token

    def _token(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "StaticTokenCredential(<redacted>)"


class EnvironmentTokenCredential(_BearerTokenCredential):
    """The bearer token in $CONNECTOROPS_ARM_TOKEN, read at each use (CI can rotate it between runs)."""

    def __init__(self, variable: str = TOKEN_ENV_VAR) -> None:
        self.variable = variable

    def _token(self) -> str:
        token = os.environ.get(self.variable, "").strip()
        if not token:
            raise AuthenticationError(
                f"credential token-env: ${self.variable} is not set",
                hint=f"export {self.variable}=<bearer token>, e.g. from `az account get-access-token` "
                "(Power Platform: add --resource https://service.powerapps.com/) "
                "or the `token` field printed by `connectorops emulator serve`",
            )
        return token

    def __repr__(self) -> str:
        return f"EnvironmentTokenCredential(variable={self.variable!r})"


def build_credential(kind: Literal["default", "token-env"], *, variable: str = TOKEN_ENV_VAR) -> TokenCredential:
    """The credential an environment's `credential:` names (token-env reads `variable`)."""
    if kind == "token-env":
        return EnvironmentTokenCredential(variable)
    from azure.identity import DefaultAzureCredential  # imported late: slow, and unused for local runs

    # Without any logging configured, Python's last-resort handler prints azure-identity's
    # multi-line "failed to retrieve a token" warning to stderr ahead of our own error; the
    # gateway reports the failure once, as an AuthenticationError. Configured logging still sees it.
    logging.getLogger("azure.identity").addHandler(logging.NullHandler())

    # Interactive browser login never fits a CLI run in CI; everything else (env, workload identity,
    # managed identity, az CLI, azd, PowerShell) is tried in DefaultAzureCredential's order.
    credential: TokenCredential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    return credential
