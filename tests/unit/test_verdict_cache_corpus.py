"""The verdict cache gives exactly today's verdicts on every document of the shared corpus.

Every document becomes a connector of one repository (paconn folders, OpenAPI files, Postman
collections, ARM specifications). `validate` and `certify` run three ways — with no usable cache,
cold (filling it) and warm (answered from it) — and the three reports must be identical.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectorops.commands.certify import certify_repository
from connectorops.commands.validate import validate_repository
from connectorops.spec.source import FileSystemTree

CORPUS = Path("/work/shared/corpus")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _connector(root: Path, name: str, definition: dict[str, str]) -> Path:
    folder = root / "connectors" / name
    folder.mkdir(parents=True)
    document = {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": name},
                "spec": {"definition": definition, "backend": {"serviceUrl": "https://api.contoso.com/"}}}  # fmt: skip
    (folder / "connector.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def _corpus_repo(root: Path) -> int:
    (root / "connectors").mkdir(parents=True)
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    count = 0
    for source in sorted(p.parent for p in CORPUS.glob("powerplatformconnectors/*/*/apiDefinition.swagger.json")):
        count += 1
        shutil.copytree(source, _connector(root, f"ppc{count:03d}", {"paconn": "paconn/"}) / "paconn")
    documents = [*sorted(CORPUS.glob("swagger2/*.*")), *sorted(CORPUS.glob("azure-rest-api-specs/*/*.json"))]
    for source in documents:
        if source.suffix not in (".json", ".yaml", ".yml"):
            continue
        count += 1
        shutil.copytree(source.parent, _connector(root, f"oas{count:03d}", {"openapi": "doc/" + source.name}) / "doc")
    for source in sorted(CORPUS.glob("postman/*.json")):
        count += 1
        shutil.copy(source, _connector(root, f"pm{count:03d}", {"postman": "collection.json"}) / "collection.json")
    return count


def _reports(repo: Path) -> dict[str, Any]:
    return {
        "validate": validate_repository(FileSystemTree(repo), repo, None).to_dict(),
        "certify": certify_repository(repo, None, []).to_dict(),
    }


def test_verdicts_with_and_without_the_cache_are_identical(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    count = _corpus_repo(repo)
    cache = repo / ".connectorops" / "cache"
    cache.parent.mkdir()
    cache.write_text("a file where the cache folder would be: nothing can be cached")
    uncached = _reports(repo)
    assert len(uncached["validate"]["connectors"]) == count > 90
    cache.unlink()
    cold = _reports(repo)
    entries = sorted((cache / "verdicts").glob("*.json"))
    assert len(entries) > count  # openapi verdicts and certification findings
    warm = _reports(repo)
    assert sorted((cache / "verdicts").glob("*.json")) == entries  # every verdict came from the cache
    assert json.dumps(cold, sort_keys=True) == json.dumps(uncached, sort_keys=True)
    assert json.dumps(warm, sort_keys=True) == json.dumps(uncached, sort_keys=True)
    # the corpus exercises both verdicts: errors and tolerated warnings, passing and failing certification
    summary = uncached["validate"]["summary"]
    assert summary["errors"] > 0 and summary["warnings"] > 0
    assert {c["passed"] for c in uncached["certify"]["connectors"]} == {True, False}
