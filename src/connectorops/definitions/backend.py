"""The backend service URL (connector.yaml `backend.serviceUrl`, per environment) -> host/basePath/schemes.

ARM and Power Platform call the API at scheme://host/basePath, so the override replaces all three.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from connectorops.errors import DefinitionError


def apply_service_url(swagger: dict[str, Any], service_url: str, *, file: str, field: str) -> dict[str, Any]:
    """A copy of `swagger` whose host, basePath and schemes point at `service_url`."""
    parts = urlsplit(service_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DefinitionError(f"backend serviceUrl {service_url!r} is not an http(s) URL", file=file, field=field)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise DefinitionError(
            "backend serviceUrl must not contain credentials, a query or a fragment",
            file=file,
            field=field,
            hint="put only scheme://host[:port]/basePath here; credentials belong in auth",
        )
    host = parts.netloc
    base_path = parts.path.rstrip("/") or "/"
    result = dict(swagger)
    result["host"] = host
    result["basePath"] = base_path
    result["schemes"] = [parts.scheme]
    return result
