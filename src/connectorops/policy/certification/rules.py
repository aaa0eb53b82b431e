"""The registry of certification rules, and `certify_document`: every rule over one document.

Rule ids are stable (policies/certification.yaml and CrossGuard packs refer to them).
"""

from __future__ import annotations

from typing import Any

from connectorops.policy.certification import document_rules, metadata_rules, operation_rules, text_rules
from connectorops.policy.certification.findings import Finding
from connectorops.policy.certification.subject import CertificationSubject, Rule

RULES: dict[str, Rule] = {
    rule.id: rule for rule in (*text_rules.RULES, *operation_rules.RULES, *document_rules.RULES, *metadata_rules.RULES)
}


def certify_document(
    swagger: dict[str, Any],
    *,
    display_name: str | None,
    description: str | None,
    brand_color: str | None,
    icon_png: bytes | None,
    connection_parameters: dict[str, Any] | None,
    file: str,
) -> list[Finding]:
    """Every rule's findings, each with the rule's recommended enforcement (policies adjust it later)."""
    subject = CertificationSubject(
        swagger=swagger,
        display_name=display_name,
        description=description,
        brand_color=brand_color,
        icon_png=icon_png,
        connection_parameters=connection_parameters,
    )
    findings: list[Finding] = []
    for rule in RULES.values():
        for hit in rule.check(subject):
            findings.append(
                Finding(
                    rule_id=rule.id,
                    severity=rule.severity,
                    enforcement=rule.default_enforcement,
                    file=file,
                    pointer=hit.pointer,
                    message=hit.message,
                    hint=hit.hint or rule.hint,
                )
            )
    return findings
