"""What every route handler gets: the store, paging size, default location and swagger URL signing,
plus the small checks and ARM errors the handlers share."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from connectorops.emulator.paths import ArmPath
from connectorops.emulator.protocol import ArmError
from connectorops.emulator.store import EmulatorStore

SWAGGER_ROUTE = "/emulator/apiDefinitions"


@dataclass(frozen=True)
class RouteContext:
    store: EmulatorStore
    page_size: int
    default_location: str
    signing_key: str

    def sign(self, key: str, kind: str) -> str:
        return hmac.new(self.signing_key.encode(), f"{key.lower()}|{kind}".encode(), hashlib.sha256).hexdigest()

    def swagger_url(self, base_url: str, key: str, kind: str) -> str:
        """An unguessable URL serving a customApi's stored swagger without a bearer token (like a SAS URL)."""
        query = urlencode({"id": key.lower(), "sig": self.sign(key, kind)})
        return f"{base_url}{SWAGGER_ROUTE}/{kind}.json?{query}"


def require_resource_group(path: ArmPath) -> str:
    if path.resource_group is None:
        raise ArmError(404, "NotFound", f"'{path.namespace}/{path.type_name}' lives in a resource group.")
    return path.resource_group


def method_not_allowed(method: str, what: str) -> ArmError:
    return ArmError(405, "MethodNotAllowed", f"The method '{method}' is not supported on {what}.")


def not_found(resource_type: str, name: str, resource_group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def check_tags(body: dict[str, Any]) -> dict[str, str]:
    tags = body.get("tags")
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ArmError(400, "InvalidRequestContent", "tags must be an object of string values.")
    if len(tags) > 50:
        raise ArmError(400, "InvalidTagCount", "A resource may have at most 50 tags.")
    return dict(tags)


def object_field(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ArmError(400, "InvalidRequestContent", f"'{name}' must be a JSON object.")
    return value
