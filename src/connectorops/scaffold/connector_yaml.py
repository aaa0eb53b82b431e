"""connector.yaml for `connectorops new connector`: names, description and auth read from a definition.

Pure: a swagger document and where it comes from in, YAML text (with comments that say what to
edit) out. Auth comes from the first securityDefinition, as the service itself would pick it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_DISPLAY_NAME = 256
CLIENT_ID_PLACEHOLDER = "REPLACE-WITH-YOUR-CLIENT-ID"
AAD_LOGIN_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn")


@dataclass(frozen=True)
class DefinitionSource:
    """The `definition:` block: one key (openapi, postman, paconn, url) plus sha256 for url."""

    kind: str
    value: str
    sha256: str | None = None


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (JSON strings are YAML flow scalars)."""
    return json.dumps(value, ensure_ascii=False)


def env_var_name(name: str, suffix: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name.upper()).strip("_") or "CONNECTOR"
    return f"{'C_' if cleaned[0].isdigit() else ''}{cleaned}_{suffix}"


def auth_lines(swagger: dict[str, Any], name: str) -> list[str]:
    """The `auth:` block for the definition's first securityDefinition ([] when it declares none)."""
    definitions = swagger.get("securityDefinitions")
    if not isinstance(definitions, dict) or not definitions:
        return []
    first = next(iter(definitions.values()))
    if not isinstance(first, dict):
        return []
    kind = first.get("type")
    if kind == "basic":
        return ["  auth:", "    type: basic"]
    if kind == "apiKey" and isinstance(first.get("name"), str) and first.get("in") in ("header", "query"):
        return [
            "  auth:",
            "    type: apiKey",
            f"    name: {_scalar(first['name'])}",
            f"    in: {first['in']}",
        ]
    if kind == "oauth2":
        return _oauth_lines(first, name)
    return [f"  # auth: the definition's securityDefinitions type {kind!r} is not detected; set auth by hand"]


def _oauth_lines(definition: dict[str, Any], name: str) -> list[str]:
    authorization = str(definition.get("authorizationUrl") or "")
    token = str(definition.get("tokenUrl") or "")
    scopes = list(definition.get("scopes") or {}) if isinstance(definition.get("scopes"), dict) else []
    secret = env_var_name(name, "CLIENT_SECRET")
    lines = [
        "  auth:                       # from the definition's oauth2 securityDefinition: fill in your app",
        "    type: oauth2",
    ]
    if any(host in authorization for host in AAD_LOGIN_HOSTS):
        lines += [
            "    identityProvider: aad",
            f"    clientId: {CLIENT_ID_PLACEHOLDER}",
            "    resourceUri: REPLACE-WITH-THE-API-APP-ID-URI",
        ]
    elif authorization.startswith("https://") and (token or authorization).startswith("https://"):
        lines += [
            "    identityProvider: oauth2generic",
            f"    clientId: {CLIENT_ID_PLACEHOLDER}",
            f"    authorizationUrl: {_scalar(authorization)}",
            f"    tokenUrl: {_scalar(token or authorization)}",
        ]
    else:
        return [
            "  # auth: the definition declares oauth2 without https authorization/token URLs;",
            "  #   add {type: oauth2, identityProvider: ..., clientId: ...} here",
        ]
    if scopes:
        lines.append(f"    scopes: [{', '.join(_scalar(str(s)) for s in scopes)}]")
    lines.append(f"    # clientSecret: {{env: {secret}}}   # a reference, never the value")
    return lines


def connector_yaml(
    name: str,
    swagger: dict[str, Any],
    source: DefinitionSource,
    *,
    origin: str,
    service_url: str | None = None,
    auth_from_definition: bool = True,
    strip: Sequence[str] = (),
    parameter_set: str | None = None,
) -> str:
    """The text of connectors/<name>/connector.yaml; `parameter_set` is spec.connectionParameterSet."""
    raw_info = swagger.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    title = str(info.get("title") or "")
    description = str(info.get("description") or "") if isinstance(info.get("description"), str) else ""
    lines = [
        f"# Created by `connectorops new connector` from {origin}.",
        "apiVersion: connectorops/v1",
        "kind: Connector",
        "metadata:",
        f"  name: {name}",
        "spec:",
    ]
    if title.strip():
        lines.append(f"  displayName: {_scalar(title.strip()[:MAX_DISPLAY_NAME])}")
    if description.strip():
        lines.append(f"  description: {_scalar(description.strip())}")
    lines.append("  definition:")
    lines.append(f"    {source.kind}: {_scalar(source.value)}")
    if source.sha256:
        lines.append(f"    sha256: {source.sha256}   # pins the document; update it when it changes upstream")
    if service_url:
        lines += ["  backend:", f"    serviceUrl: {_scalar(service_url)}"]
    if auth_from_definition:
        lines += auth_lines(swagger, name)
    else:
        lines.append("  # auth: apiProperties.json's connectionParameters are used; set auth here to replace them")
    if strip:
        lines.append(f"  strip: [{', '.join(strip)}]   # not deployed to ARM environments (local, azure)")
    if parameter_set:
        lines.append(f"  connectionParameterSet: {_scalar(parameter_set)}   # the set ARM environments get")
    lines += [
        "  # sharing: [{principal: my-team, role: use}]   # names from policies/sharing.yaml",
        "  lifecycle: {deletion: protect}                 # protect | allow-connection-loss | orphan",
        "",
    ]
    return "\n".join(lines)
