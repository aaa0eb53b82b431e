"""Offline certification: Microsoft's connector certification rules as pure functions + enforcement.

`certify_document` runs every rule over a swagger dict (the CrossGuard pack calls it too);
`certify_connector` does it for a loaded connector and applies policies/certification.yaml.
"""

from __future__ import annotations

from dataclasses import replace

from connectorops.definitions.model import ResolvedDefinition
from connectorops.policy.certification.findings import ENFORCEMENTS, Enforcement, Finding
from connectorops.policy.certification.policy import (
    CERTIFICATION_POLICY_PATH,
    CertificationPolicy,
    load_certification_policy,
)
from connectorops.policy.certification.rules import RULES, certify_document
from connectorops.spec.repository import LoadedConnector

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
    connector: LoadedConnector,
    resolved: ResolvedDefinition,
    environment: str | None,
    policy: CertificationPolicy,
) -> list[Finding]:
    """Findings for what would be deployed to `environment` (None: the base spec), enforcement applied.

    Pointers of swagger findings refer to the deployed (normalized) document; findings about the
    connector as a whole (icon, brand colour) point at connector.yaml.
    """
    spec = connector.document.for_environment(environment) if environment else connector.document.spec
    findings = certify_document(
        resolved.swagger,
        display_name=spec.displayName,
        description=spec.description,
        brand_color=spec.brandColor or resolved.icon_brand_color,
        icon_png=resolved.icon_png,
        connection_parameters=resolved.connection_parameters,
        file=definition_file(connector, resolved),
    )
    located = [f if f.pointer else _at_connector_yaml(f, connector) for f in findings]
    return policy.apply(located, environment)


def _at_connector_yaml(finding: Finding, connector: LoadedConnector) -> Finding:
    return replace(finding, file=connector.path)
