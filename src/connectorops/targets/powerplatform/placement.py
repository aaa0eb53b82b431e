"""A Power Platform environment without a connection: identity, ids, the body it stores, its roles.

The body is what paconn sends (apiProperties.json's properties + openApiDefinition, backendService,
description, displayName, environment), built from the same ResolvedDefinition as the ARM body. Three
parts are not service properties and never go to the service as they are:
- `tags`: the ownership markers, written into openApiDefinition's `x-connectorops` record at each write
  (record.py);
- `files`: icon.png and script.csx (base64 + sha256) the target uploads through generateResourceStorage
  when their hash differs from the record's, then sends as iconUri / scriptDefinitionUrl;
- the OAuth clientSecret, filled in only at apply time from its reference (engine/secrets.py), like ARM.
Pure: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectorops.engine.impact import FLOW
from connectorops.engine.target import Capabilities, TargetId
from connectorops.policy.roles import LOGIC_APP_CONTRIBUTOR, LOGIC_APP_OPERATOR, READER
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

POWERPLATFORM = "powerplatform"
DEFAULT_API_ENDPOINT = "https://api.powerapps.com"
FILES = "files"
ICON_FILE = "icon.png"
SCRIPT_FILE = "script.csx"
CONTENT_TYPES = {ICON_FILE: "image/png", SCRIPT_FILE: "text/plain"}
# displayName is taken on create only (paconn; the emulator ignores it on PATCH): a change is shown, not sent.
CREATE_ONLY = ("properties.displayName",)

POWERPLATFORM_CAPABILITIES = Capabilities(
    tags=False,
    policy_templates=True,
    custom_code=True,
    connection_parameter_sets=True,
    server_assigned_names=True,
    roles=frozenset({"use", "share", "edit", "read"}),
    consumers=FLOW,
    one_role_per_principal=True,
    adopts_under_another_name=True,  # the record's `name`, not the server's apiName, names a connector
)

CAN_VIEW, CAN_VIEW_WITH_SHARE, CAN_EDIT = "CanView", "CanViewWithShare", "CanEdit"
PERMISSION_ROLES = (CAN_VIEW, CAN_VIEW_WITH_SHARE, CAN_EDIT)
# sharing.yaml role (its name, or the Azure role id it defaults to) -> connector permission
ROLE_PERMISSIONS = {
    "use": CAN_VIEW,
    "read": CAN_VIEW,
    "share": CAN_VIEW_WITH_SHARE,
    "edit": CAN_EDIT,
    LOGIC_APP_OPERATOR: CAN_VIEW,
    READER: CAN_VIEW,
    LOGIC_APP_CONTRIBUTOR: CAN_EDIT,
}


def permission_role(role_definition: str) -> str:
    """CanView / CanViewWithShare / CanEdit for a sharing.yaml role; a permission name passes through."""
    value = role_definition.strip()
    for permission in PERMISSION_ROLES:
        if value.lower() == permission.lower():
            return permission
    guid = value.rstrip("/").rsplit("/", 1)[-1].lower()
    return ROLE_PERMISSIONS.get(value.lower()) or ROLE_PERMISSIONS.get(guid) or value


def file_entry(name: str, data: bytes) -> dict[str, str]:
    return {
        "base64": base64.b64encode(data).decode("ascii"),
        "contentType": CONTENT_TYPES.get(name, "application/octet-stream"),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@dataclass(frozen=True)
class PowerPlatformPlacement:
    """One environment: its identity and the ids of what lives in it (no credentials, no requests)."""

    environment_id: str
    api_endpoint: str = DEFAULT_API_ENDPOINT

    @property
    def identity(self) -> TargetId:
        return TargetId(
            kind=POWERPLATFORM,
            fields=(("environmentId", self.environment_id), ("apiEndpoint", self.api_endpoint.rstrip("/"))),
        )

    @property
    def capabilities(self) -> Capabilities:
        return POWERPLATFORM_CAPABILITIES

    def scope_id(self) -> str:
        return f"/providers/Microsoft.PowerApps/environments/{self.environment_id}"

    def connector_id(self, name: str) -> str:
        """Logical and stable before the server names the api (POST): the engine's id of connector `name`."""
        return f"{self.scope_id()}/customConnectors/{name}"

    def role_id(self, role_definition: str) -> str:
        return permission_role(role_definition)

    def render_connector(self, connector: ResolvedConnector, *, commit: str | None) -> DesiredCustomApi:
        """paconn's body of the definition this target carries (`fitted`: all of it), markers under `tags`."""
        spec, resolved = connector.spec, connector.fitted
        properties: dict[str, Any] = {
            "openApiDefinition": resolved.swagger,
            "backendService": {"serviceUrl": service_url(connector)},
            "capabilities": list(resolved.capabilities),
            "description": description(connector),
            "displayName": display_name(connector),
            "environment": {"name": self.environment_id},
            "iconBrandColor": brand_color(connector),
            "policyTemplateInstances": list(resolved.policy_template_instances),
        }
        # One or the other (the service refuses both); a set's OAuth secret is filled in at write time.
        if resolved.connection_parameter_sets is not None:
            properties["connectionParameterSets"] = without_secret_refs(resolved.connection_parameter_sets)
        else:
            properties["connectionParameters"] = without_secret_refs(resolved.connection_parameters) or {}
        files: dict[str, dict[str, str]] = {}
        code = resolved.custom_code
        if code is not None:
            if code.operations is not None:
                properties["scriptOperations"] = list(code.operations)
            if code.script is not None:
                files[SCRIPT_FILE] = file_entry(SCRIPT_FILE, code.script)
        if spec.icon and spec.icon.startswith("https://"):
            properties["iconUri"] = spec.icon
        elif resolved.icon_png:
            files[ICON_FILE] = file_entry(ICON_FILE, resolved.icon_png)
        body: dict[str, Any] = {"properties": properties, "tags": ownership_markers(connector)}
        if files:
            body[FILES] = files
        return sealed(connector, body, commit=commit, create_only=CREATE_ONLY)
