"""Download a pinned definition (`url:` + `sha256:`) without becoming an SSRF tool, and cache it by digest.

https only; every resolved address is checked (loopback, private, link-local, CGNAT,
multicast, unspecified, cloud metadata) and the socket connects to that checked address,
so DNS cannot change its answer in between. At most 3 redirects, each re-checked; 1 MB cap
while streaming; timeouts. A cached copy (by digest) makes plans work offline.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import socket
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from connectorops.definitions.documents import MAX_DEFINITION_BYTES
from connectorops.errors import DefinitionError, UnsafeUrlError

MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 15.0
# Never fetched, even with allow_private_urls: instance metadata hands out cloud credentials.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "metadata.azure.com"})
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
CGNAT = ipaddress.ip_network("100.64.0.0/10")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch; the defaults are the production policy."""

    allow_private_urls: bool = False  # lifts only the private-address check; never https-only or metadata
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()  # explicit exceptions
    ca_file: Path | None = None  # extra CA to trust (a test server, a corporate proxy)
    timeout: float = DEFAULT_TIMEOUT  # per socket operation and for the whole download
    max_bytes: int = MAX_DEFINITION_BYTES


def fetch_pinned(
    url: str,
    sha256: str,
    *,
    cache_dir: Path,
    options: FetchOptions | None = None,
    resolver: Resolver | None = None,
    field: str | None = None,
    file: str | None = None,
) -> bytes:
    """The bytes at `url` whose sha256 is `sha256`: from the cache, or downloaded and then cached."""
    options = options or FetchOptions()
    expected = sha256.lower()
    check_url_syntax(url, field=field, file=file)
    cached = _read_cache(cache_dir, expected)
    if cached is not None:
        return cached
    data = download(url, options=options, resolver=resolver or system_resolver, field=field, file=file)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise DefinitionError(
            f"sha256 mismatch for {redact(url)}: expected {expected}, got {actual}",
            field=field,
            file=file,
            code="DigestMismatch",
            hint="the document changed upstream: review it, then update sha256 in connector.yaml",
        )
    _write_cache(cache_dir, expected, data)
    return data


def fetch_and_pin(
    url: str,
    *,
    cache_dir: Path,
    options: FetchOptions | None = None,
    resolver: Resolver | None = None,
    field: str | None = None,
) -> tuple[bytes, str]:
    """Download `url` once under the same checks and pin it: (bytes, sha256), cached by that digest."""
    options = options or FetchOptions()
    check_url_syntax(url, field=field)
    data = download(url, options=options, resolver=resolver or system_resolver, field=field)
    digest = hashlib.sha256(data).hexdigest()
    _write_cache(cache_dir, digest, data)
    return data, digest


def cache_path(cache_dir: Path, digest: str) -> Path:
    return cache_dir / "definitions" / f"{digest.lower()}.bin"


def check_url_syntax(url: str, *, field: str | None = None, file: str | None = None) -> None:
    """Refuse anything but a plain https URL, before any DNS lookup or connection."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise UnsafeUrlError(
            f"only https:// URLs are fetched, not {parts.scheme or 'a relative'}:// ({redact(url)})",
            field=field,
            file=file,
            code="UnsafeUrl",
            hint="serve the definition over https, or commit it next to connector.yaml",
        )
    if not parts.hostname:
        raise UnsafeUrlError(f"URL {redact(url)} has no host", field=field, file=file, code="UnsafeUrl")
    if parts.username or parts.password:
        raise UnsafeUrlError(
            "URL must not contain credentials",
            field=field,
            file=file,
            code="UnsafeUrl",
            hint="definitions are fetched anonymously",
        )
    host = parts.hostname.rstrip(".").lower()
    if host in METADATA_HOSTS:
        raise UnsafeUrlError(f"{host} is a cloud metadata service", field=field, file=file, code="UnsafeUrl")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    if _unwrap(literal) in METADATA_ADDRESSES:
        raise UnsafeUrlError(f"{host} is a cloud metadata address", field=field, file=file, code="UnsafeUrl")


def address_refusal(address: Address, options: FetchOptions) -> str | None:
    """Why we will not connect to `address`, or None when it is allowed."""
    address = _unwrap(address)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if any(address in network for network in options.allowed_networks):
        return None
    if options.allow_private_urls:
        return None
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "an unspecified address"),
        (isinstance(address, ipaddress.IPv4Address) and address in CGNAT, "a carrier-grade NAT address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), None)


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise DefinitionError(f"cannot resolve {host}: {error.strerror}", code="FetchFailed") from None
    except (UnicodeError, OSError) as error:  # e.g. an empty or over-long label in the host name
        raise DefinitionError(f"cannot resolve {host}: {error}", code="FetchFailed") from None
    return sorted({str(info[4][0]) for info in infos})


def _resolve(resolver: Resolver, host: str, port: int, field: str | None, file: str | None) -> list[str]:
    """The resolver's addresses; its errors (which know only the host) also name the connector.yaml field."""
    try:
        return resolver(host, port)
    except DefinitionError as error:
        raise DefinitionError(
            error.problem.message,
            field=field,
            file=file,
            code=error.problem.code or "FetchFailed",
            hint="check the host name and this machine's DNS, or commit the document next to connector.yaml",
        ) from None


def download(
    url: str,
    *,
    options: FetchOptions,
    resolver: Resolver,
    field: str | None = None,
    file: str | None = None,
) -> bytes:
    """GET `url` following at most MAX_REDIRECTS redirects; every hop is checked before connecting."""
    deadline = time.monotonic() + options.timeout
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        check_url_syntax(current, field=field, file=file)
        parts = urlsplit(current)
        host = parts.hostname or ""
        port = parts.port or 443
        address = _checked_address(host, port, options, resolver, field=field, file=file)
        connection = _PinnedHTTPSConnection(host, port, address, context=_ssl_context(options), timeout=options.timeout)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            connection.request("GET", path, headers={"Accept": "application/json, application/yaml, */*"})
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise DefinitionError(f"{redact(current)} redirected without a Location", field=field, file=file)
                current = urljoin(current, location)
                continue
            if response.status != 200:
                raise DefinitionError(
                    f"{redact(current)} answered HTTP {response.status} {response.reason}",
                    field=field,
                    file=file,
                    code="FetchFailed",
                )
            return _read_capped(response, options, deadline, current, field=field, file=file)
        except (OSError, http.client.HTTPException) as error:
            raise DefinitionError(
                f"cannot fetch {redact(current)}: {_describe(error)}",
                field=field,
                file=file,
                code="FetchFailed",
                hint="check the URL, or commit the document next to connector.yaml",
            ) from None
        finally:
            connection.close()
    raise UnsafeUrlError(
        f"{redact(url)} redirected more than {MAX_REDIRECTS} times", field=field, file=file, code="TooManyRedirects"
    )


def redact(url: str) -> str:
    """The URL without credentials or query string (either can carry a token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    shown = f"{parts.scheme}://{host}{parts.path}" if parts.scheme else url.split("?")[0]
    return shown + ("?..." if parts.query else "")


def _checked_address(
    host: str,
    port: int,
    options: FetchOptions,
    resolver: Resolver,
    *,
    field: str | None,
    file: str | None,
) -> str:
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in _resolve(resolver, host, port, field, file)]
    if not addresses:
        raise DefinitionError(f"{host} has no address", field=field, file=file, code="FetchFailed")
    # Every address must pass: a name that also resolves to an internal address is refused.
    for address in addresses:
        reason = address_refusal(address, options)
        if reason:
            raise UnsafeUrlError(
                f"{host} resolves to {address}, {reason}: refused",
                field=field,
                file=file,
                code="UnsafeUrl",
                hint="definitions are fetched only from public https addresses",
            )
    return str(addresses[0])


def _read_capped(
    response: http.client.HTTPResponse,
    options: FetchOptions,
    deadline: float,
    url: str,
    *,
    field: str | None,
    file: str | None,
) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > options.max_bytes:
        raise DefinitionError(
            f"{redact(url)} is {int(declared):,} bytes, over the 1 MB limit ({options.max_bytes:,} bytes)",
            field=field,
            file=file,
            code="TooLarge",
        )
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise DefinitionError(
                f"{redact(url)} took longer than {options.timeout:g}s", field=field, file=file, code="FetchFailed"
            )
        chunk = response.read(65536)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > options.max_bytes:
            raise DefinitionError(
                f"{redact(url)} is over the 1 MB limit ({options.max_bytes:,} bytes): stopped after {total:,} bytes",
                field=field,
                file=file,
                code="TooLarge",
            )
        chunks.append(chunk)


def _ssl_context(options: FetchOptions) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if options.ca_file is not None:
        context.load_verify_locations(cafile=str(options.ca_file))
    return context


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a pre-checked IP address, with SNI and certificate checks for the original host name."""

    def __init__(self, host: str, port: int, address: str, *, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)


def _unwrap(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _describe(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({error.verify_message})"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    return error.__class__.__name__ + (f": {error.strerror}" if isinstance(error, OSError) and error.strerror else "")


def _read_cache(cache_dir: Path, digest: str) -> bytes | None:
    path = cache_path(cache_dir, digest)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    # A corrupted or tampered cache entry is ignored, never trusted.
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _write_cache(cache_dir: Path, digest: str, data: bytes) -> None:
    path = cache_path(cache_dir, digest)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only cache only costs a download next time
