"""The verdict cache and the fast proofs give exactly today's verdicts on every document of the shared corpus.

Every document becomes a connector of one repository (paconn folders, OpenAPI files, Postman
collections, ARM specifications). `validate` and `certify` run four ways — openapi-spec-validator
on every document (the fast proofs of openapi_clean switched off) with no usable cache, then the
shipped code with no usable cache, cold (filling it) and warm (answered from it) — and the four
reports must be identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, corpus_repo

from connectorops.commands.certify import certify_repository
from connectorops.commands.validate import validate_repository
from connectorops.definitions import openapi
from connectorops.spec.source import FileSystemTree

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _reports(repo: Path) -> dict[str, Any]:
    return {
        "validate": validate_repository(FileSystemTree(repo), repo, None).to_dict(),
        "certify": certify_repository(repo, None, []).to_dict(),
    }


def test_verdicts_with_and_without_the_cache_and_the_fast_proofs_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    count = corpus_repo(repo)
    cache = repo / ".connectorops" / "cache"
    cache.parent.mkdir()
    cache.write_text("a file where the cache folder would be: nothing can be cached")
    with monkeypatch.context() as reference_only:
        reference_only.setattr(openapi, "schema_pass_clean", lambda swagger: False)
        reference_only.setattr(openapi, "keyword_pass_clean", lambda swagger: False)
        reference = _reports(repo)
    uncached = _reports(repo)
    assert json.dumps(uncached, sort_keys=True) == json.dumps(reference, sort_keys=True)
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
