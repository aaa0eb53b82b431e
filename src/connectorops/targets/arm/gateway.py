"""ARM operations the engine needs, over the Azure SDK's ARM pipeline.

The engine reaches it only through targets/arm (ResourceGroupTarget); the lease, import and
Pulumi code call it directly. All dicts are ARM JSON as sent/received. 404 -> None (or False for
deletes). Other errors -> connectorops.errors.GatewayError with arm_code and status.
Nothing here knows whether the target is Azure or the emulator.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.rest import HttpRequest, HttpResponse

from connectorops.errors import AuthenticationError, GatewayError
from connectorops.targets.arm import builders
from connectorops.targets.arm.readback import custom_api_as_sent
from connectorops.targets.transport.arm_errors import gateway_error
from connectorops.targets.transport.credentials import TOKEN_ENV_VAR
from connectorops.targets.transport.pipeline import (
    ATTEMPTS_OPTION,
    Attempts,
    CounterSink,
    RetrySettings,
    build_arm_client,
    build_download_client,
)
from connectorops.targets.transport.retry import is_operation_in_progress, is_principal_not_found, with_retries

CUSTOM_APIS_API_VERSION = "2016-06-01"
CONNECTIONS_API_VERSION = "2016-06-01"
ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01"
WORKFLOWS_API_VERSION = "2019-05-01"

CUSTOM_APIS = "Microsoft.Web/customApis"
CONNECTIONS = "Microsoft.Web/connections"
ROLE_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"
WORKFLOWS = "Microsoft.Logic/workflows"
# Definitions must be < 1 MB; anything far larger at a swagger URL is not a definition.
MAX_SWAGGER_BYTES = 4 * 1024 * 1024
# A runaway nextLink chain (a server bug) must not loop forever.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class ArmTarget:
    """Where and as whom: one subscription + resource group behind one ARM endpoint."""

    base_url: str  # e.g. https://management.azure.com or https://127.0.0.1:PORT
    subscription_id: str
    resource_group: str
    location: str
    credential: TokenCredential
    ca_bundle: str | None = None  # PEM file to trust (emulator / private CA); None = system store
    credential_scope: str = "https://management.azure.com/.default"


@dataclass
class RequestCounter:
    """Requests sent, per (HTTP verb, resource type), e.g. ("GET", "Microsoft.Web/customApis").

    `retried`: how many of them repeated an earlier one (azure-core's retries of one operation).
    """

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    retried: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_retries(self, n: int) -> None:
        if n > 0:
            with self._lock:
                self.retried += n

    def total(self, verb: str | None = None) -> int:
        return sum(n for (v, _), n in self.counts.items() if verb is None or v == verb)

    def writes(self) -> int:
        return sum(n for (v, _), n in self.counts.items() if v in ("PUT", "PATCH", "DELETE", "POST"))

    def snapshot(self) -> dict[str, int]:
        return {f"{v} {t}": n for (v, t), n in sorted(self.counts.items())}


class ArmGateway:
    """One instance per target. Thread-safe (apply uses bounded concurrency)."""

    target: ArmTarget
    requests: RequestCounter

    def __init__(self, target: ArmTarget, *, settings: RetrySettings | None = None) -> None:
        self.target = target
        self.settings = settings or RetrySettings()
        self.requests = RequestCounter()
        sink = CounterSink(self.requests.counts)
        self._base = urlsplit(target.base_url)
        if self._base.scheme != "https":
            raise GatewayError(
                f"ARM endpoint {target.base_url!r} is not https",
                hint="bearer tokens are only sent over TLS; use an https:// armEndpoint",
            )
        self._client = build_arm_client(
            target.base_url.rstrip("/"),
            target.credential_scope,
            target.credential,
            target.ca_bundle,
            sink,
            self.settings,
        )
        self._download_client = build_download_client(target.ca_bundle, sink, self.settings)

    def close(self) -> None:
        self._client.close()
        self._download_client.close()

    def __enter__(self) -> ArmGateway:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ids -------------------------------------------------------------------------------
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.target.subscription_id}/resourceGroups/{self.target.resource_group}"

    def _resource_id(self, resource_type: str, name: str) -> str:
        return f"{self.resource_group_id()}/providers/{resource_type}/{builders.segment(name)}"

    def custom_api_id(self, name: str) -> str:
        return self._resource_id(CUSTOM_APIS, name)

    def connection_id(self, name: str) -> str:
        return self._resource_id(CONNECTIONS, name)

    def workflow_id(self, name: str) -> str:
        return self._resource_id(WORKFLOWS, name)

    # transport ---------------------------------------------------------------------------
    def send_request(self, request: HttpRequest) -> HttpResponse:
        """Any ARM request through the same pipeline (auth, retries, counting), status left to the caller.

        For operations the gateway does not wrap (contract tests, diagnostics); the URL may be a
        path relative to the ARM endpoint.
        """
        if request.url.startswith("/"):
            request.url = self._client.format_url(request.url)
        self._check_same_endpoint(request.url, f"{request.method} {request.url}")
        try:
            return self._client.send_request(request)
        except AzureError as error:
            raise transport_error(f"{request.method} request", error) from None

    def _send(
        self, request: HttpRequest, action: str, *, ok: tuple[int, ...], attempts: Attempts | None = None
    ) -> HttpResponse | None:
        """Send through the ARM pipeline; None on 404; GatewayError on any other status not in `ok`.

        `attempts` counts how often the request went out (shared by the tries of one operation).
        """
        if request.url.startswith("/"):
            request.url = self._client.format_url(request.url)
        attempts = attempts or Attempts()
        before = attempts.count
        try:
            options: dict[str, Any] = {ATTEMPTS_OPTION: attempts}
            response = self._client.send_request(request, **options)
        except AzureError as error:
            raise transport_error(action, error) from None
        finally:
            self.requests.add_retries(attempts.count - before - 1)
        if response.status_code in ok:
            return response
        if response.status_code == 404:
            return None
        raise gateway_error(response, action)

    def _json(
        self, request: HttpRequest, action: str, *, ok: tuple[int, ...] = (200,), attempts: Attempts | None = None
    ) -> dict[str, Any] | None:
        response = self._send(request, action, ok=ok, attempts=attempts)
        if response is None:
            return None
        return json_object(response, action)

    def _write(self, call: Callable[[], dict[str, Any] | None], action: str) -> dict[str, Any]:
        """A write, retried (bounded) while ARM says another operation on the resource is in progress."""
        result = with_retries(call, self.settings, retry_on=is_operation_in_progress)
        if result is None:  # 404 on a PUT: the resource group (or scope) does not exist
            raise GatewayError(
                f"{action}: ARM answered 404",
                status=404,
                arm_code="ResourceGroupNotFound",
                hint=f"create resource group {self.target.resource_group!r} (or the scope) first",
            )
        return result

    def _put(
        self,
        resource_id: str,
        api_version: str,
        body: dict[str, Any],
        action: str,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
        as_sent: Callable[[dict[str, Any], dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Create or update one resource: 200 or 201, retried while another operation is in progress.

        A conditional write refused after it was sent more than once may have been refused only
        because an earlier attempt succeeded (its reply was lost): with `as_sent(body, live)`, the
        resource is read back and the write counts as done when it holds what we sent. A refused
        create is always read back: another run of ours (a controller killed mid-write, whose PUT
        still landed) may have created exactly this; nothing is overwritten either way.
        """
        attempts = Attempts()

        def call() -> dict[str, Any] | None:
            request = builders.put_resource(
                resource_id, api_version, body, if_match=if_match, if_none_match=if_none_match
            )
            return self._json(request, action, ok=(200, 201), attempts=attempts)

        try:
            return self._write(call, action)
        except GatewayError as error:
            conditional = if_match is not None or if_none_match is not None
            if not (conditional and as_sent is not None and _refused_by_condition(error, if_none_match)):
                raise
            if not attempts.retried and if_none_match is None:
                raise _changed_since_plan(action, error) from None
            live = self._json(builders.get_resource(resource_id, api_version), f"GET after {action}")
            if live is not None and as_sent(body, live):
                return live
            raise _changed_since_plan(action, error) from None

    def _list(
        self, collection_path: str, api_version: str, action: str, *, filter: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following nextLink; the bearer token only goes to our endpoint."""
        items: list[dict[str, Any]] = []
        request: HttpRequest | None = builders.list_collection(collection_path, api_version, filter=filter)
        for _ in range(MAX_PAGES):
            assert request is not None
            page = self._json(request, action)
            if page is None:
                return items
            value = page.get("value", [])
            if not isinstance(value, list):
                raise GatewayError(f"{action}: ARM answered a list without a `value` array", status=200)
            items.extend(v for v in value if isinstance(v, dict))
            next_link = page.get("nextLink")
            if not next_link:
                return items
            self._check_same_endpoint(str(next_link), action)
            request = builders.next_page(str(next_link))
        raise GatewayError(f"{action}: more than {MAX_PAGES} pages", hint="the endpoint keeps returning nextLink")

    def _check_same_endpoint(self, url: str, action: str) -> None:
        link = urlsplit(url)
        if origin(link.scheme, link.hostname, link.port) != origin(
            self._base.scheme, self._base.hostname, self._base.port
        ):
            raise GatewayError(
                f"{action}: the URL points to another host ({link.scheme}://{link.netloc})",
                hint="refusing to send the bearer token outside the ARM endpoint",
            )

    # Microsoft.Web/customApis ----------------------------------------------------------
    def list_custom_apis(self) -> list[dict[str, Any]]:
        path = f"{self.resource_group_id()}/providers/{CUSTOM_APIS}"
        return self._list(path, CUSTOM_APIS_API_VERSION, f"list {CUSTOM_APIS}")

    def get_custom_api(self, name: str) -> dict[str, Any] | None:
        request = builders.get_resource(self.custom_api_id(name), CUSTOM_APIS_API_VERSION)
        return self._json(request, f"GET {CUSTOM_APIS}/{name}")

    def put_custom_api(
        self, name: str, body: dict[str, Any], *, if_match: str | None = None, if_none_match: str | None = None
    ) -> dict[str, Any]:
        """Create or update. if_match: only if the etag is still this one; if_none_match="*": only create."""
        return self._put(
            self.custom_api_id(name),
            CUSTOM_APIS_API_VERSION,
            body,
            f"PUT {CUSTOM_APIS}/{name}",
            if_match=if_match,
            if_none_match=if_none_match,
            as_sent=custom_api_as_sent,
        )

    def patch_custom_api_tags(self, name: str, tags: dict[str, str]) -> dict[str, Any]:
        action = f"PATCH {CUSTOM_APIS}/{name}"

        def call() -> dict[str, Any] | None:
            return self._json(builders.patch_tags(self.custom_api_id(name), CUSTOM_APIS_API_VERSION, tags), action)

        result = with_retries(call, self.settings, retry_on=is_operation_in_progress)
        if result is None:
            raise GatewayError(
                f"{action}: ARM answered 404",
                status=404,
                arm_code="ResourceNotFound",
                hint="the custom connector was deleted meanwhile; plan again",
            )
        return result

    def delete_custom_api(self, name: str) -> bool:
        return self._delete(self.custom_api_id(name), CUSTOM_APIS_API_VERSION, f"DELETE {CUSTOM_APIS}/{name}")

    def _delete(self, resource_id: str, api_version: str, action: str) -> bool:
        def call() -> bool:
            response = self._send(builders.delete_resource(resource_id, api_version), action, ok=(200, 202, 204))
            return response is not None and response.status_code in (200, 202)

        return with_retries(call, self.settings, retry_on=is_operation_in_progress)

    def download_swagger(self, custom_api: dict[str, Any]) -> dict[str, Any] | None:
        """GET properties.apiDefinitions.originalSwaggerUrl (no bearer token is sent there)."""
        definitions = (custom_api.get("properties") or {}).get("apiDefinitions") or {}
        url = definitions.get("originalSwaggerUrl") if isinstance(definitions, dict) else None
        if not url:
            return None
        name = custom_api.get("name", "?")
        action = f"download swagger of {CUSTOM_APIS}/{name}"
        if urlsplit(str(url)).scheme != "https":
            raise GatewayError(f"{action}: originalSwaggerUrl is not https", hint="only https URLs are fetched")
        try:
            response = self._download_client.send_request(builders.download(str(url)), stream=True)
        except AzureError as error:
            raise transport_error(action, error) from None
        try:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                response.read()  # streamed: the error body must be read before it can be parsed
                raise gateway_error(response, action)
            data = read_capped(response.iter_bytes(), MAX_SWAGGER_BYTES, action)
        finally:
            response.close()
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise GatewayError(f"{action}: the swagger is not JSON", hint="re-deploy the connector") from None
        if not isinstance(document, dict):
            raise GatewayError(f"{action}: the swagger is not a JSON object", hint="re-deploy the connector")
        return document

    # Microsoft.Web/connections -----------------------------------------------------------
    def list_connections(self) -> list[dict[str, Any]]:
        path = f"{self.resource_group_id()}/providers/{CONNECTIONS}"
        return self._list(path, CONNECTIONS_API_VERSION, f"list {CONNECTIONS}")

    def get_connection(self, name: str) -> dict[str, Any] | None:
        request = builders.get_resource(self.connection_id(name), CONNECTIONS_API_VERSION)
        return self._json(request, f"GET {CONNECTIONS}/{name}")

    def put_connection(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._put(self.connection_id(name), CONNECTIONS_API_VERSION, body, f"PUT {CONNECTIONS}/{name}")

    def delete_connection(self, name: str) -> bool:
        return self._delete(self.connection_id(name), CONNECTIONS_API_VERSION, f"DELETE {CONNECTIONS}/{name}")

    # Microsoft.Authorization/roleAssignments --------------------------------------------
    def list_role_assignments(self, scope: str | None = None) -> list[dict[str, Any]]:
        """At the scope (default: the resource group), above it and below it (ARM semantics)."""
        at = _scope(scope or self.resource_group_id())
        return self._list(
            f"{at}/providers/{ROLE_ASSIGNMENTS}", ROLE_ASSIGNMENTS_API_VERSION, f"list {ROLE_ASSIGNMENTS}"
        )

    def put_role_assignment(self, scope: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        assignment_id = f"{_scope(scope)}/providers/{ROLE_ASSIGNMENTS}/{builders.segment(name)}"
        action = f"PUT {ROLE_ASSIGNMENTS}/{name}"

        def retried() -> dict[str, Any]:
            return self._put(assignment_id, ROLE_ASSIGNMENTS_API_VERSION, body, action)

        # A principal created moments ago may not have replicated to ARM yet (PrincipalNotFound).
        return with_retries(retried, self.settings, retry_on=is_principal_not_found)

    def delete_role_assignment(self, assignment_id: str) -> bool:
        return self._delete(_scope(assignment_id), ROLE_ASSIGNMENTS_API_VERSION, f"DELETE {ROLE_ASSIGNMENTS}")

    # Microsoft.Logic/workflows (Consumption) ----------------------------------------------
    def list_workflows(self) -> list[dict[str, Any]]:
        path = f"{self.resource_group_id()}/providers/{WORKFLOWS}"
        return self._list(path, WORKFLOWS_API_VERSION, f"list {WORKFLOWS}")

    def put_workflow(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._put(self.workflow_id(name), WORKFLOWS_API_VERSION, body, f"PUT {WORKFLOWS}/{name}")


def _refused_by_condition(error: GatewayError, if_none_match: str | None) -> bool:
    """412, or for a create-only write the 409 some ARM providers answer instead."""
    if error.status == 412:
        return True
    return if_none_match is not None and error.status == 409 and not is_operation_in_progress(error)


def _changed_since_plan(action: str, error: GatewayError) -> GatewayError:
    return GatewayError(
        f"{action}: the resource was changed by someone else since the plan; plan again",
        status=error.status,
        arm_code=error.arm_code,
        hint="run `connectorops plan` to see the change, then apply the new plan",
    )


def origin(scheme: str, host: str | None, port: int | None) -> tuple[str, str, int]:
    """Scheme, host and port with the default port filled in (ARM nextLinks may spell out :443)."""
    return scheme.lower(), (host or "").lower(), port or (443 if scheme.lower() == "https" else 80)


def _scope(scope: str) -> str:
    return "/" + scope.strip("/")


def json_object(response: HttpResponse, action: str) -> dict[str, Any]:
    text = response.text()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise GatewayError(f"{action}: ARM answered {response.status_code} with a body that is not JSON") from None
    if not isinstance(value, dict):
        raise GatewayError(f"{action}: ARM answered {response.status_code} with JSON that is not an object")
    return value


def read_capped(chunks: Iterator[bytes], limit: int, action: str) -> bytes:
    data = bytearray()
    for chunk in chunks:
        data.extend(chunk)
        if len(data) > limit:
            raise GatewayError(
                f"{action}: larger than {limit // (1024 * 1024)} MiB",
                hint="custom connector definitions must be under 1 MB",
            )
    return bytes(data)


def transport_error(action: str, error: AzureError) -> GatewayError:
    """Connection-level failures after the transport's retries; the message names no secret."""
    if isinstance(error, ClientAuthenticationError):
        # azure-identity's message lists every credential it tried over many lines; the first says it all.
        lines = (error.message or "").strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        return AuthenticationError(
            f"{action}: no Azure credential could get a token ({reason})",
            hint="sign in (`az login`, or AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token or secret in CI), "
            f"or set `credential: token-env` in connectorops.yaml and export {TOKEN_ENV_VAR}",
        )
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        kind = "could not reach ARM" if isinstance(error, ServiceRequestError) else "the connection to ARM failed"
        hint = "check network access to the ARM endpoint and its certificate (caBundle)"
    else:
        kind, hint = "request failed", None
    return GatewayError(f"{action}: {kind} ({type(error).__name__}: {error.message})", hint=hint)
