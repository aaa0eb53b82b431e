"""PowerPlatformTarget: the Target protocol over the Power Apps and Power Automate APIs of one environment.

The engine sees connectors in its usual envelope (PP_CONTRACT.md, "How the target maps this onto the engine"):
`{"name": metadata.name (the apiName when unmanaged), "id": placement.connector_id(name), "etag": changedTime,
"tags": the x-connectorops record as tags.* keys, "properties": {...service properties, "swagger": the stored
definition without the record, "apiName": the server-assigned name}}`. Writes name connectors; the target maps
a name to its apiName through the record (the server names an api on POST).

Observe is one paged list per collection: apis with `$expand=permissions,properties.swagger` (grants are read
from that same list), the environment's connections, its flows.
"""

from __future__ import annotations

import base64
import copy
import threading
from typing import Any

from connectorops import tags
from connectorops.engine.target import ALIASES
from connectorops.errors import GatewayError
from connectorops.render import definition_of
from connectorops.targets.placed import PlacedTarget
from connectorops.targets.powerplatform import record as rec
from connectorops.targets.powerplatform.client import PowerPlatformClient, token_object_id
from connectorops.targets.powerplatform.placement import (
    CONTENT_TYPES,
    FILES,
    ICON_FILE,
    SCRIPT_FILE,
    PowerPlatformPlacement,
)

PRECONDITION_FAILED = 412
OWNER = "Owner"
LIST_EXPAND = "permissions,properties.swagger"
# Service properties that are not ours to send back (read-only, or answered instead of what was sent).
READ_ONLY = frozenset(
    {"swagger", "permissions", "apiDefinitions", "createdTime", "changedTime", "isCustomApi", "publisher",
     "createdBy", "apiName", "uploadedIconUri", "metadata", "runtimeUrls"}
)  # fmt: skip
# ARM-shaped keys a body may carry (contract tests, Pulumi) that the Power Apps API has no use for.
ARM_ONLY = frozenset({"apiType", "brandColor", "swagger", "wsdlDefinition"})
FILE_URL_KEYS = {ICON_FILE: "iconUri", SCRIPT_FILE: "scriptDefinitionUrl"}


def api_name_of(item: dict[str, Any]) -> str:
    return str(item.get("name", ""))


def _api_path_name(resource_id: str, after: str) -> str | None:
    """The segment after `/<after>/` in a Power Apps id (apiName of an api, connection or permission id)."""
    parts = [p for p in resource_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    if after in lowered and lowered.index(after) + 1 < len(parts):
        return parts[lowered.index(after) + 1]
    return None


class PowerPlatformTarget(PlacedTarget):
    """One Power Platform environment as a Target. Caches only the apiName of each connector name and the last
    list (so list_grants reads the list observe just made); every write drops the cached list."""

    def __init__(self, client: PowerPlatformClient) -> None:
        self.client = client
        self._placement = PowerPlatformPlacement(client.location.environment_id, client.location.api_endpoint)
        self._lock = threading.Lock()
        self._api_names: dict[str, str] = {}  # connector name (lower case) -> apiName
        self._names: dict[str, str] = {}  # apiName (lower case) -> connector name
        self._listed: list[dict[str, Any]] | None = None  # raw items of the last list, until a write
        self._object_id: str | None = None

    @property
    def placement(self) -> PowerPlatformPlacement:
        return self._placement

    # the envelope ---------------------------------------------------------------------------------
    def envelope(self, item: dict[str, Any]) -> dict[str, Any]:
        """A service item as the engine sees connectors (see the module docstring)."""
        api_name = api_name_of(item)
        properties = dict(item.get("properties") or {})
        definition = properties.pop("swagger", None)
        properties.pop("permissions", None)
        record = rec.record_of(definition)
        name = str(record.get(rec.NAME) or api_name)
        if isinstance(definition, dict):
            properties["swagger"] = rec.without_record(definition)
        environment = properties.get("environment")
        if isinstance(environment, dict):
            properties["environment"] = {"name": environment.get("name", self.placement.environment_id)}
        if (record.get(rec.FILES) or {}).get(ICON_FILE) and "iconUri" in properties:
            properties["uploadedIconUri"] = properties.pop("iconUri")  # ours: compared by content hash
        properties["apiName"] = api_name
        envelope: dict[str, Any] = {
            "name": name,
            "id": self.connector_id(name),
            "type": "Microsoft.PowerApps/apis",
            "etag": properties.get("changedTime"),
            "tags": rec.tags_of(record),
            "properties": properties,
        }
        hashes = record.get(rec.FILES)
        if isinstance(hashes, dict) and hashes:  # what was uploaded, as the rendered body's `files` names it
            envelope[FILES] = {str(f): {"sha256": str(h)} for f, h in sorted(hashes.items())}
        if name.lower() != api_name.lower():  # an adopt label may name it by the apiName the portal shows
            envelope[ALIASES] = [api_name]
        return envelope

    def _remember(self, items: list[dict[str, Any]]) -> None:
        names: dict[str, str] = {}
        for item in items:
            api_name = api_name_of(item)
            name = str(rec.record_of((item.get("properties") or {}).get("swagger")).get(rec.NAME) or api_name)
            names[name.lower()] = api_name
        with self._lock:
            self._api_names = names
            self._names = {v.lower(): k for k, v in names.items()}
            self._listed = items

    def _forget_list(self) -> None:
        with self._lock:
            self._listed = None

    def _list_raw(self) -> list[dict[str, Any]]:
        items = self.client.list_apis(expand=LIST_EXPAND)
        # Where the list gives no stored definition (an $expand the live service may not honour on the list):
        # one GET with the definition for that item, so its record is still read.
        completed = [
            item if isinstance((item.get("properties") or {}).get("swagger"), dict) else self._with_swagger(item)
            for item in items
        ]
        self._remember(completed)
        return completed

    def _with_swagger(self, item: dict[str, Any]) -> dict[str, Any]:
        got = self.client.get_api(api_name_of(item), expand="properties.swagger")
        return got if got is not None else item

    def _cached_or_listed(self) -> list[dict[str, Any]]:
        with self._lock:
            listed = self._listed
        return listed if listed is not None else self._list_raw()

    def _api_name(self, name: str, *, refresh: bool = True) -> str | None:
        with self._lock:
            known = self._api_names.get(name.lower())
        if known is not None or not refresh:
            return known
        self._list_raw()
        with self._lock:
            return self._api_names.get(name.lower())

    def _logical_id(self, api_name: str) -> str:
        with self._lock:
            name = self._names.get(api_name.lower(), api_name)
        return self.connector_id(name)

    # observe --------------------------------------------------------------------------------------
    def list_connectors(self) -> list[dict[str, Any]]:
        return [self.envelope(item) for item in self._list_raw()]

    def list_grants(self) -> list[dict[str, Any]]:
        """Every non-owner permission of every connector, from the list observe just made."""
        grants: list[dict[str, Any]] = []
        for item in self._cached_or_listed():
            permissions = (item.get("properties") or {}).get("permissions")
            if not isinstance(permissions, list):  # the list did not expand them: ask this api
                permissions = self.client.list_permissions(api_name_of(item))
            name = self.envelope(item)["name"]
            grants += [self._grant(name, p) for p in permissions if isinstance(p, dict) and not _is_owner(p)]
        return grants

    def _grant(self, connector: str, permission: dict[str, Any]) -> dict[str, Any]:
        properties = permission.get("properties") or {}
        principal = properties.get("principal") or {}
        return {
            "id": permission.get("id"),
            "name": permission.get("name") or principal.get("id"),
            "properties": {
                "scope": self.connector_id(connector),
                "principalId": principal.get("id"),
                "principalType": principal.get("type"),
                "roleDefinitionId": properties.get("roleName"),
                "principal": principal,
            },
        }

    def list_connections(self) -> list[dict[str, Any]]:
        self._cached_or_listed()  # apiName -> connector name for the logical ids
        return [self._connection(c) for c in self.client.list_connections()]

    def _connection(self, connection: dict[str, Any]) -> dict[str, Any]:
        properties = dict(connection.get("properties") or {})
        api_name = _api_path_name(str(properties.get("apiId") or connection.get("id") or ""), "apis") or ""
        properties["api"] = {"id": self._logical_id(api_name), "name": api_name}
        return {**connection, "properties": properties}

    def list_consumers(self) -> list[dict[str, Any]]:
        """The environment's flows, each with `properties.connectorIds`: the logical ids of the connectors its
        connection references point at."""
        self._cached_or_listed()
        flows: list[dict[str, Any]] = []
        for flow in self.client.list_flows():
            properties = dict(flow.get("properties") or {})
            references = properties.get("connectionReferences") or {}
            api_names = sorted(
                {
                    str(ref.get("apiName") or _api_path_name(str(ref.get("id") or ""), "apis") or "")
                    for ref in (references.values() if isinstance(references, dict) else [])
                    if isinstance(ref, dict)
                }
                - {""}
            )
            properties["connectorIds"] = [self._logical_id(a) for a in api_names]
            flows.append({**flow, "properties": properties})
        return flows

    def get_connector(self, name: str) -> dict[str, Any] | None:
        """Read fresh: a GET of the apiName last seen for `name`, else one list (the name lives in the record)."""
        api_name = self._api_name(name, refresh=False)
        item = self.client.get_api(api_name, expand="properties.swagger") if api_name else None
        if item is None or self.envelope(item)["name"].lower() != name.lower():
            self._list_raw()
            api_name = self._api_name(name, refresh=False)
            item = self.client.get_api(api_name, expand="properties.swagger") if api_name else None
        return self.envelope(item) if item is not None else None

    def download_definition(self, connector: dict[str, Any]) -> dict[str, Any] | None:
        inline = definition_of(connector)
        if inline:
            return inline
        api_name = (connector.get("properties") or {}).get("apiName") or connector.get("name")
        item = self.client.get_api(str(api_name), expand="properties.swagger")
        if item is None:
            return None
        swagger = (item.get("properties") or {}).get("swagger")
        if isinstance(swagger, dict):
            return rec.without_record(swagger)
        url = ((item.get("properties") or {}).get("apiDefinitions") or {}).get("originalSwaggerUrl")
        document = self.client.download_json(str(url), f"download definition of {api_name}") if url else None
        return rec.without_record(document) if document else None

    def download_blob(self, url: str) -> bytes | None:
        """The bytes behind a URL the service gave a connector (iconUri, scriptDefinitionUrl), for `import`;
        None when they cannot be fetched (the caller says so). The SAS query never appears in a message."""
        try:
            return self.client.download(url, f"download {url.split('?', 1)[0]}")
        except GatewayError:
            return None

    def connections_of(self, connector_id: str) -> list[dict[str, Any]]:
        """Asked right before a delete: read fresh (the per-api connections GET)."""
        name = connector_id.rstrip("/").rsplit("/", 1)[-1]
        api_name = self._api_name(name)
        if api_name is None:
            return []
        return [self._connection(c) for c in self.client.list_api_connections(api_name)]

    # writes ---------------------------------------------------------------------------------------
    def create_connector(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST; the server names the api. Create-only: a connector whose record already names `name` is a 412.

        Best effort, like update: the check reads the names of the last list (observe made it right before
        apply), not a fresh one per create, which would make an apply of N new connectors N full lists.
        """
        with self._lock:
            listed_before = self._listed is not None or bool(self._api_names)
        if not listed_before:
            self._list_raw()
        if self._api_name(name, refresh=False) is not None:
            raise GatewayError(
                f"POST apis: a connector named {name!r} already exists in environment {self.placement.environment_id}",
                status=PRECONDITION_FAILED,
                hint="plan again",
            )
        files = self._upload_changed(body, previous={}, current={})
        wire = self.wire_body(name, body, files)
        created = self.client.create_api(wire)
        self._forget_list()
        api_name = api_name_of(created)
        with self._lock:
            self._api_names[name.lower()] = api_name
            self._names[api_name.lower()] = name
        return self._as_written(created, wire)

    def update_connector(
        self, name: str, body: dict[str, Any], *, etag: str | None, listed_as: str | None = None
    ) -> dict[str, Any]:
        """PATCH, only while changedTime is still `etag`; `listed_as`: adopting that unmanaged api as `name`.

        Best effort: the API has no If-Match, so the version is compared on a GET right before the PATCH; a
        change landing between the two is not detected.
        """
        api_name, current = self._adoptable(name, listed_as)
        properties = current.get("properties") or {}
        if etag is not None and properties.get("changedTime") != etag:
            raise GatewayError(
                f"PATCH apis/{api_name}: connector {name!r} was changed by someone else since the plan; plan again",
                status=PRECONDITION_FAILED,
                hint="run `connectorops plan` to see the change, then apply the new plan",
            )
        previous = rec.record_of(properties.get("swagger")).get(rec.FILES) or {}
        files = self._upload_changed(body, previous=previous, current=properties)
        wire = self.wire_body(name, body, files)
        updated = self.client.update_api(api_name, wire)
        self._written(name, api_name)
        if updated is None:
            raise _gone(name)
        return self._as_written(updated, wire)

    def write_markers(self, name: str, markers: dict[str, str], *, listed_as: str | None = None) -> dict[str, Any]:
        """Rewrite the record alone: the stored definition and properties are sent back as they are.

        (The service never returns the OAuth clientSecret; whether a PATCH without it keeps the stored one is
        unverified against the live service.)
        """
        api_name, current = self._adoptable(name, listed_as)
        properties = {k: v for k, v in (current.get("properties") or {}).items() if k not in READ_ONLY}
        definition = (current.get("properties") or {}).get("swagger")
        record = rec.record_of(definition)
        kept_name = name if listed_as else str(record.get(rec.NAME) or name)  # adopting: the name git gives it
        new_record = rec.record_from(kept_name, markers, record.get(rec.FILES))
        properties["openApiDefinition"] = rec.with_record(
            definition if isinstance(definition, dict) else {}, new_record
        )
        properties["environment"] = {"name": self.placement.environment_id}
        wire = {"properties": properties}
        updated = self.client.update_api(api_name, wire)
        self._written(name, api_name)
        if updated is None:
            raise _gone(name)
        return self._as_written(updated, wire)

    def delete_connector(self, name: str) -> bool:
        api_name = self._api_name(name)
        if api_name is None:
            return False
        existed = self.client.delete_api(api_name)
        self._forget_list()
        with self._lock:
            self._api_names.pop(name.lower(), None)
            self._names.pop(api_name.lower(), None)
        return existed

    def grant(self, connector: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Share through modifyPermissions; `name` (the engine's deterministic grant name) is not needed: a
        principal holds one permission per connector."""
        api_name = self._api_name(connector)
        if api_name is None:
            raise _gone(connector)
        properties = body.get("properties") or {}
        principal = dict(properties.get("principal") or {})
        principal.setdefault("id", properties.get("principalId"))
        principal.setdefault("type", properties.get("principalType"))
        put = {
            "properties": {
                "roleName": self.role_id(str(properties.get("roleDefinitionId") or properties.get("roleName") or "")),
                "capabilities": [],
                "NotifyShareTargetOption": "Notify",
                "principal": {k: v for k, v in principal.items() if v is not None},
            }
        }
        self.client.modify_permissions(api_name, put=[put])
        self._forget_list()
        permission_id = f"/providers/Microsoft.PowerApps/apis/{api_name}/permissions/{principal.get('id')}"
        return self._grant(connector, {"id": permission_id, "name": principal.get("id"), **put})

    def revoke(self, grant_id: str) -> bool:
        api_name = _api_path_name(grant_id, "apis")
        principal = grant_id.rstrip("/").rsplit("/", 1)[-1].lower()
        if api_name is None:
            return False
        live = self.client.list_permissions(api_name)
        if not any(str(p.get("name") or "").lower() == principal or str(p.get("id", "")).lower() == grant_id.lower()
                   for p in live):  # fmt: skip
            return False
        self.client.modify_permissions(api_name, delete=[{"id": grant_id}])
        self._forget_list()
        return True

    # helpers --------------------------------------------------------------------------------------
    def _adoptable(self, name: str, listed_as: str | None) -> tuple[str, dict[str, Any]]:
        """The api a write to `name` goes to: `listed_as` when adopting it under `name`, refused if a record
        (written since the plan) names another connector."""
        if not listed_as or listed_as.lower() == name.lower():
            return self._current(name, "PATCH apis")
        api_name, current = self._current(listed_as, "PATCH apis")
        record = rec.record_of((current.get("properties") or {}).get("swagger"))
        owner = str(record.get(rec.NAME) or listed_as)
        if tags.is_managed(rec.tags_of(record)) and owner.lower() != name.lower():  # an orphan's name may stay
            raise GatewayError(
                f"connector {listed_as!r} is managed by connectorops as {owner!r}; it was not adopted as {name!r}",
                status=PRECONDITION_FAILED,
                hint="plan again",
            )
        return api_name, current

    def _written(self, name: str, api_name: str) -> None:
        """After a write to `api_name` under `name` (perhaps a new name, by adoption): drop the list, map both."""
        with self._lock:
            self._listed = None
            self._api_names = {k: v for k, v in self._api_names.items() if v.lower() != api_name.lower()}
            self._api_names[name.lower()] = api_name
            self._names[api_name.lower()] = name

    def _current(self, name: str, action: str) -> tuple[str, dict[str, Any]]:
        api_name = self._api_name(name)
        current = self.client.get_api(api_name, expand="properties.swagger") if api_name else None
        if api_name is None or current is None:
            raise _gone(name)
        return api_name, current

    def _object(self) -> str:
        if self._object_id is None:
            location = self.client.location
            self._object_id = token_object_id(location.credential, location.credential_scope)
        return self._object_id

    def _upload_changed(
        self, body: dict[str, Any], *, previous: dict[str, Any], current: dict[str, Any]
    ) -> dict[str, tuple[str, str]]:
        """file name -> (URL to send, sha256): uploaded where the content hash differs from the record's."""
        wanted = body.get(FILES) or {}
        result: dict[str, tuple[str, str]] = {}
        sas: str | None = None
        for file_name, entry in sorted(wanted.items()):
            digest = str(entry.get("sha256", ""))
            existing = current.get(FILE_URL_KEYS.get(file_name, ""))
            if previous.get(file_name) == digest and isinstance(existing, str) and existing:
                result[file_name] = (existing, digest)
                continue
            data = base64.b64decode(str(entry.get("base64", "")))
            sas = sas or self.client.generate_resource_storage(self._object())
            content_type = str(entry.get("contentType") or CONTENT_TYPES.get(file_name, "application/octet-stream"))
            result[file_name] = (self.client.upload_blob(sas, file_name, data, content_type), digest)
        return result

    def wire_body(self, name: str, body: dict[str, Any], files: dict[str, tuple[str, str]]) -> dict[str, Any]:
        """What goes to the service: the paconn body with the record in openApiDefinition, uploads as URLs."""
        properties = copy.deepcopy(dict(body.get("properties") or {}))
        definition = definition_of(body)
        for key in ARM_ONLY:
            properties.pop(key, None)
        if "iconBrandColor" not in properties and (body.get("properties") or {}).get("brandColor"):
            properties["iconBrandColor"] = body["properties"]["brandColor"]
        markers = {str(k): str(v) for k, v in (body.get("tags") or {}).items()}
        hashes = {file_name: digest for file_name, (_, digest) in files.items()}
        properties["openApiDefinition"] = rec.with_record(definition, rec.record_from(name, markers, hashes))
        properties["environment"] = {"name": self.placement.environment_id}
        if ICON_FILE in files:
            properties["iconUri"] = files[ICON_FILE][0]
        properties["scriptDefinitionUrl"] = files[SCRIPT_FILE][0] if SCRIPT_FILE in files else ""
        properties.pop("stackOwner", None)  # breaks create/update (PowerPlatformConnectors #614)
        _secret_into_parameter_sets(properties)
        return {"properties": properties}

    def _as_written(self, answer: dict[str, Any], wire: dict[str, Any]) -> dict[str, Any]:
        """The envelope of a write's answer; where the answer omits the stored definition, the one sent."""
        properties = dict(answer.get("properties") or {})
        if not isinstance(properties.get("swagger"), dict):
            properties["swagger"] = (wire.get("properties") or {}).get("openApiDefinition") or {}
        return self.envelope({**answer, "properties": properties})


def _is_owner(permission: dict[str, Any]) -> bool:
    return str((permission.get("properties") or {}).get("roleName", "")).lower() == OWNER.lower()


def _gone(name: str) -> GatewayError:
    return GatewayError(
        f"connector {name!r} does not exist in the environment (deleted meanwhile?)",
        status=404,
        arm_code="ApiNotFound",
        hint="plan again",
    )


def _secret_into_parameter_sets(properties: dict[str, Any]) -> None:
    """With connectionParameterSets, the OAuth clientSecret apply filled in (from its reference) under
    connectionParameters.token goes into every set's token parameter, as paconn does, and connectionParameters
    goes (the service takes one or the other)."""
    sets = properties.get("connectionParameterSets")
    if not isinstance(sets, dict):
        return
    parameters = properties.pop("connectionParameters", None) or {}
    token = parameters.get("token") if isinstance(parameters, dict) else None
    secret = ((token or {}).get("oAuthSettings") or {}).get("clientSecret") if isinstance(token, dict) else None
    if not secret:
        return
    for entry in sets.get("values") or []:
        set_token = ((entry or {}).get("parameters") or {}).get("token") if isinstance(entry, dict) else None
        if isinstance(set_token, dict) and isinstance(set_token.get("oAuthSettings"), dict):
            set_token["oAuthSettings"]["clientSecret"] = secret
