"""Numbers for the policy checks: certification over the real corpus, sharing decisions at scale."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from connectorops.policy.certification.certify import certify_document
from connectorops.policy.sharing import SharingPolicy, desired_role_assignments
from connectorops.policy.sharing_model import SharingPolicyDocument
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_certify_the_corpus() -> None:
    documents = []
    for path in sorted(CORPUS.glob("*/*/apiDefinition.swagger.json")):
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8-sig")))
        except json.JSONDecodeError:
            continue
    operations = sum(len(item) for doc in documents for item in doc.get("paths", {}).values())
    started = time.perf_counter()
    findings = 0
    for doc in documents:
        findings += len(
            certify_document(
                doc, display_name=None, description=None, brand_color="#0F6CBD", icon_png=None,
                connection_parameters=None, file="bench",
            )
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(
        f"\ncertification: {len(documents)} definitions, ~{operations} path items, {findings} findings "
        f"in {elapsed * 1000:.0f} ms ({elapsed / len(documents) * 1000:.1f} ms per definition)"
    )
    assert findings > 0


def test_sharing_decisions_for_many_connectors() -> None:
    groups = {f"team{i}-team": {"objectId": f"00000000-0000-0000-0000-{i:012d}", "type": "Group"} for i in range(200)}
    policy = SharingPolicy(
        document=SharingPolicyDocument.model_validate(
            {
                "principals": groups,
                "rules": [
                    {"name": "no-sp-edit", "effect": "deny", "principalTypes": ["ServicePrincipal"], "roles": ["edit"]},
                    {"name": "owners", "effect": "allow", "principals": ["{label:team}-team"]},
                ],
            }
        )
    )
    connectors = [
        LoadedConnector(
            name=f"c{i}",
            folder=f"connectors/c{i}",
            path=f"connectors/c{i}/connector.yaml",
            document=ConnectorDocument.model_validate(
                {
                    "apiVersion": "connectorops/v1",
                    "kind": "Connector",
                    "metadata": {"name": f"c{i}", "labels": {"team": f"team{i % 200}"}},
                    "spec": {
                        "definition": {"openapi": "openapi.yaml"},
                        "sharing": [{"principal": f"team{i % 200}-team", "role": r} for r in ("use", "edit", "read")],
                    },
                }
            ),
        )
        for i in range(1000)
    ]
    started = time.perf_counter()
    grants = [
        g
        for c in connectors
        for g in desired_role_assignments(
            ConnectorInEnvironment.of(c, "prod"), policy, scope=f"/x/{c.name}", role_id=str
        )
    ]
    elapsed = time.perf_counter() - started
    print(f"\nsharing: {len(connectors)} connectors, {len(grants)} grants decided in {elapsed * 1000:.0f} ms")
    assert len(grants) == 3000
