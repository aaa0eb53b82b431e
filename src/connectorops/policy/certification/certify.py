"""Certify connectors: every rule over a swagger dict (`certify_document`; the CrossGuard pack calls it too),
and over a loaded connector with policies/certification.yaml applied (`certify_connector`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from connectorops.definitions.model import ResolvedDefinition
from connectorops.definitions.verdict_cache import VerdictCache, verdict_key
from connectorops.policy.certification.findings import ENFORCEMENTS, Enforcement, Finding
from connectorops.policy.certification.policy import (
    CERTIFICATION_POLICY_PATH,
    CertificationPolicy,
    load_certification_policy,
)
from connectorops.policy.certification.rules import RULES, certify_document
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector

__all__ = [
    "CERTIFICATION_POLICY_PATH",
    "ENFORCEMENTS",
    "RULES",
    "CertificationPolicy",
    "Enforcement",
    "Finding",
    "certify_connector",
    "certify_document",
    "definition_file",
    "load_certification_policy",
    "located_findings",
]


def definition_file(connector: LoadedConnector, resolved: ResolvedDefinition | None = None) -> str:
    """The repo-relative file the deployed swagger comes from (connector.yaml for URL sources)."""
    definition = connector.document.spec.definition
    if definition.paconn and resolved is not None:
        swagger = [f for f in resolved.source_files if f.lower().endswith("swagger.json")]
        if swagger:
            return swagger[0]
    source = definition.openapi or definition.postman or definition.paconn
    return f"{connector.folder}/{source.strip('/')}" if source else connector.path


def certify_connector(
    view: ConnectorInEnvironment,
    resolved: ResolvedDefinition,
    policy: CertificationPolicy,
    *,
    cache: VerdictCache | None = None,
) -> list[Finding]:
    """Findings for what would be deployed to `view.environment` (None: the base spec), enforcement applied.

    `resolved` is the whole definition (a `ResolvedConnector`'s `definition`: certification sees what a
    target may strip). Pointers of swagger findings refer to the deployed (normalized) document; findings
    about the connector as a whole (icon, brand colour) point at connector.yaml.
    """
    return policy.apply(located_findings(view, resolved, cache=cache), view.environment)


def located_findings(
    view: ConnectorInEnvironment, resolved: ResolvedDefinition, *, cache: VerdictCache | None = None
) -> list[Finding]:
    """certify_connector's findings before policies/certification.yaml is applied."""
    connector, spec = view.connector, view.spec
    inputs = {
        "display_name": spec.displayName,
        "description": spec.description,
        "brand_color": spec.brandColor or resolved.icon_brand_color,
        "icon_png": resolved.icon_png,
        "connection_parameters": resolved.connection_parameters,
        "file": definition_file(connector, resolved),
    }
    findings = _certified(resolved.swagger, inputs, cache)
    return [f if f.pointer else _at_connector_yaml(f, connector) for f in findings]


def _certified(swagger: dict[str, Any], inputs: dict[str, Any], cache: VerdictCache | None) -> list[Finding]:
    """certify_document's findings (before the policy is applied), from the verdict cache when possible.

    The policy is applied afterwards, on every run: editing certification.yaml never needs a new verdict.
    """
    key = verdict_key("certification", swagger, inputs) if cache is not None else None
    cached = cache.get(key) if cache is not None and key is not None else None
    if isinstance(cached, list):
        try:
            return [Finding.from_dict(f) for f in cached]
        except (TypeError, ValueError, KeyError, AttributeError):
            pass  # a corrupt entry: judge again
    findings = certify_document(swagger, **inputs)
    if cache is not None and key is not None:
        cache.put(key, [f.to_dict() for f in findings])
    return findings


def _at_connector_yaml(finding: Finding, connector: LoadedConnector) -> Finding:
    return replace(finding, file=connector.path)
