"""Real OpenAPI 2.0 files (shared/corpus/swagger2): each loads and validates, or fails naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from definitions_support import connector_at

from connectorops.definitions.resolve import resolve_definition
from connectorops.errors import DefinitionError, Severity

CORPUS = Path("/work/shared/corpus/swagger2")
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".json", ".yaml", ".yml")) if CORPUS.is_dir() else []
# Operation counts and first security type, counted from each file with PyYAML (not our loader).
EXPECTED = {
    "apisguru__nytimes_top_stories_v2.swagger.yaml": (1, "apiKey"),
    "go-swagger__gitea.json": (160, "apiKey"),
    "go-swagger__tasklist.basic.yml": (8, "apiKey"),
    "oai__api-with-examples.yaml": (2, "none"),
    "oai__petstore-expanded.yaml": (4, "none"),
    "oai__uber.json": (5, "none"),
    "openapi-to-postman__xml_example.yaml": (2, "apiKey"),
}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def test_every_file_is_classified() -> None:
    assert set(FILES) == set(EXPECTED) | {"zally__swagger2_fashionstore.json"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_loads_and_validates(name: str, tmp_path: Path) -> None:
    spec = {"definition": {"openapi": name}, "backend": {"serviceUrl": "https://api.example.com"}}
    connector, tree = connector_at(tmp_path, spec, {name: (CORPUS / name).read_bytes()})
    resolved = resolve_definition(connector, tree, "local")
    assert (resolved.operation_count, resolved.auth_kind) == EXPECTED[name]
    assert all(w.severity != Severity.ERROR for w in resolved.warnings)


def test_zally_fashionstore_refs_a_url_and_says_so(tmp_path: Path) -> None:
    name = "zally__swagger2_fashionstore.json"
    connector, tree = connector_at(tmp_path, {"definition": {"openapi": name}}, {name: (CORPUS / name).read_bytes()})
    with pytest.raises(DefinitionError) as caught:
        resolve_definition(connector, tree, "local")
    assert "https://zalando.github.io/problem/schema.yaml" in caught.value.problem.message
    assert caught.value.problem.code == "RefToUrl"
