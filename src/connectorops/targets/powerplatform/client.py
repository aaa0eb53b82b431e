"""The Power Apps and Power Automate APIs of one environment, over azure-core's pipeline.

The same pipeline as the ARM gateway (azure/pipeline.py): transport retries honouring Retry-After,
bearer auth, the CA bundle, request counting. Paths and api-versions follow paconn and the wire contract
(/work/wt/PP_CONTRACT.md, docs/powerplatform.md). 404 -> None (False for deletes); other errors ->
GatewayError naming the call. The bearer token only goes to the two configured origins; SAS blob URLs
(uploads, script downloads) get no token unless they are on the Power Apps origin (the emulator serves its
blobs there and wants its token, as the contract says).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest, HttpResponse

from connectorops.errors import GatewayError
from connectorops.targets.arm.gateway import (
    MAX_PAGES,
    RequestCounter,
    json_object,
    origin,
    read_capped,
    transport_error,
)
from connectorops.targets.transport.arm_errors import gateway_error
from connectorops.targets.transport.pipeline import (
    CounterSink,
    RetrySettings,
    build_bearer_client,
    build_download_client,
)

API_VERSION = "2016-11-01"
PERMISSIONS_API_VERSION = "2017-06-01"
POWERAPPS = "/providers/Microsoft.PowerApps"
PROCESS_SIMPLE = "/providers/Microsoft.ProcessSimple"
SERVICE = "Power Apps"
TOKEN_SCOPE = "https://service.powerapps.com/.default"  # noqa: S105 - an OAuth scope, not a secret
# The Power Automate management API has its own audience (Microsoft's docs for api.flow.microsoft.com).
FLOW_TOKEN_SCOPE = "https://service.flow.microsoft.com/.default"  # noqa: S105 - an OAuth scope, not a secret
# paconn sends it on every call; the service may log it.
ORIGIN_HEADER = {"x-ms-origin": "connectorops", "Accept": "application/json"}
MAX_SCRIPT_BYTES = 4 * 1024 * 1024  # what we read back; the service's own limit is 1 MB
MAX_DEFINITION_BYTES = 4 * 1024 * 1024

HINTS = {
    401: "the credential was not accepted: sign in again (DefaultAzureCredential, scope "
    f"{TOKEN_SCOPE}), refresh $CONNECTOROPS_POWERPLATFORM_TOKEN, or restart the emulator",
    403: "the identity lacks permission in this environment (it needs the Environment Maker role, or to be an "
    "owner/co-owner of the connector)",
    404: "the environment or the connector does not exist (check environmentId in connectorops.yaml)",
}


@dataclass(frozen=True)
class PowerPlatformLocation:
    """Where and as whom: one environment behind the two API origins."""

    environment_id: str
    api_endpoint: str  # origin, e.g. https://api.powerapps.com (paconn's powerAppsUrl)
    flow_endpoint: str  # origin, e.g. https://api.flow.microsoft.com
    credential: TokenCredential
    ca_bundle: str | None = None
    credential_scope: str = TOKEN_SCOPE
    flow_credential_scope: str = FLOW_TOKEN_SCOPE


def segment(name: str) -> str:
    return quote(name, safe="")


class PowerPlatformClient:
    """One instance per environment; thread-safe like the ARM gateway (apply uses bounded concurrency)."""

    def __init__(self, location: PowerPlatformLocation, *, settings: RetrySettings | None = None) -> None:
        self.location = location
        self.settings = settings or RetrySettings()
        self.requests = RequestCounter()
        sink = CounterSink(self.requests.counts)
        for endpoint in (location.api_endpoint, location.flow_endpoint):
            if urlsplit(endpoint).scheme != "https":
                raise GatewayError(
                    f"Power Platform endpoint {endpoint!r} is not https",
                    hint="bearer tokens are only sent over TLS; use https:// apiEndpoint and flowEndpoint",
                )
        self._api = build_bearer_client(
            location.api_endpoint.rstrip("/"), location.credential_scope, location.credential,
            location.ca_bundle, sink, self.settings,
        )  # fmt: skip
        self._flow = build_bearer_client(
            location.flow_endpoint.rstrip("/"), location.flow_credential_scope, location.credential,
            location.ca_bundle, sink, self.settings,
        )  # fmt: skip
        self._anonymous = build_download_client(location.ca_bundle, sink, self.settings, "Microsoft.PowerApps/blobs")

    def close(self) -> None:
        for client in (self._api, self._flow, self._anonymous):
            client.close()

    def __enter__(self) -> PowerPlatformClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def environment(self) -> str:
        return self.location.environment_id

    def _filter(self) -> str:
        return f"environment eq '{self.location.environment_id}'"

    # transport -------------------------------------------------------------------------------
    def _client_for(self, url: str) -> PipelineClient[HttpRequest, HttpResponse] | None:
        """The authenticated pipeline of the origin `url` is on; None for any other host (no token goes there)."""
        target = urlsplit(url)
        candidates = [(self.location.api_endpoint, self._api), (self.location.flow_endpoint, self._flow)]
        if target.path.startswith(PROCESS_SIMPLE):  # the flows API's own token, even where both share an origin
            candidates.reverse()
        for endpoint, client in candidates:
            base = urlsplit(endpoint)
            if origin(target.scheme, target.hostname, target.port) == origin(base.scheme, base.hostname, base.port):
                return client
        return None

    def send(
        self, request: HttpRequest, action: str, *, ok: tuple[int, ...] = (200,), missing_ok: bool = True
    ) -> HttpResponse | None:
        """Through the authenticated pipeline of the origin the URL names; None on 404 when `missing_ok`."""
        client = self._client_for(request.url)
        if client is None:
            raise GatewayError(
                f"{action}: the URL points to another host ({urlsplit(request.url).netloc})",
                hint="refusing to send the bearer token outside the Power Platform endpoints",
            )
        try:
            response: HttpResponse = client.send_request(request)
        except AzureError as error:
            raise transport_error(action, error) from None
        if response.status_code in ok:
            return response
        if response.status_code == 404 and missing_ok:
            return None
        raise gateway_error(response, action, service=SERVICE, hints=HINTS)

    def _json(
        self, request: HttpRequest, action: str, *, ok: tuple[int, ...] = (200,), missing_ok: bool = True
    ) -> dict[str, Any] | None:
        response = self.send(request, action, ok=ok, missing_ok=missing_ok)
        return None if response is None else json_object(response, action)

    def _api_url(self, path: str) -> str:
        return f"{self.location.api_endpoint.rstrip('/')}{POWERAPPS}/{path}"

    def _request(
        self,
        method: str,
        url: str,
        *,
        api_version: str = API_VERSION,
        body: Any = None,
        extra: dict[str, str] | None = None,
    ) -> HttpRequest:
        params = {"api-version": api_version, "$filter": self._filter(), **(extra or {})}
        return HttpRequest(method, url, params=params, json=body, headers=dict(ORIGIN_HEADER))

    def list_pages(self, first: HttpRequest, action: str) -> list[dict[str, Any]]:
        """Every item of a collection, following nextLink (on the same origin only). A 404 is an error with the
        service's code (EnvironmentNotFound: connect turns it into a connectorops.yaml error)."""
        items: list[dict[str, Any]] = []
        request = first
        for _ in range(MAX_PAGES):
            page = self._json(request, action, missing_ok=False) or {}
            value = page.get("value", [])
            if not isinstance(value, list):
                raise GatewayError(f"{action}: {SERVICE} answered a list without a `value` array", status=200)
            items.extend(v for v in value if isinstance(v, dict))
            next_link = page.get("nextLink")
            if not next_link:
                return items
            request = HttpRequest("GET", str(next_link), headers=dict(ORIGIN_HEADER))
        raise GatewayError(f"{action}: more than {MAX_PAGES} pages", hint="the endpoint keeps returning nextLink")

    # apis (custom connectors) ---------------------------------------------------------------
    def list_apis(self, *, expand: str | None = "permissions,properties.swagger") -> list[dict[str, Any]]:
        extra = {"$expand": expand} if expand else None
        return self.list_pages(self._request("GET", self._api_url("apis"), extra=extra), "list Power Apps apis")

    def get_api(self, api_name: str, *, expand: str | None = None) -> dict[str, Any] | None:
        extra = {"$expand": expand} if expand else None
        request = self._request("GET", self._api_url(f"apis/{segment(api_name)}"), extra=extra)
        return self._json(request, f"GET apis/{api_name}")

    def create_api(self, body: dict[str, Any]) -> dict[str, Any]:
        request = self._request("POST", self._api_url("apis"), body=body)
        return self._json(request, "POST apis", ok=(200, 201), missing_ok=False) or {}

    def update_api(self, api_name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        request = self._request("PATCH", self._api_url(f"apis/{segment(api_name)}"), body=body)
        return self._json(request, f"PATCH apis/{api_name}", ok=(200, 201))

    def delete_api(self, api_name: str) -> bool:
        request = self._request("DELETE", self._api_url(f"apis/{segment(api_name)}"))
        return self.send(request, f"DELETE apis/{api_name}", ok=(200, 202, 204)) is not None

    def validate_swagger(self, object_id: str, swagger: dict[str, Any]) -> dict[str, Any]:
        url = self._api_url(f"objectIds/{segment(object_id)}/validateApiSwagger")
        request = HttpRequest(
            "POST", url, params={"api-version": API_VERSION}, json=swagger, headers=dict(ORIGIN_HEADER)
        )
        return self._json(request, "POST validateApiSwagger") or {}

    # permissions (sharing) ------------------------------------------------------------------
    def list_permissions(self, api_name: str) -> list[dict[str, Any]]:
        url = self._api_url(f"apis/{segment(api_name)}/permissions")
        request = self._request("GET", url, api_version=PERMISSIONS_API_VERSION)
        page = self._json(request, f"GET apis/{api_name}/permissions")
        value = (page or {}).get("value")
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def modify_permissions(
        self, api_name: str, *, put: Sequence[dict[str, Any]] = (), delete: Sequence[dict[str, Any]] = ()
    ) -> dict[str, Any]:
        url = self._api_url(f"apis/{segment(api_name)}/modifyPermissions")
        body = {"put": list(put), "delete": list(delete)}
        request = self._request("POST", url, api_version=PERMISSIONS_API_VERSION, body=body)
        action = f"POST apis/{api_name}/modifyPermissions"
        result = self._json(request, action, ok=(200, 201, 202, 204))
        if result is None:
            raise GatewayError(
                f"{action}: {SERVICE} answered 404", status=404, arm_code="ApiNotFound",
                hint="the connector was deleted meanwhile; plan again",
            )  # fmt: skip
        return result

    # connections ----------------------------------------------------------------------------
    def list_connections(self) -> list[dict[str, Any]]:
        """Every connection of the environment (env-wide path: unverified against the live service)."""
        return self.list_pages(self._request("GET", self._api_url("connections")), "list Power Apps connections")

    def list_api_connections(self, api_name: str) -> list[dict[str, Any]]:
        request = self._request("GET", self._api_url(f"apis/{segment(api_name)}/connections"))
        try:
            return self.list_pages(request, f"list connections of apis/{api_name}")
        except GatewayError as error:
            if error.status == 404 and error.arm_code != "EnvironmentNotFound":
                return []  # the api itself is gone: it has no connections
            raise

    def put_api_connection(self, api_name: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """As a maker creating a connection (tests, demo)."""
        url = self._api_url(f"apis/{segment(api_name)}/connections/{segment(name)}")
        result = self._json(self._request("PUT", url, body=body), f"PUT connections/{name}", ok=(200, 201))
        if result is None:
            raise GatewayError(f"PUT connections/{name}: {SERVICE} answered 404", status=404)
        return result

    # flows ----------------------------------------------------------------------------------
    def _flows_url(self, suffix: str = "") -> str:
        env = segment(self.location.environment_id)
        return f"{self.location.flow_endpoint.rstrip('/')}{PROCESS_SIMPLE}/environments/{env}/flows{suffix}"

    def list_flows(self) -> list[dict[str, Any]]:
        request = HttpRequest(
            "GET", self._flows_url(), params={"api-version": API_VERSION}, headers=dict(ORIGIN_HEADER)
        )
        return self.list_pages(request, "list Power Automate flows")

    def put_flow(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """As a maker saving a flow (tests, demo)."""
        request = HttpRequest(
            "PUT", self._flows_url(f"/{segment(name)}"), params={"api-version": API_VERSION}, json=body,
            headers=dict(ORIGIN_HEADER),
        )  # fmt: skip
        result = self._json(request, f"PUT flows/{name}", ok=(200, 201))
        if result is None:
            raise GatewayError(f"PUT flows/{name}: Power Automate answered 404", status=404)
        return result

    # uploads (icon, script.csx) ---------------------------------------------------------------
    def generate_resource_storage(self, object_id: str) -> str:
        """A blob container SAS URL for the icon and script uploads."""
        url = self._api_url(f"objectIds/{segment(object_id)}/generateResourceStorage")
        body = {"environment": {"name": self.location.environment_id}}
        request = HttpRequest("POST", url, params={"api-version": API_VERSION}, json=body, headers=dict(ORIGIN_HEADER))
        result = self._json(request, "POST generateResourceStorage") or {}
        sas = result.get("sharedAccessSignature")
        if not isinstance(sas, str) or urlsplit(sas).scheme != "https":
            raise GatewayError("POST generateResourceStorage: no https sharedAccessSignature in the answer")
        return sas

    def upload_blob(self, sas_url: str, file_name: str, data: bytes, content_type: str) -> str:
        """PUT `data` as <container>/<file_name> (the SAS authorizes; no bearer token); the blob's URL with the
        SAS, which is what paconn sends as iconUri / scriptDefinitionUrl (the service reads the blob through it)."""
        parts = urlsplit(sas_url)
        path = f"{parts.path.rstrip('/')}/{segment(file_name)}"
        url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        request = HttpRequest(
            "PUT", url, content=data, headers={"x-ms-blob-type": "BlockBlob", "Content-Type": content_type}
        )
        action = f"upload {file_name}"
        try:
            response: HttpResponse = self._anonymous.send_request(request)
        except AzureError as error:
            raise transport_error(action, error) from None
        if response.status_code not in (200, 201):
            raise gateway_error(response, action, service="the blob store")
        return url

    def download(self, url: str, action: str, limit: int = MAX_SCRIPT_BYTES) -> bytes | None:
        """The bytes at a blob URL the service returned (scriptDefinitionUrl, originalSwaggerUrl); None on 404."""
        if urlsplit(url).scheme != "https":
            raise GatewayError(f"{action}: {url!r} is not https", hint="only https URLs are fetched")
        request = HttpRequest("GET", url, headers={"Accept": "*/*"})
        client = self._client_for(url) or self._anonymous  # our token only to our own origins
        try:
            response: HttpResponse = client.send_request(request, stream=True)
        except AzureError as error:
            raise transport_error(action, error) from None
        try:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                response.read()
                raise gateway_error(response, action, service=SERVICE, hints=HINTS)
            return read_capped(response.iter_bytes(), limit, action)
        finally:
            response.close()

    def download_json(self, url: str, action: str) -> dict[str, Any] | None:
        data = self.download(url, action, MAX_DEFINITION_BYTES)
        if data is None:
            return None
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise GatewayError(f"{action}: not JSON", hint="re-deploy the connector") from None
        return document if isinstance(document, dict) else None


def token_object_id(credential: TokenCredential, scope: str) -> str:
    """The signed-in identity's object id (the JWT's `oid` claim, read without verifying: it only names the
    objectIds/{oid}/... path the service checks itself); a nil GUID for tokens that are not JWTs (emulator)."""
    import base64

    token = credential.get_token(scope).token
    parts = token.split(".")
    if len(parts) == 3:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        try:
            claims = json.loads(base64.urlsafe_b64decode(padded))
        except (ValueError, UnicodeDecodeError):
            claims = {}
        oid = claims.get("oid") if isinstance(claims, dict) else None
        if isinstance(oid, str) and oid:
            return oid
    return "00000000-0000-0000-0000-000000000000"
