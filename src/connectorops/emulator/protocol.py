"""The emulator's view of one ARM call: request, response, ARM errors and shared helpers.

Routes turn an `ArmRequest` into an `ArmResponse` or raise `ArmError`; the server turns both
into HTTP. Errors always use ARM's envelope {"error": {"code", "message"}}.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

API_VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}(-[A-Za-z0-9]+)?$")


class ArmError(Exception):
    """An ARM error answer: HTTP status, ARM code and message."""

    def __init__(self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self) -> ArmResponse:
        return ArmResponse(self.status, {"error": {"code": self.code, "message": self.message}}, dict(self.headers))


@dataclass
class ArmResponse:
    status: int
    body: Any = None  # JSON-serialisable, or bytes sent as they are (blobs); None -> empty body
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode("utf-8")


@dataclass(frozen=True)
class ArmRequest:
    method: str
    path: str  # percent-decoded, no query string
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    base_url: str  # https://host:port, for nextLink and swagger URLs
    verb: str = ""  # the HTTP method as sent (HEAD arrives as method GET)

    def json_body(self) -> dict[str, Any]:
        if not self.body:
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid: the body is empty.")
        try:
            value = json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ArmError(
                400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: {error}."
            ) from None
        if not isinstance(value, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return value

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")


def require_dated_api_version(request: ArmRequest, supported: Sequence[str] = ()) -> str:
    """The api-version, well formed: missing -> MissingApiVersionParameter, malformed -> InvalidApiVersionParameter
    (both 400; `supported` is named in the message when given). Microsoft.Resources takes any dated version."""
    version = request.api_version
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not API_VERSION_FORMAT.match(version):
        listed = f" The supported versions are '{', '.join(supported)}'." if supported else ""
        raise ArmError(400, "InvalidApiVersionParameter", f"The api-version '{version}' is invalid.{listed}")
    return version


def require_api_version(request: ArmRequest, resource_type: str, supported: Iterable[str]) -> str:
    """A dated api-version the provider offers; well-formed but not offered -> NoRegisteredProviderFound (400)."""
    versions = sorted(supported)
    version = require_dated_api_version(request, versions)
    if version not in versions:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location 'westeurope' and API version '{version}' "
            f"for type '{resource_type}'. The supported api-versions are '{', '.join(versions)}'.",
        )
    return version


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_etag() -> str:
    return f'"{uuid.uuid4()}"'


def check_preconditions(request: ArmRequest, current_etag: str | None, exists: bool) -> None:
    """If-Match / If-None-Match as ARM applies them to a write: 412 PreconditionFailed on mismatch."""
    if_match = request.headers.get("if-match")
    if if_match is not None and (not exists or (if_match.strip() != "*" and if_match.strip() != (current_etag or ""))):
        raise ArmError(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met (If-Match).",
        )
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and exists and (if_none_match.strip() in ("*", current_etag)):
        raise ArmError(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met (If-None-Match).",
        )


def page_size(request: ArmRequest, default: int) -> int:
    top = request.query.get("$top")
    if top is None:
        return default
    try:
        value = int(top)
    except ValueError:
        raise ArmError(400, "InvalidQueryParameterValue", f"The value '{top}' of $top is not a number.") from None
    if value < 1:
        raise ArmError(400, "InvalidQueryParameterValue", "$top must be a positive number.")
    return min(value, default)


def skip_token(request: ArmRequest) -> str | None:
    return request.query.get("$skiptoken") or request.query.get("skiptoken")


def page_body(request: ArmRequest, items: list[dict[str, Any]], last_key: str | None) -> dict[str, Any]:
    """{"value": [...]} plus an absolute nextLink when more may follow (ARM paging)."""
    body: dict[str, Any] = {"value": items}
    if last_key is not None:
        query = {k: v for k, v in request.query.items() if k not in ("$skiptoken", "skiptoken")}
        query["$skiptoken"] = last_key
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query)}"
    return body


def list_page(request: ArmRequest, rows: list[Any], limit: int, render: Any) -> dict[str, Any]:
    """Turn `limit + 1` fetched rows into one page: the extra row only says another page exists."""
    more = len(rows) > limit
    rows = rows[:limit]
    return page_body(request, [render(r) for r in rows], rows[-1].key if more and rows else None)
