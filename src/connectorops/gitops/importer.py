"""Turn a deployed connector into a connector folder: connector.yaml + openapi.json + icon.png (ARM customApi),
or connector.yaml + a paconn folder (Power Platform: apiDefinition.swagger.json, apiProperties.json, icon.png,
script.csx).

Pure: what the target gave (`Downloaded`) in, file bytes out. The YAML is written so that rendering it gives
back the deployed body; the connector is labelled for adoption, so the first plan only adds our markers.
Secrets become `{env: ...}` references, never values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from pydantic import ValidationError

from connectorops import tags
from connectorops.definitions.paconn import API_DEFINITION, API_PROPERTIES, ICON, SCRIPT
from connectorops.definitions.resolve import PNG_SIGNATURE
from connectorops.render import ADOPT_LABEL, derived_service_url
from connectorops.spec.models import ARM_NAME_PATTERN, HEX_COLOR_PATTERN, SERVICE_IDENTITY_PROVIDERS, ConnectorDocument
from connectorops.tags import is_lease_marker
from connectorops.targets.arm.render import PNG_DATA_URI, png_from_data_uri

KNOWN_PROVIDERS = ("aad", "aadcertificate", "oauth2generic", *SERVICE_IDENTITY_PROVIDERS)


OPENAPI, PACONN = "openapi", "paconn"  # folder layouts: connector.yaml + openapi.json, or + a paconn folder
PACONN_FOLDER = "paconn"
RECORD_EXTENSION = "x-connectorops"  # the ownership record a Power Platform target keeps in the definition


@dataclass(frozen=True)
class Downloaded:
    """What a target gave for one connector: its inventory entry and the files behind it.

    ARM: the customApi and its swagger (openapi layout). Power Platform: the connector, its definition, the
    icon and script.csx bytes downloaded from iconUri / scriptDefinitionUrl (paconn layout, which alone
    carries policy templates, custom code and connectionParameterSets).
    """

    connector: Mapping[str, Any]
    definition: Mapping[str, Any] | None
    layout: str = OPENAPI
    icon: bytes | None = None
    script: bytes | None = None


@dataclass(frozen=True)
class ImportedConnector:
    name: str
    files: dict[str, bytes]  # path inside the connector folder (paconn/...) -> content
    secret_env: tuple[str, ...] = ()  # environment variables apply will need
    notes: tuple[str, ...] = ()  # what could not be carried over exactly


def importable(custom_apis: Iterable[Mapping[str, Any]], declared: Iterable[str]) -> list[Mapping[str, Any]]:
    """customApis in the target that git does not declare and connectorops does not manage (lease marker excluded)."""
    known = {name.lower() for name in declared}
    found = []
    for api in custom_apis:
        name = str(api.get("name", ""))
        if not name or name.lower() in known or is_lease_marker(api):
            continue
        if tags.is_managed({str(k): str(v) for k, v in (api.get("tags") or {}).items()}):
            continue  # ours already (another environment or a deleted folder): `plan` deals with it
        found.append(api)
    return sorted(found, key=lambda a: str(a.get("name", "")).lower())


def env_var_prefix(name: str) -> str:
    """orders-api -> ORDERS_API: the prefix of the environment variables a connector's secrets come from."""
    upper = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "CONNECTOR"
    return upper if not upper[0].isdigit() else f"C_{upper}"


def _icon(icon_uri: str, downloaded: bytes | None, notes: list[str]) -> tuple[str | None, bytes | None]:
    if not icon_uri:
        return None, None
    if downloaded is not None and downloaded.startswith(PNG_SIGNATURE):
        return "icon.png", downloaded  # a blob the target let us download (Power Platform's icon storage)
    if icon_uri.startswith("https://"):
        return icon_uri, None
    if icon_uri.startswith(PNG_DATA_URI):
        data = png_from_data_uri(icon_uri) or b""
        if data.startswith(PNG_SIGNATURE):
            return "icon.png", data
    notes.append("iconUri is neither an https URL nor a base64 PNG; the icon was not imported")
    return None, None


def _ui_label(parameter: Any, default: str) -> str:
    if isinstance(parameter, Mapping):
        ui = parameter.get("uiDefinition")
        if isinstance(ui, Mapping) and ui.get("displayName"):
            return str(ui["displayName"])
    return default


def _custom(settings: Mapping[str, Any], key: str) -> str | None:
    params = settings.get("customParameters")
    entry = params.get(key) if isinstance(params, Mapping) else None
    value = entry.get("value") if isinstance(entry, Mapping) else None
    return str(value) if value else None


def infer_auth(
    swagger: Mapping[str, Any], parameters: Mapping[str, Any], env_prefix: str, notes: list[str]
) -> tuple[dict[str, Any] | None, list[str]]:
    """connector.yaml `auth:` equivalent to the deployed securityDefinitions + connectionParameters."""
    oauth = next((p for p in parameters.values() if isinstance(p, Mapping) and p.get("type") == "oauthSetting"), None)
    if oauth is not None:
        return _infer_oauth(swagger, oauth.get("oAuthSettings") or {}, env_prefix, notes)
    definitions = swagger.get("securityDefinitions") or {}
    first = next(iter(definitions.values()), None) if isinstance(definitions, Mapping) else None
    if not isinstance(first, Mapping):
        return None, []
    if first.get("type") == "basic":
        return {
            "type": "basic",
            "usernameLabel": _ui_label(parameters.get("username"), "Username"),
            "passwordLabel": _ui_label(parameters.get("password"), "Password"),
        }, []
    if first.get("type") == "apiKey" and first.get("name"):
        return {
            "type": "apiKey",
            "name": str(first["name"]),
            "in": str(first.get("in") or "header"),
            "label": _ui_label(parameters.get("api_key"), "API Key"),
        }, []
    notes.append(f"security type {first.get('type')!r} has no connector.yaml auth equivalent; auth left out")
    return None, []


def _infer_oauth(
    swagger: Mapping[str, Any], settings: Mapping[str, Any], env_prefix: str, notes: list[str]
) -> tuple[dict[str, Any] | None, list[str]]:
    provider = str(settings.get("identityProvider") or "")
    if provider not in KNOWN_PROVIDERS or not settings.get("clientId"):
        notes.append(f"OAuth identity provider {provider!r} (or its client id) is not supported; auth left out")
        return None, []
    secret_env = f"{env_prefix}_CLIENT_SECRET"
    auth: dict[str, Any] = {
        "type": "oauth2",
        "identityProvider": provider,
        "clientId": str(settings["clientId"]),
        "clientSecret": {"env": secret_env},
    }
    scopes = settings.get("scopes")
    if isinstance(scopes, list) and scopes:
        auth["scopes"] = [str(s) for s in scopes]
    if provider in ("aad", "aadcertificate"):
        props = settings.get("properties")
        resource = _custom(settings, "resourceUri") or (
            str(props.get("AzureActiveDirectoryResourceId") or "") if isinstance(props, Mapping) else ""
        )
        auth["resourceUri"] = resource
        for key in ("tenantId", "loginUri"):
            value = _custom(settings, key)
            if value:
                auth[key] = value
    elif provider == "oauth2generic":
        for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
            value = _custom(settings, key)
            if value:
                auth[key] = value
    else:
        definitions = swagger.get("securityDefinitions") or {}
        first: Any = next(iter(definitions.values()), {}) if isinstance(definitions, Mapping) else {}
        if isinstance(first, Mapping):
            for key, source in (("authorizationUrl", "authorizationUrl"), ("tokenUrl", "tokenUrl")):
                if first.get(source):
                    auth[key] = str(first[source])
    return auth, [secret_env]


def connector_folder(download: Downloaded, *, name: str | None = None) -> ImportedConnector:
    """The folder contents for one deployed connector, in the layout its target calls for; `name`: call it that
    in git, the adopt label naming the connector as the target lists it."""
    api = download.connector
    listed = str(api.get("name", ""))
    name = name or listed
    if not re.match(ARM_NAME_PATTERN, name):
        raise ValueError(f"connector name {name!r} is not a valid connector name")
    props: Mapping[str, Any] = api.get("properties") or {}
    document = dict(download.definition or props.get("swagger") or {})
    document.pop(RECORD_EXTENSION, None)  # another tool's (or an orphaned) ownership record: apply writes ours
    notes: list[str] = []
    if not document:
        notes.append("the deployed swagger could not be downloaded; the definition is a stub to fill in")
        document = {"swagger": "2.0", "info": {"title": name, "version": "1.0"}, "paths": {}}
    title = (document.get("info") or {}).get("title")
    spec: dict[str, Any] = {"displayName": str(props.get("displayName") or title or name)}
    spec["description"] = str(props.get("description") or "")
    paconn = download.layout == PACONN
    icon, png = _icon(str(props.get("iconUri") or ""), download.icon, notes)
    if icon and not (paconn and png is not None):  # a paconn folder's icon.png needs no `icon:`
        spec["icon"] = icon
    brand = str(props.get("brandColor") or props.get("iconBrandColor") or "")
    if not re.match(HEX_COLOR_PATTERN, brand):
        if brand:
            notes.append(f"brand colour {brand!r} is not #RRGGBB; left out (the default colour applies)")
        brand = ""
    if brand and not paconn:  # paconn: apiProperties.json's iconBrandColor
        spec["brandColor"] = brand
    spec["definition"] = {"paconn": PACONN_FOLDER} if paconn else {"openapi": "openapi.json"}
    backend = props.get("backendService")
    service_url = str(backend.get("serviceUrl") or "") if isinstance(backend, Mapping) else ""
    # Without `backend:` render derives the URL from the swagger; only a different one needs saying.
    if service_url and service_url != derived_service_url(document):
        spec["backend"] = {"serviceUrl": service_url}
    parameters = props.get("connectionParameters")
    known_parameters = parameters if isinstance(parameters, Mapping) else {}
    auth, secret_env = infer_auth(document, known_parameters, env_var_prefix(name), notes)
    if paconn and auth is not None and auth["type"] != "oauth2":
        # apiProperties.json's parameters are deployed as written; `auth:` is needed only for a secret.
        auth, secret_env = None, []
    if auth is not None:
        spec["auth"] = auth
    if props.get("capabilities") and not paconn:
        notes.append("capabilities cannot be expressed with an openapi definition; use a paconn folder")
    spec["lifecycle"] = {"deletion": "protect"}
    doc = {
        "apiVersion": "connectorops/v1",
        "kind": "Connector",
        "metadata": {"name": name, "labels": {ADOPT_LABEL: "true" if listed == name else listed}},
        "spec": spec,
    }
    try:
        ConnectorDocument.model_validate(doc)
    except ValidationError as error:
        if "auth" not in spec:
            reason = error.errors()[0]["msg"]
            raise ValueError(f"connector {name!r} cannot be expressed as connector.yaml: {reason}") from None
        spec.pop("auth")
        secret_env = []
        notes.append(f"the inferred auth is not valid connector.yaml ({error.errors()[0]['msg']}); auth left out")
    if paconn:
        files = paconn_files(props, document, brand, png, download.script, notes)
    else:
        files = {"openapi.json": _json(document), **({"icon.png": png} if png is not None else {})}
    files = {"connector.yaml": _yaml(doc, api), **files}
    return ImportedConnector(name=name, files=files, secret_env=tuple(secret_env), notes=tuple(notes))


def paconn_files(
    props: Mapping[str, Any],
    swagger: Mapping[str, Any],
    brand: str,
    icon: bytes | None,
    script: bytes | None,
    notes: list[str],
) -> dict[str, bytes]:
    """The files `paconn download` writes, from a Power Platform connector's properties (no secret in them)."""
    properties: dict[str, Any] = {}
    sets = props.get("connectionParameterSets")
    if isinstance(sets, Mapping) and sets.get("values"):
        properties["connectionParameterSets"] = _without_client_secrets(sets)
        if "oauthSetting" in json.dumps(sets).replace("oAuthSetting", "oauthSetting"):
            notes.append(
                "connectionParameterSets hold OAuth settings whose client secrets the service never returns and "
                "connector.yaml cannot reference yet; enter them in the maker portal after apply"
            )
    else:
        properties["connectionParameters"] = _without_client_secrets(props.get("connectionParameters") or {})
    if brand:
        properties["iconBrandColor"] = brand
    properties["capabilities"] = list(props.get("capabilities") or [])
    if props.get("policyTemplateInstances"):
        properties["policyTemplateInstances"] = props["policyTemplateInstances"]
    if props.get("scriptOperations") is not None and (script is not None or props["scriptOperations"]):
        properties["scriptOperations"] = props["scriptOperations"]  # [] with a script: every operation
    if props.get("scriptDefinitionUrl") and script is None:
        notes.append("the custom code (script.csx) could not be downloaded; import it by hand")
    files = {
        f"{PACONN_FOLDER}/{API_DEFINITION}": _json(swagger),
        f"{PACONN_FOLDER}/{API_PROPERTIES}": _json({"properties": properties}),
    }
    if icon is not None:
        files[f"{PACONN_FOLDER}/{ICON}"] = icon
    if script is not None:
        files[f"{PACONN_FOLDER}/{SCRIPT}"] = script  # byte for byte: the service runs exactly these bytes
    return files


def _without_client_secrets(value: Any) -> Any:
    """The service never returns a client secret; should one appear anyway, it is not written to git."""
    if isinstance(value, Mapping):
        return {k: _without_client_secrets(v) for k, v in value.items() if k != "clientSecret"}
    if isinstance(value, list):
        return [_without_client_secrets(v) for v in value]
    return value


def _yaml(doc: dict[str, Any], api: Mapping[str, Any]) -> bytes:
    header = (
        f"# Imported by `connectorops import` on {datetime.now(UTC).date().isoformat()} from\n"
        f"# {api.get('id', api.get('name'))}\n"
        "# The label connectorops/adopt lets the first plan take this connector over (it only adds our tags).\n"
    )
    return (header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)).encode()


def _json(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
