"""`validate` and `certify` throughput over Microsoft's public connectors, cold and warm cache (issue 13).

One process, one thread: connectors/s is per core. Cold: .connectorops/cache emptied before each
run (modules already imported); warm: files unchanged since the previous run.
Same-run baselines: the cold run with openapi-spec-validator judging every document (the fast
proofs of openapi_clean switched off: the code before them), and openapi-spec-validator alone over
the same documents (validate only).
Goals: >= 50 connectors/s cold, >= 500/s warm, for both commands.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from speed_support import CORPUS, corpus_repo, record, summary, timed

from connectorops.commands.certify import certify_repository
from connectorops.commands.validate import validate_repository
from connectorops.definitions import openapi
from connectorops.spec.source import FileSystemTree

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _validator_alone(repo: Path) -> float:
    from openapi_spec_validator import OpenAPIV2SpecValidator

    documents = []
    for path in sorted(repo.glob("connectors/*/paconn/apiDefinition.swagger.json")):
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8-sig")))
        except ValueError:
            continue
    started = time.perf_counter()
    for document in documents:
        validator = OpenAPIV2SpecValidator(document)
        list(validator.schema_validator.iter_errors(document))
        list(validator.root_validator(validator.schema_path))
    return len(documents) / (time.perf_counter() - started)


@pytest.mark.parametrize("command", ["validate", "certify"])
def test_corpus_throughput(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    repo, count = corpus_repo(tmp_path / "repo")
    cache = repo / ".connectorops" / "cache"

    def run() -> None:
        if command == "validate":
            report = validate_repository(FileSystemTree(repo), repo, None)
            assert len(report.connectors) == count
        else:
            certified = certify_repository(repo, None, [])
            assert certified.to_dict()  # every connector judged (a broken one as a problem)

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        run()

    cold()  # imports
    colds, cold_cpu = timed(cold, 3, children=False)
    run()
    warms, warm_cpu = timed(run, 3, children=False)
    with monkeypatch.context() as reference_only:
        reference_only.setattr(openapi, "schema_pass_clean", lambda swagger: False)
        reference_only.setattr(openapi, "keyword_pass_clean", lambda swagger: False)
        reference_cpu = timed(cold, 1, children=False)[1]
    cold_rate, warm_rate = count / min(colds), count / min(warms)
    floor = _validator_alone(repo) if command == "validate" else None
    record(
        f"{command} throughput",
        n=count,
        cold_s=summary(colds),
        warm_s=summary(warms),
        cold_per_s=round(cold_rate, 1),
        warm_per_s=round(warm_rate, 1),
        cold_per_cpu_s=round(count / min(cold_cpu), 1),
        warm_per_cpu_s=round(count / min(warm_cpu), 1),
        reference_cold_per_cpu_s=round(count / min(reference_cpu), 1),
        cold_speedup_cpu=round(min(reference_cpu) / min(cold_cpu), 2),
        openapi_spec_validator_alone_per_s=round(floor, 1) if floor else None,
        target="cold >= 50/s, warm >= 500/s",
        met=cold_rate >= 50 and warm_rate >= 500,
        met_in_cpu_time=count / min(cold_cpu) >= 50 and count / min(warm_cpu) >= 500,
    )
