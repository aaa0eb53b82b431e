"""Pydantic models of connectorops.yaml and connectors/<name>/connector.yaml.

Field names are the user-facing contract (see README "File formats"); unknown keys are
rejected (extra="forbid") so typos surface as errors, not silently ignored settings.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# ARM resource names for Microsoft.Web/customApis: 1-80 chars, letters, digits, '-', '_', '.'
# (must not end with '.'). We keep to lowercase-friendly names that are also valid folder names.
ARM_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_-]$|^[A-Za-z0-9]$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


# --- secrets -------------------------------------------------------------------------------


class EnvSecretRef(StrictModel):
    """`{env: NAME}`: the value is read from an environment variable at apply time."""

    env: Annotated[str, StringConstraints(pattern=ENV_VAR_PATTERN)]


class KeyVaultSecretRef(StrictModel):
    """`{keyVault: {vault: NAME, secret: NAME, version?: ID}}`: an Azure Key Vault secret."""

    class Ref(StrictModel):
        vault: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")]
        secret: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,127}$")]
        version: str | None = None

    key_vault: Ref = Field(alias="keyVault")


SecretRef = EnvSecretRef | KeyVaultSecretRef


def _refuse_literal_secret(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            "a literal secret is not allowed in git; use a reference such as "
            "{env: MY_SECRET} or {keyVault: {vault: my-vault, secret: my-secret}}"
        )
    return value


# --- auth ----------------------------------------------------------------------------------

# Service-specific OAuth identity providers offered by the custom connector wizard.
SERVICE_IDENTITY_PROVIDERS = (
    "github",
    "dropbox",
    "facebook",
    "google",
    "instagram",
    "linkedin",
    "microsoftaccount",
    "salesforce",
    "slack",
    "twitter",
)
IdentityProvider = Literal[
    "aad",
    "aadcertificate",
    "oauth2generic",
    "github",
    "dropbox",
    "facebook",
    "google",
    "instagram",
    "linkedin",
    "microsoftaccount",
    "salesforce",
    "slack",
    "twitter",
]


class NoAuth(StrictModel):
    type: Literal["none"]


class BasicAuth(StrictModel):
    type: Literal["basic"]
    usernameLabel: str = "Username"
    passwordLabel: str = "Password"


class ApiKeyAuth(StrictModel):
    type: Literal["apiKey"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    in_: Literal["header", "query"] = Field(default="header", alias="in")
    label: str = "API Key"


class OAuth2Auth(StrictModel):
    type: Literal["oauth2"]
    identityProvider: IdentityProvider
    clientId: Annotated[str, StringConstraints(min_length=1)]
    clientSecret: SecretRef | None = None
    scopes: list[str] = Field(default_factory=list)
    # aad
    resourceUri: str | None = None
    tenantId: str = "common"
    loginUri: str = "https://login.microsoftonline.com"
    # oauth2generic
    authorizationUrl: str | None = None
    tokenUrl: str | None = None
    refreshUrl: str | None = None
    redirectMode: Literal["Global", "Direct"] = "Global"

    _check_secret = field_validator("clientSecret", mode="before")(_refuse_literal_secret)

    @model_validator(mode="after")
    def _provider_fields(self) -> OAuth2Auth:
        if self.identityProvider == "aad" and not self.resourceUri:
            raise ValueError("identityProvider aad needs resourceUri (the API's Entra ID app id URI)")
        if self.identityProvider == "oauth2generic":
            missing = [n for n in ("authorizationUrl", "tokenUrl") if not getattr(self, n)]
            if missing:
                raise ValueError(f"identityProvider oauth2generic needs {', '.join(missing)}")
        for name in ("authorizationUrl", "tokenUrl", "refreshUrl", "resourceUri", "loginUri"):
            value = getattr(self, name)
            if value and name != "resourceUri" and not value.startswith("https://"):
                raise ValueError(f"{name} must be an https:// URL")
        return self


Auth = Annotated[NoAuth | BasicAuth | ApiKeyAuth | OAuth2Auth, Field(discriminator="type")]


class AuthOverride(StrictModel):
    """Per-environment changes to auth: typically another app registration."""

    clientId: str | None = None
    clientSecret: SecretRef | None = None
    resourceUri: str | None = None
    scopes: list[str] | None = None
    tenantId: str | None = None

    _check_secret = field_validator("clientSecret", mode="before")(_refuse_literal_secret)


# --- connector -----------------------------------------------------------------------------


class Definition(StrictModel):
    """Exactly one source of the OpenAPI 2.0 document."""

    openapi: str | None = None
    url: str | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    postman: str | None = None
    paconn: str | None = None
    # Values for {{variables}} in a Postman collection (override the collection's own).
    variables: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _exactly_one(self) -> Definition:
        given = [n for n in ("openapi", "url", "postman", "paconn") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError(
                "definition needs exactly one of openapi, url, postman, paconn"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.url and not self.sha256:
            raise ValueError("definition.url needs sha256: the digest pins what gets deployed")
        if self.sha256 and not self.url:
            raise ValueError("definition.sha256 only goes with definition.url")
        if self.variables and not self.postman:
            raise ValueError("definition.variables only goes with definition.postman")
        return self

    @property
    def kind(self) -> Literal["openapi", "url", "postman", "paconn"]:
        for name in ("openapi", "url", "postman", "paconn"):
            if getattr(self, name):
                return name  # type: ignore[return-value]
        raise AssertionError("validated model has a definition source")


class Backend(StrictModel):
    serviceUrl: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/$.?#][^\s]*$")]


class SharingRequest(StrictModel):
    principal: Annotated[str, StringConstraints(min_length=1)]  # a name from policies/sharing.yaml
    role: Annotated[str, StringConstraints(min_length=1)]  # a role name from policies/sharing.yaml


class Lifecycle(StrictModel):
    deletion: Literal["protect", "allow-connection-loss", "orphan"] = "protect"


class EnvironmentOverride(StrictModel):
    displayName: str | None = None
    description: str | None = None
    backend: Backend | None = None
    auth: AuthOverride | None = None
    sharing: list[SharingRequest] | None = None  # replaces spec.sharing in that environment
    lifecycle: Lifecycle | None = None


class ConnectorSpecBody(StrictModel):
    displayName: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    description: str | None = None
    icon: str | None = None  # a PNG file in the connector folder, or an https URL
    brandColor: Annotated[str, StringConstraints(pattern=HEX_COLOR_PATTERN)] | None = None
    definition: Definition
    backend: Backend | None = None
    auth: Auth | None = None
    environments: dict[str, EnvironmentOverride] = Field(default_factory=dict)
    sharing: list[SharingRequest] = Field(default_factory=list)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)


class Metadata(StrictModel):
    name: Annotated[str, StringConstraints(pattern=ARM_NAME_PATTERN)]
    labels: dict[str, str] = Field(default_factory=dict)


class ConnectorDocument(StrictModel):
    apiVersion: Literal["connectorops/v1"]
    kind: Literal["Connector"]
    metadata: Metadata
    spec: ConnectorSpecBody

    def for_environment(self, environment: str) -> ConnectorSpecBody:
        """The spec with the environment's overrides merged in (overrides win)."""
        override = self.spec.environments.get(environment)
        if override is None:
            return self.spec
        updates: dict[str, object] = {}
        for name in ("displayName", "description", "backend", "lifecycle", "sharing"):
            value = getattr(override, name)
            if value is not None:
                updates[name] = value
        if override.auth is not None and isinstance(self.spec.auth, OAuth2Auth):
            changes = {k: v for k, v in override.auth if v is not None}
            updates["auth"] = self.spec.auth.model_copy(update=changes)
        return self.spec.model_copy(update=updates)


# --- connectorops.yaml -----------------------------------------------------------------------


class LocalEnvironment(StrictModel):
    """The embedded ARM emulator: state under .connectorops/, no Azure account needed."""

    target: Literal["local"]
    stateDir: str = ".connectorops"
    subscriptionId: str | None = None  # default: the emulator's own, stable per state file
    resourceGroup: str = "rg-connectors-local"
    location: str = "westeurope"


class AzureEnvironment(StrictModel):
    target: Literal["azure"]
    subscriptionId: Annotated[
        str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    ]
    resourceGroup: Annotated[str, StringConstraints(pattern=r"^[-\w._()]{1,90}$")]
    location: Annotated[str, StringConstraints(min_length=1)]
    armEndpoint: Annotated[str, StringConstraints(pattern=r"^https://")] = "https://management.azure.com"
    caBundle: str | None = None
    credential: Literal["default", "token-env"] = "default"
    # Engine (connectorops apply) or Pulumi (pulumi up) deploys this environment in CI.
    mode: Literal["engine", "pulumi"] = "engine"


Environment = Annotated[LocalEnvironment | AzureEnvironment, Field(discriminator="target")]


class ProjectConfig(StrictModel):
    default: str = "local"
    environments: dict[str, Environment] = Field(
        default_factory=lambda: {"local": LocalEnvironment(target="local")}
    )

    @model_validator(mode="after")
    def _default_exists(self) -> ProjectConfig:
        if self.default not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ValueError(f"default environment {self.default!r} is not defined (defined: {known})")
        for name in self.environments:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}", name):
                raise ValueError(f"environment name {name!r}: use letters, digits, '-' and '_'")
        return self
