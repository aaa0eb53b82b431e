"""Certification rules on the document as a whole: version, host, schemes, MIME types, size.

A certified connector points at a production host over https; the portal rejects files over 1 MB.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator

from connectorops.errors import Severity
from connectorops.policy.certification.subject import CertificationSubject, Hit, Rule, operations

MAX_DEFINITION_BYTES = 1024 * 1024
ALLOWED_MIME_TYPES = ("application/json", "text/plain", "multipart/form-data", "application/x-www-form-urlencoded")
HOST_NAME = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?$"
)
PLACEHOLDER = re.compile(r"\{|\}|<|>|\$\(|%%|\*")
# A host label (or a '-'-separated part of one) that names a non-production stage.
NON_PRODUCTION_LABEL = re.compile(
    r"^(?:dev|develop|development|test|testing|staging|stage|stg|uat|qa|sandbox|demo|preprod)\d*$"
)
NON_PRODUCTION_DOMAINS = (
    "ngrok.io",
    "ngrok.app",
    "ngrok-free.app",
    "ngrok.dev",
    "example.com",
    "example.org",
    "example.net",
)
RESERVED_TLDS = ("localhost", "local", "test", "example", "invalid", "internal")


def check_specification_version(s: CertificationSubject) -> Iterator[Hit]:
    if s.swagger.get("swagger") != "2.0":
        yield Hit("/swagger", f"swagger version is {s.swagger.get('swagger')!r}, not '2.0'")


def _host(s: CertificationSubject) -> str:
    host = s.swagger.get("host")
    return host.strip() if isinstance(host, str) else ""


def check_host_name(s: CertificationSubject) -> Iterator[Hit]:
    host = _host(s)
    if not host:
        yield Hit("/host", "the definition has no host")
    elif PLACEHOLDER.search(host):
        yield Hit("/host", f"host {host!r} is a template placeholder, not a real host")
    elif not HOST_NAME.fullmatch(host):
        yield Hit("/host", f"host {host!r} is not a host name (no scheme, path or spaces)")


def non_production_reason(host: str) -> str | None:
    """Why `host` is not a production host, or None when it looks like one."""
    name = host.lower()
    if name.startswith("[") and "]" in name:  # [IPv6]:port
        name = name[1 : name.index("]")]
    elif name.count(":") == 1:  # host:port
        name = name.rsplit(":", 1)[0]
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        if address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified:
            return "is a loopback or private address"
        return "is an IP address, not a production host name"
    labels = name.split(".")
    if name == "localhost" or labels[-1] in RESERVED_TLDS:
        return f"uses the reserved name {labels[-1]!r}"
    for domain in NON_PRODUCTION_DOMAINS:
        if name == domain or name.endswith("." + domain):
            return f"is under {domain}"
    # The top-level domain is skipped: ".dev" is a real production TLD.
    for label in labels[:-1]:
        for part in label.split("-"):
            if NON_PRODUCTION_LABEL.fullmatch(part):
                return f"names a non-production stage ({part!r})"
    return None


def check_host_is_production(s: CertificationSubject) -> Iterator[Hit]:
    host = _host(s)
    if host and not PLACEHOLDER.search(host):
        reason = non_production_reason(host)
        if reason:
            yield Hit("/host", f"host {host!r} {reason}")


def check_schemes(s: CertificationSubject) -> Iterator[Hit]:
    schemes = s.swagger.get("schemes")
    if not isinstance(schemes, list) or not schemes:
        yield Hit("/schemes", "the definition declares no schemes", hint='set schemes: ["https"]')
        return
    for index, scheme in enumerate(schemes):
        if scheme != "https":
            yield Hit(f"/schemes/{index}", f"scheme {scheme!r} is not allowed; only https")


def _mime_base(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def check_mime_types(s: CertificationSubject) -> Iterator[Hit]:
    places: list[tuple[str, object]] = [(f"/{k}", s.swagger.get(k)) for k in ("consumes", "produces")]
    for op in operations(s.swagger):
        places += [(f"{op.pointer}/{k}", op.body.get(k)) for k in ("consumes", "produces")]
    for pointer, values in places:
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            if not isinstance(value, str) or _mime_base(value) not in ALLOWED_MIME_TYPES:
                yield Hit(f"{pointer}/{index}", f"MIME type {value!r} is not allowed")


def check_definition_size(s: CertificationSubject) -> Iterator[Hit]:
    size = len(json.dumps(s.swagger, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size >= MAX_DEFINITION_BYTES:
        yield Hit("", f"the definition is {size:,} bytes; it must be under {MAX_DEFINITION_BYTES:,} (1 MB)")


RULES = (
    Rule(
        "SpecificationVersionIncorrect",
        Severity.ERROR,
        "The definition is OpenAPI (swagger) 2.0.",
        'set swagger: "2.0"',
        check_specification_version,
    ),
    Rule(
        "HostNameNotValid",
        Severity.ERROR,
        "host is a host name: no scheme, path or template placeholder.",
        "set spec.backend.serviceUrl in connector.yaml to the real service URL",
        check_host_name,
    ),
    Rule(
        "HostNotProduction",
        Severity.ERROR,
        "host is a production host (no localhost, private IP, dev/test/staging, ngrok, example.com).",
        "point the certified definition at the production host; keep dev hosts in spec.environments overrides",
        check_host_is_production,
    ),
    Rule("SchemeNotValid", Severity.ERROR, "schemes is exactly [https].", 'set schemes: ["https"]', check_schemes),
    Rule(
        "MimeTypeNotValid",
        Severity.ERROR,
        "consumes/produces use only " + ", ".join(ALLOWED_MIME_TYPES) + ".",
        "use one of: " + ", ".join(ALLOWED_MIME_TYPES),
        check_mime_types,
    ),
    Rule(
        "DefinitionTooLarge",
        Severity.ERROR,
        "The definition is under 1 MB.",
        "split the connector, or drop unused definitions and examples",
        check_definition_size,
    ),
)
