"""Pydantic models of connectorops.yaml and connectors/<name>/connector.yaml.

Field names are the user-facing contract (see README "File formats"); unknown keys are
rejected (extra="forbid") so typos surface as errors, not silently ignored settings.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# ARM resource names for Microsoft.Web/customApis: 1-80 chars, letters, digits, '-', '_', '.'
# (must not end with '.'). We keep to lowercase-friendly names that are also valid folder names.
ARM_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_-]$|^[A-Za-z0-9]$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
HEX_COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
SUBSCRIPTION_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A Power Platform environment: a GUID, or the tenant's default environment `Default-<tenant GUID>`.
ENVIRONMENT_ID_PATTERN = r"^(Default-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# ARM: 1-90 alphanumerics, '_', '-', '.', '(' or ')', not ending in '.'; a '/' would escape the ARM path.
RESOURCE_GROUP_PATTERN = r"^[-\w.()]{0,89}[-\w()]$"
SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
SERVICE_URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
KEY_VAULT_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$"
KEY_VAULT_SECRET_PATTERN = r"^[A-Za-z0-9-]{1,127}$"  # noqa: S105 - a name pattern, not a secret

# pattern -> (what a matching value is, hint): turns "should match pattern '^...$'" into words.
PATTERN_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    ARM_NAME_PATTERN: (
        "a valid ARM resource name",
        "1-80 characters: letters, digits, '-', '_' or '.'; start with a letter or digit; do not end with '.'",
    ),
    ENV_VAR_PATTERN: ("a valid environment variable name", "letters, digits and '_', not starting with a digit"),
    HEX_COLOR_PATTERN: ("a #RRGGBB colour", "six hex digits after '#', e.g. \"#0F6CBD\" (quoted: # starts a comment)"),
    SUBSCRIPTION_ID_PATTERN: ("a subscription id", "a GUID such as 00000000-0000-0000-0000-000000000000"),
    ENVIRONMENT_ID_PATTERN: (
        "a Power Platform environment id",
        "a GUID such as 00000000-0000-0000-0000-000000000000, or Default-<tenant GUID> "
        "(the Power Platform admin center shows it under Environments > Details)",
    ),
    RESOURCE_GROUP_PATTERN: (
        "a valid resource group name",
        "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
    ),
    SHA256_PATTERN: ("a sha256 digest", "64 hex digits, e.g. the output of `sha256sum openapi.json`"),
    SERVICE_URL_PATTERN: ("a URL", "an absolute URL such as https://api.contoso.com/v1"),
    KEY_VAULT_NAME_PATTERN: ("a valid Key Vault name", "3-24 letters, digits and '-', starting with a letter"),
    KEY_VAULT_SECRET_PATTERN: ("a valid Key Vault secret name", "1-127 letters, digits and '-'"),
    r"^https://": ("an https:// URL", "ARM endpoints are reached over HTTPS only"),
}


class StrictModel(BaseModel):
    # Attribute docstrings become JSON Schema descriptions (editors show them on hover), but only when
    # a schema is generated (spec/jsonschema.py): reading them here (use_attribute_docstrings) parses
    # this file's source once per model, a third of the import time of every command.
    # defer_build: validators are built on first validation; a remembered document needs none (spec/remembered.py).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)


# --- secrets -------------------------------------------------------------------------------


class EnvSecretRef(StrictModel):
    """`{env: NAME}`: the value is read from an environment variable at apply time."""

    env: Annotated[str, StringConstraints(pattern=ENV_VAR_PATTERN)]
    """Name of the environment variable that holds the secret where `apply` runs."""


class KeyVaultSecretRef(StrictModel):
    """`{keyVault: {vault: NAME, secret: NAME, version?: ID}}`: an Azure Key Vault secret."""

    class Ref(StrictModel):
        """Where the secret lives in Azure Key Vault."""

        vault: Annotated[str, StringConstraints(pattern=KEY_VAULT_NAME_PATTERN)]
        """Key Vault name (the `<name>` of https://<name>.vault.azure.net)."""
        secret: Annotated[str, StringConstraints(pattern=KEY_VAULT_SECRET_PATTERN)]
        """Secret name in that vault."""
        version: str | None = None
        """Secret version; default: the current version."""

    key_vault: Ref = Field(alias="keyVault")
    """The Key Vault secret to read at apply time."""


SecretRef = EnvSecretRef | KeyVaultSecretRef


def _inside_connector_folder(value: object) -> object:
    """Definition and icon files live in the connector folder: no absolute paths, no '..' escapes."""
    if not isinstance(value, str):
        return value
    if value.startswith(("/", "\\")) or (len(value) > 1 and value[1] == ":") or "\x00" in value:
        raise ValueError(f"absolute path {value!r} is not allowed; use a path relative to the connector folder")
    depth = 0
    for part in value.replace("\\", "/").split("/"):
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        if depth < 0:
            raise ValueError(f"path {value!r} leaves the connector folder; keep the file next to connector.yaml")
    return value


def _inside_repository(value: object, why: str) -> object:
    """A repository-relative path that stays in the repository: no absolute path, no '..' escape."""
    if not isinstance(value, str):
        return value
    if value.startswith(("/", "\\", "~")) or (len(value) > 1 and value[1] == ":") or "\x00" in value:
        raise ValueError(f"{value!r} must be a path relative to the repository; {why}")
    depth = 0
    for part in value.replace("\\", "/").split("/"):
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        if depth < 0:
            raise ValueError(f"{value!r} leaves the repository; {why}")
    return value


def _refuse_literal_secret(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            "a literal secret is not allowed in git; use a reference such as "
            "{env: MY_SECRET} or {keyVault: {vault: my-vault, secret: my-secret}}"
        )
    return value


# --- auth ----------------------------------------------------------------------------------

# Service-specific OAuth identity providers offered by the custom connector wizard.
ServiceIdentityProvider = Literal[
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
SERVICE_IDENTITY_PROVIDERS: tuple[str, ...] = get_args(ServiceIdentityProvider)
IdentityProvider = Literal["aad", "aadcertificate", "oauth2generic", ServiceIdentityProvider]


class NoAuth(StrictModel):
    """The API needs no authentication."""

    type: Literal["none"]
    """Authentication kind: none, basic, apiKey or oauth2."""


class BasicAuth(StrictModel):
    """Username and password, entered by whoever creates a connection."""

    type: Literal["basic"]
    """Authentication kind: none, basic, apiKey or oauth2."""
    usernameLabel: str = "Username"
    """Label of the username box in the connection dialog."""
    passwordLabel: str = "Password"
    """Label of the password box in the connection dialog."""


class ApiKeyAuth(StrictModel):
    """An API key sent in a header or query parameter, entered when creating a connection."""

    type: Literal["apiKey"]
    """Authentication kind: none, basic, apiKey or oauth2."""
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    """Header or query parameter name that carries the key, e.g. X-API-Key."""
    in_: Literal["header", "query"] = Field(default="header", alias="in")
    """Where the key goes: header or query."""
    label: str = "API Key"
    """Label of the key box in the connection dialog."""


class OAuth2Auth(StrictModel):
    """OAuth 2.0 through Entra ID (aad), a generic provider or a service-specific one."""

    type: Literal["oauth2"]
    """Authentication kind: none, basic, apiKey or oauth2."""
    identityProvider: IdentityProvider
    """aad (Entra ID), aadcertificate, oauth2generic, or a service provider such as github."""
    clientId: Annotated[str, StringConstraints(min_length=1)]
    """Client (application) id of the app registration."""
    clientSecret: SecretRef | None = None
    """A reference, never the value: {env: NAME} or {keyVault: {vault: V, secret: S}}."""
    scopes: list[str] = Field(default_factory=list)
    """OAuth scopes to request."""
    resourceUri: str | None = None
    """aad: the API's application id URI (required with identityProvider aad)."""
    tenantId: str = "common"
    """aad: tenant id or 'common'."""
    loginUri: str = "https://login.microsoftonline.com"
    """aad: login endpoint (sovereign clouds differ)."""
    authorizationUrl: str | None = None
    """oauth2generic: authorization endpoint (https)."""
    tokenUrl: str | None = None
    """oauth2generic: token endpoint (https)."""
    refreshUrl: str | None = None
    """oauth2generic: refresh endpoint (https); default: tokenUrl."""
    redirectMode: Literal["Global", "Direct"] = "Global"
    """Redirect URL kind: Global (shared) or Direct (per connector)."""

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
    """Client id of this environment's app registration."""
    clientSecret: SecretRef | None = None
    """A reference, never the value: {env: NAME} or {keyVault: {vault: V, secret: S}}."""
    resourceUri: str | None = None
    """aad: this environment's application id URI."""
    scopes: list[str] | None = None
    """OAuth scopes to request in this environment (replace spec.auth.scopes)."""
    tenantId: str | None = None
    """aad: this environment's tenant."""

    _check_secret = field_validator("clientSecret", mode="before")(_refuse_literal_secret)


# --- connector -----------------------------------------------------------------------------


class Definition(StrictModel):
    """Exactly one source of the OpenAPI 2.0 document."""

    # Tells editors what _exactly_one checks: one source key (url always with its sha256).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["openapi"]},
                {"required": ["url", "sha256"]},
                {"required": ["postman"]},
                {"required": ["paconn"]},
            ]
        }
    )

    openapi: str | None = None
    """An OpenAPI 2.0 file (JSON or YAML) in the connector folder."""
    url: str | None = None
    """An https URL of an OpenAPI 2.0 file; needs sha256."""
    sha256: Annotated[str, StringConstraints(pattern=SHA256_PATTERN)] | None = None
    """sha256 hex digest of the file at url: pins what gets deployed."""
    postman: str | None = None
    """A Postman v1/v2.0/v2.1 collection in the connector folder, converted to OpenAPI 2.0."""
    paconn: str | None = None
    """A paconn folder (apiDefinition.swagger.json, apiProperties.json) in the connector folder."""
    variables: dict[str, str] = Field(default_factory=dict)
    """Values for {{variables}} in the Postman collection (override the collection's own)."""

    _check_paths = field_validator("openapi", "postman", "paconn", mode="before")(_inside_connector_folder)

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
        kinds: tuple[Literal["openapi", "url", "postman", "paconn"], ...] = ("openapi", "url", "postman", "paconn")
        for name in kinds:
            if getattr(self, name):
                return name
        raise AssertionError("validated model has a definition source")


class Backend(StrictModel):
    """The service the connector calls."""

    serviceUrl: Annotated[str, StringConstraints(pattern=SERVICE_URL_PATTERN)]
    """Base URL of the API; sets host, basePath and schemes of the deployed definition."""


class SharingRequest(StrictModel):
    """Who gets access to the connector; checked against policies/sharing.yaml."""

    principal: Annotated[str, StringConstraints(min_length=1)]
    """A principal name from policies/sharing.yaml."""
    role: Annotated[str, StringConstraints(min_length=1)]
    """A role name from policies/sharing.yaml, e.g. use."""


class Lifecycle(StrictModel):
    """What happens when the connector disappears from git."""

    deletion: Literal["protect", "allow-connection-loss", "orphan"] = "protect"
    """protect: never delete while connections exist; allow-connection-loss: delete anyway;
    orphan: stop managing it, delete nothing."""


class Certification(StrictModel):
    """What Microsoft's submission package needs beyond the definition (`certify NAME --package DIR`).

    The package's iconBrandColor is spec.brandColor: the colour submitted is the colour deployed.
    """

    publisher: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    """apiProperties.json `publisher` and the readme's "Publisher:": your company or organization."""
    stackOwner: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    """apiProperties.json `stackOwner`: who owns the service behind the API; default: publisher."""
    prerequisites: str | None = None
    """readme.md "Prerequisites": plans, licenses or tools users need; default: an account with the service."""
    knownIssues: str | None = None
    """readme.md "Known Issues and Limitations"; default: none known."""


# What an ARM environment (target local/azure) cannot carry and connector.yaml may strip explicitly.
StripItem = Literal["policyTemplates", "customCode", "connectionParameterSets"]
STRIP_ITEMS: tuple[str, ...] = get_args(StripItem)


def _unique_strip(value: list[str] | None) -> list[str] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("strip lists an item twice")
    return value


class EnvironmentOverride(StrictModel):
    """Changes for one environment of connectorops.yaml; given values win over spec."""

    displayName: str | None = None
    """Display name in this environment."""
    description: str | None = None
    """Description in this environment."""
    backend: Backend | None = None
    """Backend of this environment."""
    auth: AuthOverride | None = None
    """OAuth settings of this environment (another app registration)."""
    sharing: list[SharingRequest] | None = None
    """Replaces spec.sharing in this environment."""
    lifecycle: Lifecycle | None = None
    """Replaces spec.lifecycle in this environment."""
    strip: list[StripItem] | None = None
    """Replaces spec.strip in this environment: what not to deploy to an ARM target (target local/azure)."""
    connectionParameterSet: Annotated[str, StringConstraints(min_length=1)] | None = None
    """Replaces spec.connectionParameterSet in this environment."""

    _check_strip = field_validator("strip")(_unique_strip)


class ConnectorSpecBody(StrictModel):
    """What the connector is: its definition, backend, auth, sharing and lifecycle."""

    displayName: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    """Name shown to users; default: the definition's info.title."""
    description: str | None = None
    """Description shown to users; default: the definition's info.description."""
    icon: str | None = None
    """A PNG file in the connector folder, or an https URL."""
    brandColor: Annotated[str, StringConstraints(pattern=HEX_COLOR_PATTERN)] | None = None
    """Icon background colour, #RRGGBB (quote it in YAML)."""
    definition: Definition
    """Where the OpenAPI 2.0 document comes from: exactly one of openapi, url, postman, paconn."""
    backend: Backend | None = None
    """Overrides host/basePath/schemes of the definition."""
    auth: Auth | None = None
    """How connections authenticate; wins over the definition's own securityDefinitions."""
    environments: dict[str, EnvironmentOverride] = Field(default_factory=dict)
    """Per-environment overrides, keyed by environment name from connectorops.yaml."""
    sharing: list[SharingRequest] = Field(default_factory=list)
    """Who may use the connector (role assignments), checked against policies/sharing.yaml."""
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    """Deletion behaviour."""
    certification: Certification | None = None
    """Microsoft certification submission details: publisher, stackOwner, readme texts."""
    strip: list[StripItem] = Field(default_factory=list)
    """What an ARM target (local/azure) cannot carry and is left out there on purpose: policyTemplates,
    customCode (script.csx + scriptOperations), connectionParameterSets. Without it, they are an error."""
    connectionParameterSet: Annotated[str, StringConstraints(min_length=1)] | None = None
    """With strip: [connectionParameterSets]: the name of the set (apiProperties.json
    connectionParameterSets.values[].name) whose parameters an ARM target gets as connectionParameters."""

    _check_strip = field_validator("strip")(_unique_strip)

    @model_validator(mode="after")
    def _auth_overrides_need_oauth2(self) -> ConnectorSpecBody:
        # AuthOverride only carries OAuth settings; on other auth kinds it would be silently ignored.
        if isinstance(self.auth, OAuth2Auth):
            return self
        overridden = sorted(name for name, override in self.environments.items() if override.auth is not None)
        if overridden:
            kind = self.auth.type if self.auth is not None else "none given"
            raise ValueError(
                f"environments {', '.join(overridden)} override auth, but spec.auth is not oauth2 ({kind}); "
                "only OAuth settings (clientId, clientSecret, resourceUri, scopes, tenantId) can differ per environment"
            )
        return self

    @field_validator("icon")
    @classmethod
    def _icon_is_png_or_https(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "://" in value:
            if not value.startswith("https://"):
                raise ValueError("icon URL must be https://")
        elif not value.lower().endswith(".png"):
            raise ValueError("icon must be a .png file in the connector folder or an https URL")
        else:
            _inside_connector_folder(value)
        return value


class Metadata(StrictModel):
    """Identity of the connector."""

    name: Annotated[str, StringConstraints(pattern=ARM_NAME_PATTERN)]
    """The ARM resource name of the customApi (unique in the repository); usually the folder name."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Free-form labels, e.g. team: sales."""


class ConnectorDocument(StrictModel):
    """connectors/<name>/connector.yaml: one custom connector."""

    apiVersion: Literal["connectorops/v1"]
    """Always connectorops/v1."""
    kind: Literal["Connector"]
    """Always Connector."""
    metadata: Metadata
    """Name and labels."""
    spec: ConnectorSpecBody
    """The connector itself."""

    def for_environment(self, environment: str | None) -> ConnectorSpecBody:
        """The spec with the environment's overrides merged in (overrides win); None: the spec as written.

        The one place overrides are merged: ConnectorInEnvironment.of (a loaded connector) and the git
        deletion policy (a connector.yaml at an old commit) both ask here.
        """
        override = self.spec.environments.get(environment) if environment else None
        if override is None:
            return self.spec
        updates: dict[str, object] = {}
        merged = ("displayName", "description", "backend", "lifecycle", "sharing", "strip", "connectionParameterSet")
        for name in merged:
            value = getattr(override, name)
            if value is not None:
                updates[name] = value
        if override.auth is not None and isinstance(self.spec.auth, OAuth2Auth):
            changes = {k: v for k, v in override.auth if v is not None}
            updates["auth"] = self.spec.auth.model_copy(update=changes)
        return self.spec.model_copy(update=updates)


# --- connectorops.yaml -----------------------------------------------------------------------


class LocalEnvironment(StrictModel):
    """The embedded emulator: state under .connectorops/, no Azure account needed."""

    target: Literal["local"]
    """local: the embedded emulator; azure: a real ARM endpoint; powerplatform: a Power Platform environment."""
    platform: Literal["arm", "powerplatform"] = "arm"
    """arm: the emulator's ARM surface (a resource group, like target azure); powerplatform: its Power Platform
    surface (the emulator's environment, like target powerplatform). Both share one state folder."""
    stateDir: Annotated[str, StringConstraints(min_length=1)] = ".connectorops"
    """Folder (relative to the repository) for the emulator's state."""
    subscriptionId: str | None = None
    """Default: the emulator's own, stable per state file."""
    resourceGroup: Annotated[str, StringConstraints(pattern=RESOURCE_GROUP_PATTERN)] = "rg-connectors-local"
    """Resource group inside the emulator."""
    location: str = "westeurope"
    """Location written on created resources."""

    @field_validator("stateDir", mode="before")
    @classmethod
    def _state_dir_inside_repository(cls, value: object) -> object:
        return _inside_repository(value, "the emulator's state (and its token) belongs in the repository, gitignored")


class AzureEnvironment(StrictModel):
    """A resource group in an Azure subscription (or any ARM-compatible endpoint)."""

    target: Literal["azure"]
    """local: the embedded emulator; azure: a real ARM endpoint."""
    subscriptionId: Annotated[str, StringConstraints(pattern=SUBSCRIPTION_ID_PATTERN)]
    """Subscription id (GUID)."""
    resourceGroup: Annotated[str, StringConstraints(pattern=RESOURCE_GROUP_PATTERN)]
    """Resource group that holds the connectors."""
    location: Annotated[str, StringConstraints(min_length=1)]
    """Azure region, e.g. westeurope."""
    armEndpoint: Annotated[str, StringConstraints(pattern=r"^https://")] = "https://management.azure.com"
    """ARM endpoint: sovereign clouds, or any ARM-compatible endpoint."""
    caBundle: str | None = None
    """PEM file to trust for armEndpoint: relative to the repository, or an absolute path."""
    credential: Literal["default", "token-env"] = "default"
    """default: DefaultAzureCredential; token-env: bearer token from $CONNECTOROPS_ARM_TOKEN."""
    mode: Literal["engine", "pulumi"] = "engine"
    """Who deploys this environment in CI: engine (connectorops apply) or pulumi (pulumi up)."""


class PowerPlatformEnvironment(StrictModel):
    """A Power Platform environment (Power Automate, Power Apps): custom connectors through the Power Apps API."""

    target: Literal["powerplatform"]
    """local: the embedded emulator; azure: a real ARM endpoint; powerplatform: a Power Platform environment."""
    environmentId: Annotated[str, StringConstraints(pattern=ENVIRONMENT_ID_PATTERN)]
    """Environment id: a GUID, or Default-<tenant GUID> for the tenant's default environment."""
    apiEndpoint: Annotated[str, StringConstraints(pattern=r"^https://")] = "https://api.powerapps.com"
    """Power Apps API origin (paconn's powerAppsUrl): sovereign clouds differ."""
    flowEndpoint: Annotated[str, StringConstraints(pattern=r"^https://")] = "https://api.flow.microsoft.com"
    """Power Automate API origin (paconn's flowUrl): flows that use the connectors are read there."""
    caBundle: str | None = None
    """PEM file to trust for both endpoints: relative to the repository, or an absolute path."""
    credential: Literal["default", "token-env"] = "default"
    """default: DefaultAzureCredential for tokenScope; token-env: a bearer token from
    $CONNECTOROPS_POWERPLATFORM_TOKEN."""
    tokenScope: Annotated[str, StringConstraints(pattern=r"^https://")] = "https://service.powerapps.com/.default"
    """OAuth scope of the Power Apps API's token (paconn's `resource` + /.default): sovereign clouds have their own."""
    flowTokenScope: Annotated[str, StringConstraints(pattern=r"^https://")] = (
        "https://service.flow.microsoft.com/.default"
    )
    """OAuth scope of the Power Automate API's token (flows are read there): sovereign clouds have their own."""
    mode: Literal["engine", "pulumi"] = "engine"
    """Who deploys this environment in CI: engine (connectorops apply) or pulumi (pulumi up)."""


Environment = Annotated[LocalEnvironment | AzureEnvironment | PowerPlatformEnvironment, Field(discriminator="target")]


def _default_environments() -> dict[str, Environment]:
    return {"local": LocalEnvironment(target="local")}


class ProjectConfig(StrictModel):
    """connectorops.yaml: the environments this repository deploys to."""

    default: str = "local"
    """Environment used when -e/--environment is not given."""
    environments: dict[str, Environment] = Field(default_factory=_default_environments)
    """Named environments: {target: local}, {target: azure, subscriptionId, resourceGroup, location} or
    {target: powerplatform, environmentId}."""

    @model_validator(mode="after")
    def _default_exists(self) -> ProjectConfig:
        if self.default not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ValueError(f"default environment {self.default!r} is not defined (defined: {known})")
        for name in self.environments:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}", name):
                raise ValueError(f"environment name {name!r}: use letters, digits, '-' and '_'")
        return self
