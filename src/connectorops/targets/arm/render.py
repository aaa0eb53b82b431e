"""The ARM shapes of what git declares: a resolved connector -> the customApi PUT body, a sharing.yaml role ->
the roleDefinitions id.

Pure: no I/O. The body is canonical (defaults explicit) so equal inputs give equal bytes and the
fingerprint tag can tell later runs whether anything changed since the last apply.

Two values follow what Azure does for Logic Apps (checked against public sources, issue 14):
- oAuthSettings.redirectUrl: Logic Apps' consent service is regional,
  https://logic-apis-<location>.consent.azure-apim.net/redirect (what ARM returns for managed APIs
  and what connections' listConsentLinks use); the global Power Platform URL that `auth:` writes
  is replaced by it. A URL written in apiProperties.json that is not the global one is kept.
- iconUri: ARM stores any string (its own example sends "/testIcon.svg") and paconn/templates use
  https URLs, which connector.yaml `icon: https://...` passes through. A committed icon.png has no
  URL until someone hosts it, so it goes in as a PNG data URI rather than being dropped.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from connectorops.render import (
    DesiredCustomApi,
    brand_color,
    description,
    display_name,
    ownership_markers,
    sealed,
    service_url,
)
from connectorops.secret_refs import without_secret_refs

if TYPE_CHECKING:  # annotations only: the definitions model pulls in the spec models
    from connectorops.definitions.model import ResolvedConnector

API_TYPE = "Rest"
PNG_DATA_URI = "data:image/png;base64,"  # how iconUri carries a committed icon.png


def role_definition_id(role: str, subscription_id: str) -> str:
    """A role GUID becomes the full subscription-level id ARM expects; full ids pass through."""
    if role.startswith("/"):
        return role
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def logic_apps_redirect_url(location: str) -> str:
    return f"https://logic-apis-{location.replace(' ', '').lower()}.consent.azure-apim.net/redirect"


def regional_redirects(parameters: dict[str, Any], location: str) -> dict[str, Any]:
    """connectionParameters with the global consent redirect URL replaced by the region's Logic Apps one."""
    # Here, not at import: definitions.auth loads the spec models, which a plan that renders nothing never needs.
    from connectorops.definitions.auth import GLOBAL_REDIRECT_URL

    result: dict[str, Any] = {}
    for name, parameter in parameters.items():
        settings = parameter.get("oAuthSettings") if isinstance(parameter, dict) else None
        if isinstance(settings, dict) and settings.get("redirectUrl") == GLOBAL_REDIRECT_URL:
            parameter = {**parameter, "oAuthSettings": {**settings, "redirectUrl": logic_apps_redirect_url(location)}}
        result[name] = parameter
    return result


def _icon_uri(icon: str | None, png: bytes | None) -> str | None:
    if icon and icon.startswith("https://"):
        return icon
    if png:
        return PNG_DATA_URI + base64.b64encode(png).decode("ascii")
    return None


def png_from_data_uri(icon_uri: object) -> bytes | None:
    """The bytes of an iconUri written as a base64 PNG data URI (as above); None for anything else."""
    if not isinstance(icon_uri, str) or not icon_uri.startswith(PNG_DATA_URI):
        return None
    try:
        return base64.b64decode(icon_uri[len(PNG_DATA_URI) :], validate=True)
    except ValueError:  # binascii.Error included
        return None


def render_custom_api(resolved_connector: ResolvedConnector, *, location: str, commit: str | None) -> DesiredCustomApi:
    """The body of the definition the target carries (`fitted`), with the environment's spec merged once."""
    spec, resolved = resolved_connector.spec, resolved_connector.fitted
    properties: dict[str, Any] = {
        "apiType": API_TYPE,
        "backendService": {"serviceUrl": service_url(resolved_connector)},
        "brandColor": brand_color(resolved_connector),
        "capabilities": list(resolved.capabilities),
        "connectionParameters": regional_redirects(without_secret_refs(resolved.connection_parameters) or {}, location),
        "description": description(resolved_connector),
        "displayName": display_name(resolved_connector),
        "swagger": resolved.swagger,
    }
    icon = _icon_uri(spec.icon, resolved.icon_png)
    if icon is not None:
        properties["iconUri"] = icon
    body_tags = ownership_markers(resolved_connector)
    body: dict[str, Any] = {"location": location, "properties": properties, "tags": body_tags}
    return sealed(resolved_connector, body, commit=commit)
