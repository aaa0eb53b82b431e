"""URL safety policy: what is refused before any DNS lookup or connection, and which addresses are refused."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from pathlib import Path

import pytest

from connectorops.definitions.fetch import FetchOptions, address_refusal, fetch_pinned, redact
from connectorops.errors import UnsafeUrlError

DIGEST = "a" * 64


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record (and fail) any attempt to resolve or connect."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "only https"),
        ("http://localhost/openapi.json", "only https"),
        ("file:///etc/passwd", "only https"),
        ("ftp://example.com/a.json", "only https"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[fd00:ec2::254]/latest", "metadata"),
        ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("https://user:pw@example.com/a.json", "credentials"),
    ],
)
def test_refused_without_any_connection(url: str, reason: str, no_network: list[str], tmp_path: Path) -> None:
    with pytest.raises(UnsafeUrlError, match=reason):
        fetch_pinned(url, DIGEST, cache_dir=tmp_path, options=FetchOptions(allow_private_urls=True))
    assert no_network == []


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1", "224.0.0.1", "0.0.0.0",
     "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "240.0.0.1", "::"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), FetchOptions()) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "20.50.2.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), FetchOptions()) is None


def test_allow_private_lifts_private_but_never_metadata() -> None:
    options = FetchOptions(allow_private_urls=True)
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), options) is None
    assert address_refusal(ipaddress.ip_address("169.254.169.254"), options) == "a cloud metadata address"
    assert address_refusal(ipaddress.ip_address("::ffff:169.254.169.254"), options) == "a cloud metadata address"


def test_a_name_with_any_private_answer_is_refused_before_connecting(no_network: list[str], tmp_path: Path) -> None:
    def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("api.example.com", 443)
        return ["93.184.216.34", "10.0.0.7"]  # DNS rebinding style mixed answer

    with pytest.raises(UnsafeUrlError, match=r"10\.0\.0\.7, a private address"):
        fetch_pinned("https://api.example.com/openapi.json", DIGEST, cache_dir=tmp_path, resolver=resolver)
    assert no_network == []


def test_cache_hit_needs_no_network_and_bad_cache_is_ignored(no_network: list[str], tmp_path: Path) -> None:
    data = b'{"swagger": "2.0"}'
    digest = hashlib.sha256(data).hexdigest()
    cached = tmp_path / "definitions" / f"{digest}.bin"
    cached.parent.mkdir()
    cached.write_bytes(data)
    assert fetch_pinned("https://api.example.com/x.json", digest.upper(), cache_dir=tmp_path) == data
    cached.write_bytes(b"tampered")
    with pytest.raises(AssertionError, match="network used"):
        fetch_pinned("https://api.example.com/x.json", digest, cache_dir=tmp_path)


def test_redact_hides_credentials_and_query() -> None:
    assert redact("https://u:p@api.example.com:8443/a.json?sig=abc") == "https://api.example.com:8443/a.json?..."
