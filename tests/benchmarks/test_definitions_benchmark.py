"""Timings of the definition pipeline on the largest real inputs (printed; no timing asserts)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from connectorops.definitions.documents import parse_json
from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.postman import convert_collection
from connectorops.definitions.resolve import resolve_definition
from connectorops.errors import ConnectoropsError
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree

CORPUS = Path("/work/shared/corpus")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def test_postman_conversion_of_the_largest_collection(capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "postman" / "postman2openapi__twitter-api.postman.json"
    data = path.read_bytes()
    started = time.perf_counter()
    collection, _ = parse_json(data, path.name)
    parsed = time.perf_counter()
    document, _ = convert_collection(collection, file=path.name)
    converted = time.perf_counter()
    problems = validate_openapi(document, path.name, strict=True)
    validated = time.perf_counter()
    with capsys.disabled():
        print(
            f"\npostman {path.name}: {len(data):,} bytes in, {len(json.dumps(document)):,} bytes out; "
            f"parse {parsed - started:.3f}s, convert {converted - parsed:.3f}s, "
            f"validate {validated - converted:.3f}s, problems {len(problems)}"
        )


def test_paconn_corpus_resolution(capsys: pytest.CaptureFixture[str]) -> None:
    root = CORPUS / "powerplatformconnectors"
    tree = FileSystemTree(root)
    timings: list[tuple[float, str, int]] = []
    for group in sorted(p for p in root.iterdir() if p.is_dir()):
        for folder in sorted(p for p in group.iterdir() if p.is_dir()):
            document = ConnectorDocument.model_validate(
                {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": "c"},
                 "spec": {"definition": {"paconn": folder.name}}}
            )  # fmt: skip
            connector = LoadedConnector("c", group.name, f"{group.name}/connector.yaml", document)
            started = time.perf_counter()
            try:
                operations = resolve_definition(connector, tree, "local", cache_dir=Path("/none")).operation_count
            except ConnectoropsError:  # the three shipped-invalid folders
                operations = -1
            timings.append((time.perf_counter() - started, folder.name, operations))
    timings.sort(reverse=True)
    total = sum(t for t, _, _ in timings)
    with capsys.disabled():
        print(f"\npaconn corpus: {len(timings)} folders in {total:.2f}s; slowest:")
        for seconds, name, operations in timings[:3]:
            print(f"  {seconds:.3f}s {name} ({operations} operations)")
