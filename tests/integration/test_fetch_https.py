"""Pinned-URL fetch against real local HTTPS servers: digests, redirects, size cap, cache, TLS trust."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectorops.definitions.fetch import FetchOptions, cache_path, fetch_pinned
from connectorops.definitions.resolve import resolve_definition
from connectorops.errors import DefinitionError, UnsafeUrlError
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree

pytestmark = pytest.mark.integration

SPEC = json.dumps(
    {
        "swagger": "2.0",
        "info": {"title": "Remote", "version": "1"},
        "host": "remote.example.com",
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }
).encode()
DIGEST = hashlib.sha256(SPEC).hexdigest()
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)


@dataclass
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass
class Server:
    host: str
    port: int
    hits: list[str] = field(default_factory=list)
    httpd: ThreadingHTTPServer | None = None

    def url(self, path: str, host: str | None = None) -> str:
        return f"https://{host or self.host}:{self.port}{path}"

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "connectorops test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost")] + [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", "127.0.0.2")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    result = Pki(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    result.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    result.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return result


def _start(pki: Pki, host: str, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Server:
    server = Server(host=host, port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # body ends at close: lets /stream omit Content-Length

        def do_GET(self) -> None:
            server.hits.append(self.path)
            status, headers, body = routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value.replace("{port}", str(server.port)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer((host, 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    server.port = httpd.server_address[1]
    server.httpd = httpd
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def servers(pki: Pki) -> Iterator[tuple[Server, Server]]:
    """`public` on 127.0.0.1 (allow-listed as if public) and `private` on 127.0.0.2 (not allow-listed)."""
    private = _start(pki, "127.0.0.2", {"/spec.json": (200, {}, SPEC)})
    big = b"x" * (1_048_576 + 10)
    routes = {
        "/spec.json": (200, {"Content-Type": "application/json", "Content-Length": str(len(SPEC))}, SPEC),
        "/declared-big": (200, {"Content-Length": str(len(big))}, big),
        "/stream-big": (200, {}, big),
        "/to-private": (302, {"Location": f"https://127.0.0.2:{private.port}/spec.json"}, b""),
        "/to-metadata": (302, {"Location": "https://169.254.169.254/latest/meta-data/"}, b""),
        "/to-http": (301, {"Location": "http://127.0.0.1:{port}/spec.json"}, b""),
        "/hop1": (302, {"Location": "/hop2"}, b""),
        "/hop2": (302, {"Location": "/hop3"}, b""),
        "/hop3": (307, {"Location": "/spec.json"}, b""),
        "/loop1": (302, {"Location": "/loop2"}, b""),
        "/loop2": (302, {"Location": "/loop3"}, b""),
        "/loop3": (302, {"Location": "/loop4"}, b""),
        "/loop4": (302, {"Location": "/spec.json"}, b""),
    }
    public = _start(pki, "127.0.0.1", routes)
    yield public, private
    public.stop()
    private.stop()


def _options(pki: Pki) -> FetchOptions:
    return FetchOptions(allowed_networks=LOOPBACK_ONLY, ca_file=pki.ca_file, timeout=5.0)


def test_fetch_verifies_digest_and_caches(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    data = fetch_pinned(public.url("/spec.json"), DIGEST, cache_dir=tmp_path, options=_options(pki))
    assert data == SPEC
    assert cache_path(tmp_path, DIGEST).read_bytes() == SPEC


def test_digest_mismatch_shows_both_digests(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    wrong = "0" * 64
    with pytest.raises(DefinitionError) as caught:
        fetch_pinned(public.url("/spec.json"), wrong, cache_dir=tmp_path, options=_options(pki))
    assert wrong in caught.value.problem.message and DIGEST in caught.value.problem.message
    assert not cache_path(tmp_path, wrong).exists() and not cache_path(tmp_path, DIGEST).exists()


def test_redirect_to_private_address_is_refused_before_connecting(
    servers: tuple[Server, Server], pki: Pki, tmp_path: Path
) -> None:
    public, private = servers
    with pytest.raises(UnsafeUrlError, match=r"127\.0\.0\.2, a loopback address"):
        fetch_pinned(public.url("/to-private"), DIGEST, cache_dir=tmp_path, options=_options(pki))
    assert public.hits == ["/to-private"]
    assert private.hits == []


def test_redirect_to_metadata_or_http_is_refused(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    with pytest.raises(UnsafeUrlError, match="metadata"):
        fetch_pinned(public.url("/to-metadata"), DIGEST, cache_dir=tmp_path, options=_options(pki))
    with pytest.raises(UnsafeUrlError, match="only https"):
        fetch_pinned(public.url("/to-http"), DIGEST, cache_dir=tmp_path, options=_options(pki))


def test_three_redirects_are_followed_four_are_not(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    assert fetch_pinned(public.url("/hop1"), DIGEST, cache_dir=tmp_path / "a", options=_options(pki)) == SPEC
    with pytest.raises(UnsafeUrlError, match="more than 3 times"):
        fetch_pinned(public.url("/loop1"), DIGEST, cache_dir=tmp_path / "b", options=_options(pki))


@pytest.mark.parametrize("path", ["/declared-big", "/stream-big"])
def test_oversize_is_refused(path: str, servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    with pytest.raises(DefinitionError, match="1,048,576") as caught:
        fetch_pinned(public.url(path), DIGEST, cache_dir=tmp_path, options=_options(pki))
    assert caught.value.problem.code == "TooLarge"


def test_cache_hit_works_with_the_server_stopped(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    url = public.url("/spec.json")
    fetch_pinned(url, DIGEST, cache_dir=tmp_path, options=_options(pki))
    public.stop()
    assert fetch_pinned(url, DIGEST, cache_dir=tmp_path, options=_options(pki)) == SPEC
    assert public.hits == ["/spec.json"]


def test_untrusted_certificate_is_refused(servers: tuple[Server, Server], tmp_path: Path) -> None:
    public, _ = servers
    options = FetchOptions(allowed_networks=LOOPBACK_ONLY, timeout=5.0)  # no test CA
    with pytest.raises(DefinitionError, match="TLS certificate not trusted"):
        fetch_pinned(public.url("/spec.json"), DIGEST, cache_dir=tmp_path, options=options)


def test_allow_private_urls_reaches_localhost_by_name(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    url = public.url("/spec.json", host="localhost")
    with pytest.raises(UnsafeUrlError, match="loopback"):
        fetch_pinned(url, DIGEST, cache_dir=tmp_path, options=FetchOptions(ca_file=pki.ca_file))
    options = FetchOptions(allow_private_urls=True, ca_file=pki.ca_file, timeout=5.0)
    assert fetch_pinned(url, DIGEST, cache_dir=tmp_path, options=options) == SPEC


def test_url_source_resolves_end_to_end(servers: tuple[Server, Server], pki: Pki, tmp_path: Path) -> None:
    public, _ = servers
    document = ConnectorDocument.model_validate(
        {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": "remote"},
            "spec": {"definition": {"url": public.url("/spec.json"), "sha256": DIGEST}},
        }
    )
    (tmp_path / "connectors" / "remote").mkdir(parents=True)
    connector = LoadedConnector("remote", "connectors/remote", "connectors/remote/connector.yaml", document)
    tree = FileSystemTree(tmp_path)
    resolved = resolve_definition(connector, tree, "local", fetch_options=_options(pki))
    assert (resolved.source_kind, resolved.operation_count) == ("url", 1)
    assert resolved.swagger["host"] == "remote.example.com"
    # the default cache is <repo>/.connectorops/cache
    assert cache_path(tmp_path / ".connectorops" / "cache", DIGEST).exists()


def test_gateway_swagger_download_follows_no_redirect(servers: tuple[Server, Server], pki: Pki) -> None:
    """originalSwaggerUrl comes from ARM's answer: a redirect (to a private host, to http) is not followed."""
    from connectorops.errors import GatewayError
    from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
    from connectorops.targets.transport.credentials import StaticTokenCredential
    from connectorops.targets.transport.pipeline import RetrySettings

    public, private = servers
    target = ArmTarget(
        base_url=public.url(""), subscription_id="s", resource_group="rg", location="westeurope",
        credential=StaticTokenCredential("t"), ca_bundle=str(pki.ca_file),
    )  # fmt: skip

    def api(path: str) -> dict[str, object]:
        return {"name": "orders", "properties": {"apiDefinitions": {"originalSwaggerUrl": public.url(path)}}}

    with ArmGateway(target, settings=RetrySettings(total=0)) as gateway:
        assert gateway.download_swagger(api("/spec.json")) == json.loads(SPEC)
        for path in ("/to-private", "/to-http", "/to-metadata"):
            with pytest.raises(GatewayError, match="download swagger"):
                gateway.download_swagger(api(path))
    assert private.hits == [] and public.hits.count("/spec.json") == 1
