"""The controller's local HTTP endpoints: /healthz, /status (JSON) and /metrics (Prometheus text).

Read-only, GET only, served from a daemon thread; binds to loopback unless told otherwise.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectorops.errors import ConnectoropsError
from connectorops.gitops.status import ControllerStatus

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:8080' / ':8080' / '[::1]:8080' -> (host, port); ConnectoropsError naming --listen otherwise."""
    host, sep, port_text = listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConnectoropsError(
            f"invalid --listen {listen!r}",
            field="--listen",
            hint="use HOST:PORT, e.g. 127.0.0.1:9090 (0 = any free port)",
        )
    return host, int(port_text)


class _Handler(BaseHTTPRequestHandler):
    server: StatusServer
    server_version = "connectorops-controller"
    sys_version = ""

    def do_GET(self) -> None:
        status = self.server.status
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            healthy = status.healthy()
            self._send(200 if healthy else 503, "application/json", {"status": "ok" if healthy else "stalled"})
        elif path == "/status":
            self._send(200, "application/json", status.to_dict())
        elif path == "/metrics":
            self._send(200, PROMETHEUS_CONTENT_TYPE, status.metrics_text())
        else:
            self._send(404, "application/json", {"error": "not found", "paths": ["/healthz", "/status", "/metrics"]})

    def _send(self, code: int, content_type: str, body: Any) -> None:
        data = (body if isinstance(body, str) else json.dumps(body, indent=2, sort_keys=True) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes every few seconds would drown the JSON log


class StatusServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], status: ControllerStatus) -> None:
        self.status = status
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"

    def start(self) -> StatusServer:
        self._thread = threading.Thread(target=self.serve_forever, name="connectorops-status", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def start_status_server(listen: str, status: ControllerStatus) -> StatusServer:
    host, port = parse_listen(listen)
    try:
        return StatusServer((host, port), status).start()
    except OSError as error:
        raise ConnectoropsError(
            f"cannot listen on {listen}: {error.strerror}", field="--listen", hint="pick a free port, or 0 for any"
        ) from None
