"""Resolve once: each connector's environment overrides are merged once, and that one value feeds render,
certification and sharing (they used to merge connector.yaml's overrides about seven times each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi_support import SUBSCRIPTION, make_repo

from connectorops.definitions.resolve import resolve_connector
from connectorops.engine.desired import build_desired_state
from connectorops.spec.loader import load_repository
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import ConnectorInEnvironment
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ARM_CAPABILITIES, ArmPlacement


def test_the_desired_state_merges_each_connectors_overrides_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = load_repository(FileSystemTree(make_repo(tmp_path)))
    merges: list[tuple[str, str]] = []
    merge = ConnectorDocument.for_environment

    def counted(self: ConnectorDocument, environment: str) -> Any:
        merges.append((self.metadata.name, environment))
        return merge(self, environment)

    monkeypatch.setattr(ConnectorDocument, "for_environment", counted)
    placement = ArmPlacement(SUBSCRIPTION, "rg", "westeurope")
    state = build_desired_state(repo, "dev", placement=placement, commit=None, cache_dir=tmp_path / "cache")

    assert sorted(merges) == [("d7sms", "dev"), ("orders", "dev")]
    # ... and what it merged reached every reader: the dev backend, the dev client id, the sharing request
    orders = state.custom_api("orders")
    assert orders is not None
    assert orders.body["properties"]["backendService"]["serviceUrl"] == "https://orders-dev.contoso.com/api"
    assert "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" in str(orders.body["properties"]["connectionParameters"])
    assert [g.principal_name for g in state.role_assignments] == ["sales-team"]


def test_a_resolved_connector_carries_its_merged_spec_definition_and_fitted_definition(tmp_path: Path) -> None:
    tree = FileSystemTree(make_repo(tmp_path))
    repo = load_repository(tree)
    orders = next(c for c in repo.connectors if c.name == "orders")
    view = ConnectorInEnvironment.of(orders, "dev")

    resolved = resolve_connector(view, tree, target=("local", ARM_CAPABILITIES), cache_dir=tmp_path / "cache")

    assert (resolved.name, resolved.environment, resolved.spec) == ("orders", "dev", view.spec)
    assert resolved.spec.backend is not None and resolved.spec.backend.serviceUrl.startswith("https://orders-dev.")
    assert resolved.definition.swagger["host"] == "orders-dev.contoso.com"
    assert resolved.fitted == resolved.definition  # nothing the ARM target cannot carry
    assert resolved.carried == ()
    base = ConnectorInEnvironment.of(orders, None)
    assert base.spec.backend is not None and base.spec.backend.serviceUrl == "https://orders.contoso.com/api"
