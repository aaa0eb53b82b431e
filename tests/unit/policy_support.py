"""Shared inputs for the sharing and certification unit tests: an in-memory tree and connectors."""

from __future__ import annotations

from typing import Any

from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector

SALES = "11111111-1111-1111-1111-111111111111"
OPS = "22222222-2222-2222-2222-222222222222"
ALICE = "33333333-3333-3333-3333-333333333333"
ROBOT = "44444444-4444-4444-4444-444444444444"


class DictTree:
    label = "test"

    def __init__(self, files: dict[str, str]) -> None:
        self.files = {k: v.encode() for k, v in files.items()}

    def read_bytes(self, path: str) -> bytes:
        return self.files[path]

    def exists(self, path: str) -> bool:
        return path in self.files

    def is_dir(self, path: str) -> bool:
        return any(k.startswith(path.rstrip("/") + "/") for k in self.files)

    def list_dir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted({k[len(prefix) :].split("/")[0] for k in self.files if k.startswith(prefix)})

    def size(self, path: str) -> int:
        return len(self.files[path])


def connector(name: str = "orders", labels: dict[str, str] | None = None, **spec: Any) -> LoadedConnector:
    body: dict[str, Any] = {"definition": {"openapi": "openapi.yaml"}, **spec}
    document = ConnectorDocument.model_validate(
        {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": body,
        }
    )
    return LoadedConnector(
        name=name, folder=f"connectors/{name}", path=f"connectors/{name}/connector.yaml", document=document
    )
