"""Certificates for the emulator's HTTPS endpoint: a private CA and a loopback server cert.

Clients trust the emulator through the CA PEM file (never by turning verification off);
the key material is kept in the state DB so the CA file stays the same for one state file.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Long enough for a laptop state dir; the CA never leaves the machine.
VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class CertificateSet:
    """PEM text of the CA certificate and of the server's certificate and key."""

    ca_cert_pem: str
    server_cert_pem: str
    server_key_pem: str


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "connectorops emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def generate_certificates() -> CertificateSet:
    """A fresh CA plus a server certificate for 127.0.0.1, ::1 and localhost (EC P-256: fast)."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("connectorops emulator local CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return CertificateSet(
        ca_cert_pem=ca_cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        server_cert_pem=server_cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        server_key_pem=server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii"),
    )


def write_if_changed(path: Path, text: str) -> None:
    """Atomically (re)write `path`; leave it untouched when the content is already right.

    Another process on the same state file may be reading the CA file at this moment.
    """
    if path.exists() and path.read_text(encoding="ascii") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ca-", suffix=".pem")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    os.replace(tmp, path)


def server_context(certs: CertificateSet, work_dir: Path) -> ssl.SSLContext:
    """A TLS server context for the emulator (TLS 1.2+). The key file lives only for the load."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    fd, key_path = tempfile.mkstemp(dir=work_dir, prefix=".server-", suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(certs.server_cert_pem + certs.server_key_pem)
        context.load_cert_chain(key_path)
    finally:
        os.unlink(key_path)
    return context
