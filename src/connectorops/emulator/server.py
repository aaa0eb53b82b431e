"""The embedded ARM emulator: an HTTPS server on loopback answering like Azure Resource Manager.

Order per request: swagger downloads (signed URL, no bearer) | bearer token check (401) ->
request counting (GET /_emulator/requests reads the counts) -> injected faults -> throttling
(429 + Retry-After) -> the resource type's route. HEAD answers 204/404 as ARM's existence
checks do; every error, including unknown HTTP methods, is ARM's JSON envelope. An injected lost
reply runs the route and then drops the connection.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import secrets
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from connectorops.emulator import tls
from connectorops.emulator.faults import FaultConfig, FaultInjector
from connectorops.emulator.paths import request_type, subscription_of
from connectorops.emulator.protocol import ArmError, ArmRequest, ArmResponse
from connectorops.emulator.regions import normalized_location
from connectorops.emulator.routes import powerplatform, route
from connectorops.emulator.routes.context import SWAGGER_ROUTE, RouteContext, method_not_allowed
from connectorops.emulator.routes.custom_apis import swagger_for
from connectorops.emulator.routes.powerplatform.common import DEFAULT_PAGE_SIZE as DEFAULT_PP_PAGE_SIZE
from connectorops.emulator.routes.powerplatform.environments import default_environment, ensure_environment
from connectorops.emulator.routes.powerplatform.storage import signed_blob_request
from connectorops.emulator.routes.resource_groups import ensure_group
from connectorops.emulator.store import EmulatorStore
from connectorops.emulator.throttle import Throttle, ThrottleConfig, retry_after_header
from connectorops.errors import ConnectoropsError

CA_FILE_NAME = "emulator-ca.pem"
MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_LOCATION = "westeurope"
SWAGGER_PATHS = (f"{SWAGGER_ROUTE}/original.json", f"{SWAGGER_ROUTE}/modified.json")
REQUESTS_PATH = "/_emulator/requests"
ALL_METHODS = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE")


@dataclass(frozen=True)
class EmulatorInfo:
    """How to reach a running emulator (also the first stdout line of `emulator serve`)."""

    base_url: str
    token: str
    ca_path: str
    subscription_id: str
    # The Power Platform surface: origins (no path) clients append /providers/Microsoft.PowerApps/... to,
    # and an environment that exists. The same server and token as the ARM surface.
    powerapps_url: str = ""
    flow_url: str = ""
    environment_id: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "base_url": self.base_url,
            "token": self.token,
            "ca_path": self.ca_path,
            "subscription_id": self.subscription_id,
            "powerapps_url": self.powerapps_url,
            "flow_url": self.flow_url,
            "environment_id": self.environment_id,
        }


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConnectoropsError(
            f"the emulator listens on loopback only, not on {host!r}",
            field="--host",
            hint="use 127.0.0.1, ::1 or localhost",
        )


class EmulatorServer:
    """An ARM emulator on https://127.0.0.1:<port>. State in `db_path` (None: in memory)."""

    def __init__(
        self,
        db_path: Path | None = None,
        *,
        throttle: ThrottleConfig | None = None,
        faults: FaultConfig | None = None,
        page_size: int = 100,
        pp_page_size: int = DEFAULT_PP_PAGE_SIZE,
        host: str = "127.0.0.1",
        port: int = 0,
        location: str = DEFAULT_LOCATION,
    ) -> None:
        _check_loopback(host)
        if page_size < 1 or pp_page_size < 1:
            raise ValueError("page sizes must be positive")
        self.db_path = db_path
        self.host = host
        self.port = port
        self.store = EmulatorStore(db_path)
        self.throttle = Throttle(throttle) if throttle is not None else None
        self.faults = FaultInjector(faults) if faults is not None else None
        self._token = self.store.token()  # read once: stable for the state file
        self.requests = RequestCounter()
        self.context = RouteContext(
            store=self.store,
            page_size=page_size,
            default_location=location,
            signing_key=self.store.signing_key(),
            pp_page_size=pp_page_size,
        )
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._httpd: _HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self.info: EmulatorInfo | None = None

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> EmulatorInfo:
        if self.info is not None:
            return self.info
        # One transaction: two processes starting on one state file must agree on one CA.
        with self.store.transaction():
            certs_json = self.store.meta("certificates")
            if certs_json is None:
                certs = tls.generate_certificates()
                self.store.set_meta("certificates", json.dumps(certs.__dict__))
            else:
                certs = tls.CertificateSet(**json.loads(certs_json))
        if self.db_path is not None:
            # Named after the state file (emulator.db -> emulator-ca.pem): two emulators whose state
            # files share a folder must not overwrite each other's CA.
            state_dir, ca_name = self.db_path.parent, f"{self.db_path.stem}-ca.pem"
        else:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="connectorops-emulator-")
            state_dir, ca_name = Path(self._temp_dir.name), CA_FILE_NAME
        ca_path = state_dir / ca_name
        tls.write_if_changed(ca_path, certs.ca_cert_pem)
        context = tls.server_context(certs, state_dir)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            httpd = _HttpsServer((self.host, self.port), _Handler, context, self, family)
        except OSError as error:
            self.stop()  # release the store and temporary files of this failed start
            raise ConnectoropsError(
                f"the emulator cannot listen on {self.host}:{self.port}: {error.strerror or error}",
                field="--port",
                hint="choose another port, or 0 for any free port",
            ) from None
        self._httpd = httpd
        port = httpd.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        origin = f"https://{host}:{port}"
        self.info = EmulatorInfo(
            base_url=origin,
            token=self.store.token(),
            ca_path=str(ca_path),
            subscription_id=self.store.subscription_id(),
            powerapps_url=origin,
            flow_url=origin,
            environment_id=default_environment(self.context),
        )
        # A short poll interval: stop() waits for the serve loop to notice the shutdown request.
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="connectorops-emulator", daemon=True
        )
        self._thread.start()
        return self.info

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.info = None
        self.store.close()
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # directory -----------------------------------------------------------------------------------
    def add_principal(self, object_id: str, principal_type: str, display_name: str) -> None:
        """Make a user, group or service principal known, so role assignments to it succeed."""
        self.store.add_principal(object_id, principal_type, display_name)

    def ensure_resource_group(self, subscription_id: str, name: str, location: str) -> bool:
        """Create the resource group if it is missing, as `az group create` would; True when created."""
        return ensure_group(self.context, subscription_id, name, normalized_location(location))

    # request handling ---------------------------------------------------------------------------------
    def answer(self, request: ArmRequest) -> ArmResponse | None:
        """The response to send, or None to reset the connection (an injected fault)."""
        if request.method == "GET" and request.path in SWAGGER_PATHS:
            return self._swagger(request)
        if not signed_blob_request(self.context, request):  # a SAS URL needs no bearer token
            refused = self._unauthenticated(request)
            if refused is not None:
                return refused
        if request.path == REQUESTS_PATH:
            return self._request_counts(request)
        self.requests.count(request)
        if self.faults is not None:
            decision = self.faults.decide(request.method)
            if decision.delay:
                time.sleep(decision.delay)
            if decision.kind == "reset":
                return None
            if decision.kind == "lost_reply":
                self._serve(request, {})  # the write is committed; only the answer never arrives
                return None
            if decision.kind == "error_500":
                return ArmError(500, "InternalServerError", "Injected fault: internal server error.").to_response()
            if decision.kind == "error_503":
                return ArmError(503, "ServiceUnavailable", "Injected fault: service unavailable.").to_response()
        headers: dict[str, str] = {}
        if self.throttle is not None:
            subscription = subscription_of(request.path) or "tenant"
            operation, verdict = self.throttle.check(subscription, request.method)
            header = f"x-ms-ratelimit-remaining-subscription-{operation}"
            if not verdict.allowed:
                return ArmError(
                    429,
                    "TooManyRequests",
                    f"The request for subscription '{subscription}' could not be processed due to an excessive "
                    "volume of traffic. Please retry after the time in the Retry-After header.",
                    headers={"Retry-After": retry_after_header(verdict.retry_after), header: "0"},
                ).to_response()
            headers[header] = str(verdict.remaining)
        return self._serve(request, headers)

    def _unauthenticated(self, request: ArmRequest) -> ArmResponse | None:
        """401 unless the request carries the emulator's bearer token."""
        authorization = request.headers.get("authorization", "")
        if not authorization:
            return _unauthorized(
                "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip().encode(), self._token.encode()):
            return _unauthorized("InvalidAuthenticationToken", "The access token is invalid.")
        return None

    def ensure_powerplatform_environment(self, env: str, display_name: str | None = None) -> bool:
        """Create a Power Platform environment if it is missing; True when created."""
        return ensure_environment(self.context, env, display_name or env)

    def _serve(self, request: ArmRequest, headers: dict[str, str]) -> ArmResponse:
        try:
            response = route(self.context, request)
        except ArmError as error:
            response = error.to_response()
        response.headers.update(headers)
        return response

    def _request_counts(self, request: ArmRequest) -> ArmResponse:
        """GET: requests answered so far, per verb and resource type (for benchmarks); DELETE: reset."""
        if request.method == "GET":
            return ArmResponse(200, self.requests.snapshot())
        if request.method == "DELETE":
            self.requests.reset()
            return ArmResponse(204)
        return method_not_allowed(request.method, "the request counter", ("GET", "HEAD", "DELETE")).to_response()

    def _swagger(self, request: ArmRequest) -> ArmResponse:
        kind = "original" if request.path.endswith("/original.json") else "modified"
        key = request.query.get("id", "")
        signature = request.query.get("sig", "")
        if not key or not secrets.compare_digest(signature.encode(), self.context.sign(key, kind).encode()):
            return ArmError(403, "AuthorizationFailed", "The signature of this URL is not valid.").to_response()
        swagger = swagger_for(self.context, key)
        if swagger is None:
            return ArmError(404, "NotFound", "No swagger is stored for this custom API.").to_response()
        return ArmResponse(200, swagger)


class RequestCounter:
    """Authenticated requests per (verb, resource type); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, request: ArmRequest) -> None:
        with self._lock:
            kind = powerplatform.request_type(request.path) if powerplatform.handles(request.path) else None
            self._counts[(request.verb or request.method, kind or request_type(request.path))] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self._counts)
        by_verb: Counter[str] = Counter()
        by_type: Counter[str] = Counter()
        for (verb, rtype), n in counts.items():
            by_verb[verb] += n
            by_type[rtype] += n
        return {
            "total": sum(counts.values()),
            "byVerb": dict(sorted(by_verb.items())),
            "byType": dict(sorted(by_type.items())),
            "byVerbAndType": {f"{verb} {rtype}": n for (verb, rtype), n in sorted(counts.items())},
        }


def _unauthorized(code: str, message: str) -> ArmResponse:
    response = ArmError(401, code, message).to_response()
    response.headers["WWW-Authenticate"] = (
        'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", '
        f'error_description="{message}"'
    )
    return response


class _HttpsServer(ThreadingHTTPServer):
    """TLS per connection in the worker thread, so a slow handshake never blocks accept()."""

    daemon_threads = True
    request_queue_size = 128  # bursts of parallel applies must not be refused at connect()

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
        emulator: EmulatorServer,
        family: socket.AddressFamily,
    ) -> None:
        self.address_family = family
        self.tls_context = context
        self.emulator = emulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            # Headers and body go out in separate writes; without NODELAY each answer waits ~40 ms
            # for the client's delayed ACK (Nagle).
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self._open_lock:
            self._open.add(conn)
        try:
            super().finish_request(conn, client_address)
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass  # the client went away; nothing to answer
        finally:
            with self._open_lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def close_connections(self) -> None:
        """Drop idle keep-alive connections so their threads end with the server."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # never print tracebacks (they could echo request data)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "connectorops-emulator"
    sys_version = ""
    timeout = 30  # idle keep-alive connections end after this
    server: _HttpsServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: request lines could carry signed URLs

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(ArmError(413, "RequestEntityTooLarge", "The request body is too large.").to_response())
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        host = self.headers.get("Host") or f"{self.server.emulator.host}:{self.server.server_port}"
        request = ArmRequest(
            method="GET" if self.command == "HEAD" else self.command,
            verb=self.command,
            path=unquote(split.path),
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"https://{host}",
        )
        response = self.server.emulator.answer(request)
        if response is None:
            self._reset()
            return
        if self.command == "HEAD" and response.status == 200:
            response = ArmResponse(204, None, response.headers)  # ARM's existence check: 204 or 404
        self._send(response)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests and unknown methods get ARM's JSON envelope, not http.server's HTML page."""
        self.close_connection = True
        if code == 501:  # a method http.server has no do_X for
            error = method_not_allowed(self.command or "", "this endpoint", ALL_METHODS)
        else:
            error = ArmError(code, "BadRequest", message or "The request could not be read.")
        with contextlib.suppress(OSError):
            self._send(error.to_response())

    def _reset(self) -> None:
        """Abort the TCP connection (RST), as a dropped connection looks to the client."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _send(self, response: ArmResponse) -> None:
        payload = response.encode()
        self.send_response(response.status)
        if payload and "Content-Type" not in response.headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", secrets.token_hex(16))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_POST = _serve
    do_HEAD = _serve
    do_OPTIONS = _serve
    do_TRACE = _serve
