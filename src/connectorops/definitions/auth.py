"""connector.yaml `auth:` -> securityDefinitions/security in the document + ARM connectionParameters.

Shapes follow what Microsoft's wizard and paconn write (apiProperties.json) and ARM's
ApiOAuthSettings. The OAuth client secret is never resolved here: it stays a reference in
`secret_refs`, keyed by the JSON pointer where apply will put the value. `redirectMode`
is not an ARM field: every OAuth setting uses the global consent redirect URL.
connectionParameters a paconn folder declares (apiProperties.json) are deployed as written;
`auth:` must then describe the same authentication and only supplies the secret reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectorops.errors import DefinitionError, Problem, Severity
from connectorops.spec.models import ApiKeyAuth, BasicAuth, NoAuth, OAuth2Auth

GLOBAL_REDIRECT_URL = "https://global.consent.azure-apim.net/redirect"
OAUTH_PARAMETER = "token"
CLIENT_SECRET_POINTER = f"/{OAUTH_PARAMETER}/oAuthSettings/clientSecret"
# What the custom-connector wizard writes into the document for Entra ID (aad) OAuth.
AAD_AUTHORIZATION_URL = "https://login.microsoftonline.com/common/oauth2/authorize"
AAD_TOKEN_URL = "https://login.windows.net/common/oauth2/authorize"  # noqa: S105 - a URL, not a secret
# Service-specific identity providers: their authorization and token endpoints.
PROVIDER_ENDPOINTS: dict[str, tuple[str, str]] = {
    "github": ("https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"),
    "dropbox": ("https://www.dropbox.com/oauth2/authorize", "https://api.dropboxapi.com/oauth2/token"),
    "facebook": ("https://www.facebook.com/dialog/oauth", "https://graph.facebook.com/oauth/access_token"),
    "google": ("https://accounts.google.com/o/oauth2/auth", "https://oauth2.googleapis.com/token"),
    "instagram": ("https://api.instagram.com/oauth/authorize", "https://api.instagram.com/oauth/access_token"),
    "linkedin": ("https://www.linkedin.com/oauth/v2/authorization", "https://www.linkedin.com/oauth/v2/accessToken"),
    "microsoftaccount": (
        "https://login.live.com/oauth20_authorize.srf",
        "https://login.live.com/oauth20_token.srf",
    ),
    "salesforce": (
        "https://login.salesforce.com/services/oauth2/authorize",
        "https://login.salesforce.com/services/oauth2/token",
    ),
    "slack": ("https://slack.com/oauth/authorize", "https://slack.com/api/oauth.access"),
    "twitter": ("https://twitter.com/i/oauth2/authorize", "https://api.twitter.com/2/oauth2/token"),
}

AuthSpec = NoAuth | BasicAuth | ApiKeyAuth | OAuth2Auth


@dataclass(frozen=True)
class AppliedAuth:
    swagger: dict[str, Any]
    connection_parameters: dict[str, Any]
    secret_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()


def apply_auth(
    swagger: dict[str, Any],
    auth: AuthSpec | None,
    *,
    existing_parameters: dict[str, Any] | None,
    connector_file: str,
    definition_file: str,
) -> AppliedAuth:
    """Make the document and connectionParameters say what `auth:` says (it wins over the definition)."""
    if auth is None:
        parameters = existing_parameters if existing_parameters is not None else derive_parameters(swagger)
        return AppliedAuth(swagger=swagger, connection_parameters=parameters)
    definitions, security, parameters, secret_refs = _from_auth(auth)
    warnings: list[Problem] = []
    declared = swagger.get("securityDefinitions") or {}
    if declared and _kinds(declared) != _kinds(definitions):
        warnings.append(
            Problem(
                f"the definition declares {_describe(declared)} security but connector.yaml auth is "
                f"{_describe(definitions)}; connector.yaml wins",
                severity=Severity.WARNING,
                file=definition_file,
                field="securityDefinitions",
                code="AuthConflict",
                hint=f"remove securityDefinitions from the definition or change auth in {connector_file}",
            )
        )
    if existing_parameters:
        # paconn's connectionParameters (labels, tooltips, tab order) are deployed as written;
        # auth: only has to describe the same thing, and supplies the OAuth client secret.
        parameters, secret_refs = _as_written(existing_parameters, parameters, secret_refs, connector_file)
    result = {k: v for k, v in swagger.items() if k not in ("securityDefinitions", "security")}
    if definitions:
        result["securityDefinitions"] = definitions
        result["security"] = security
    return AppliedAuth(
        swagger=result, connection_parameters=parameters, secret_refs=secret_refs, warnings=tuple(warnings)
    )


def _as_written(
    written: dict[str, Any],
    generated: dict[str, Any],
    secret_refs: dict[str, dict[str, Any]],
    connector_file: str,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """apiProperties.json's parameters, once checked against what `auth:` generates; the client
    secret reference moves to the pointer of the written OAuth parameter."""
    hint = (
        "make auth: in connector.yaml describe the authentication apiProperties.json declares (its "
        "connectionParameters are deployed as written), or delete connectionParameters from apiProperties.json "
        "to have them generated from auth:"
    )
    if _parameter_kinds(written) != _parameter_kinds(generated):
        raise DefinitionError(
            f"apiProperties.json declares connection parameters of type(s) {', '.join(_parameter_kinds(written))} "
            f"but connector.yaml auth needs {', '.join(_parameter_kinds(generated)) or 'none'}",
            file=connector_file,
            field="spec.auth",
            code="AuthConflict",
            hint=hint,
        )
    oauth = [(name, p) for name, p in written.items() if isinstance(p, dict) and p.get("type") == "oauthSetting"]
    if not oauth:
        return written, secret_refs
    name, parameter = oauth[0]
    given = parameter.get("oAuthSettings")
    settings: dict[str, Any] = given if isinstance(given, dict) else {}
    wanted = generated[OAUTH_PARAMETER]["oAuthSettings"]
    for key in ("identityProvider", "clientId"):
        if str(settings.get(key, "")).lower() != str(wanted[key]).lower():
            raise DefinitionError(
                f"apiProperties.json sets oAuthSettings.{key} {settings.get(key)!r} but connector.yaml auth says "
                f"{wanted[key]!r}",
                file=connector_file,
                field=f"spec.auth.{key}",
                code="AuthConflict",
                hint=hint,
            )
    moved = {
        f"/{name}/oAuthSettings/clientSecret" if k == CLIENT_SECRET_POINTER else k: v for k, v in secret_refs.items()
    }
    return written, moved


def derive_parameters(swagger: dict[str, Any]) -> dict[str, Any]:
    """connectionParameters for a definition without `auth:`: what its first securityDefinition implies.

    OAuth cannot be derived (no client id), so it yields no parameters; validate warns about it.
    """
    definitions = swagger.get("securityDefinitions") or {}
    if not isinstance(definitions, dict) or not definitions:
        return {}
    first = next(iter(definitions.values()))
    if not isinstance(first, dict):
        return {}
    if first.get("type") == "basic":
        return _basic_parameters(BasicAuth(type="basic"))
    if first.get("type") == "apiKey":
        return {"api_key": _secure_parameter("API Key", "The API key for this api", required=True)}
    return {}


def _from_auth(
    auth: AuthSpec,
) -> tuple[dict[str, Any], list[dict[str, list[str]]], dict[str, Any], dict[str, dict[str, Any]]]:
    if isinstance(auth, NoAuth):
        return {}, [], {}, {}
    if isinstance(auth, BasicAuth):
        return {"basic_auth": {"type": "basic"}}, [{"basic_auth": []}], _basic_parameters(auth), {}
    if isinstance(auth, ApiKeyAuth):
        definitions = {"api_key": {"type": "apiKey", "in": auth.in_, "name": auth.name}}
        parameters = {"api_key": _secure_parameter(auth.label, f"The {auth.label} for this api", required=True)}
        return definitions, [{"api_key": []}], parameters, {}
    return _oauth(auth)


def _oauth(
    auth: OAuth2Auth,
) -> tuple[dict[str, Any], list[dict[str, list[str]]], dict[str, Any], dict[str, dict[str, Any]]]:
    provider = auth.identityProvider
    settings: dict[str, Any] = {
        "identityProvider": provider,
        "clientId": auth.clientId,
        "scopes": list(auth.scopes),
        "redirectUrl": GLOBAL_REDIRECT_URL,
    }
    if provider in ("aad", "aadcertificate"):
        authorization_url, token_url = AAD_AUTHORIZATION_URL, AAD_TOKEN_URL
        refresh_url = AAD_TOKEN_URL
        settings["properties"] = {
            "IsFirstParty": "False",
            "AzureActiveDirectoryResourceId": auth.resourceUri or "",
        }
        settings["customParameters"] = {
            "loginUri": {"value": auth.loginUri},
            "tenantId": {"value": auth.tenantId},
            # enableOnbehalfOfLogin is left out: false is its default, and Microsoft's apiProperties schema
            # does not know it (a certification package must round-trip to this body).
            "resourceUri": {"value": auth.resourceUri or ""},
        }
    elif provider == "oauth2generic":
        authorization_url = auth.authorizationUrl or ""
        token_url = auth.tokenUrl or ""
        refresh_url = auth.refreshUrl or token_url
        settings["customParameters"] = {
            "authorizationUrl": {"value": authorization_url},
            "tokenUrl": {"value": token_url},
            "refreshUrl": {"value": refresh_url},
        }
    else:
        default_authorization, default_token = PROVIDER_ENDPOINTS[provider]
        authorization_url = auth.authorizationUrl or default_authorization
        token_url = auth.tokenUrl or default_token
        refresh_url = auth.refreshUrl or token_url
    definition: dict[str, Any] = {
        "type": "oauth2",
        "flow": "accessCode",
        "authorizationUrl": authorization_url,
        "tokenUrl": token_url,
        "scopes": {scope: scope for scope in auth.scopes},
    }
    if provider != "aad":
        definition["x-ms-refresh-url"] = refresh_url
    parameters = {OAUTH_PARAMETER: {"type": "oauthSetting", "oAuthSettings": settings}}
    secret_refs: dict[str, dict[str, Any]] = {}
    if auth.clientSecret is not None:
        secret_refs[CLIENT_SECRET_POINTER] = auth.clientSecret.model_dump(by_alias=True, exclude_none=True)
    return {"oauth2_auth": definition}, [{"oauth2_auth": []}], parameters, secret_refs


def _basic_parameters(auth: BasicAuth) -> dict[str, Any]:
    return {
        "username": _secure_parameter(auth.usernameLabel, "The username for this api", required=True, clear=True),
        "password": _secure_parameter(auth.passwordLabel, "The password for this api", required=True),
    }


def _secure_parameter(label: str, description: str, *, required: bool, clear: bool = False) -> dict[str, Any]:
    return {
        "type": "securestring",
        "uiDefinition": {
            "displayName": label,
            "description": description,
            "tooltip": f"Provide your {label}",
            "constraints": {"tabIndex": 2, "clearText": clear, "required": "true" if required else "false"},
        },
    }


def _kinds(definitions: dict[str, Any]) -> list[tuple[str, str]]:
    kinds = []
    for value in definitions.values():
        if isinstance(value, dict):
            kinds.append((str(value.get("type")), str(value.get("in", "")) + str(value.get("name", ""))))
    return sorted(kinds)


def _describe(definitions: dict[str, Any]) -> str:
    kinds = sorted({str(v.get("type")) for v in definitions.values() if isinstance(v, dict)})
    return "/".join(kinds) if kinds else "no"


def _parameter_kinds(parameters: dict[str, Any]) -> list[str]:
    return sorted(str(v.get("type")) for v in parameters.values() if isinstance(v, dict))
