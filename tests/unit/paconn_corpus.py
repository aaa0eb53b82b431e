"""The shared corpus's paconn folders as connectors, for tests that deploy or render them (one copy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectorops.definitions.documents import parse_json
from connectorops.definitions.model import ResolvedDefinition
from connectorops.definitions.resolve import resolve_definition
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")


def connector(folder: str, spec: dict[str, Any] | None = None) -> LoadedConnector:
    """connector.yaml `c` beside the corpus group, pointing at the paconn folder `group/name`."""
    group, name = folder.split("/", 1)
    document = ConnectorDocument.model_validate(
        {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": "c"},
            "spec": {"definition": {"paconn": name}, **(spec or {})},
        }
    )
    return LoadedConnector(name="c", folder=group, path=f"{group}/connector.yaml", document=document)


def resolve(loaded: LoadedConnector) -> ResolvedDefinition:
    return resolve_definition(loaded, FileSystemTree(CORPUS), "local", cache_dir=Path("/nonexistent"))


def raw_properties(folder: str) -> dict[str, Any]:
    """apiProperties.json's `properties` as the folder has them."""
    data = (CORPUS / folder / "apiProperties.json").read_bytes()
    properties: dict[str, Any] = parse_json(data, "apiProperties.json", lenient=True)[0]["properties"]
    return properties
