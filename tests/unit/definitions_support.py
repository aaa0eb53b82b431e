"""Builders for definition tests: a connector folder on disk and its LoadedConnector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree

PETSTORE: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Pets", "description": "Read and list the pets in the store.", "version": "1.0"},
    "host": "pets.example.com",
    "basePath": "/v1",
    "schemes": ["https"],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "ListPets",
                "summary": "List pets",
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}},
            }
        },
        "/pets/{id}": {
            "get": {
                "operationId": "GetPet",
                "summary": "Get a pet",
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
    "definitions": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
}


def connector_at(
    root: Path,
    spec: dict[str, Any],
    files: dict[str, bytes | str | dict[str, Any]] | None = None,
    *,
    name: str = "pets",
) -> tuple[LoadedConnector, FileSystemTree]:
    """Write connectors/<name>/ with `files` and return the connector (spec validated by the real model)."""
    folder = root / "connectors" / name
    folder.mkdir(parents=True, exist_ok=True)
    for relative, content in (files or {}).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_text(json.dumps(content))
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
    document = ConnectorDocument.model_validate(
        {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": name}, "spec": spec}
    )
    (folder / "connector.yaml").write_text(json.dumps(document.model_dump(by_alias=True, exclude_none=True)))
    connector = LoadedConnector(
        name=name, folder=f"connectors/{name}", path=f"connectors/{name}/connector.yaml", document=document
    )
    return connector, FileSystemTree(root)
