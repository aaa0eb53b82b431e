"""GitOps numbers: reading a revision from git objects vs the working tree, PR change detection, and the
ARM requests one controller reconcile costs (first apply, then idle) against the emulator.

Prints numbers only; no timing assertions. Run: `pytest -q -s tests/benchmarks/test_gitops_bench.py`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import git
import yaml

from connectorops.emulator.server import EmulatorServer
from connectorops.gitops.reconcile import EngineReconciler
from connectorops.gitops.revisions import changed_paths, touched_connectors, tree_at
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree

CONNECTORS = 100


def _files(name: str) -> dict[str, str]:
    doc = {
        "apiVersion": "connectorops/v1",
        "kind": "Connector",
        "metadata": {"name": name},
        "spec": {"description": f"{name} connector", "definition": {"openapi": "openapi.json"}},
    }
    swagger = {
        "swagger": "2.0",
        "info": {"title": name.title(), "version": "1.0", "description": f"{name} service"},
        "host": f"{name}.contoso.com",
        "basePath": "/api",
        "schemes": ["https"],
        "paths": {
            f"/items{i}": {
                "get": {
                    "operationId": f"GetItems{i}",
                    "summary": f"Get items {i}",
                    "description": "Gets items.",
                    "responses": {"200": {"description": "ok"}},
                }
            }
            for i in range(20)
        },
    }
    return {
        f"connectors/{name}/connector.yaml": yaml.safe_dump(doc),
        f"connectors/{name}/openapi.json": json.dumps(swagger, indent=2),
    }


def _commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_tree_dir or ".")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    repo.index.add(list(files))
    return repo.index.commit(message).hexsha


def _timed(label: str, work: object, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    print(f"{label:<58} {best * 1000:8.1f} ms (best of {repeat})")
    return best


def test_revision_reading_and_change_detection(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "bench")
        cw.set_value("user", "email", "bench@example.com")
    files: dict[str, str] = {"connectorops.yaml": "default: local\nenvironments: {local: {target: local}}\n"}
    for i in range(CONNECTORS):
        files.update(_files(f"conn{i:03d}"))
    base = _commit(repo, files, "base")
    head = _commit(repo, _files("conn042") | {"connectors/conn042/openapi.json": "{}"}, "touch one")
    root = Path(repo.working_tree_dir or ".")

    print()
    _timed(f"load_repository, working tree ({CONNECTORS} connectors)", lambda: load_repository(FileSystemTree(root)))
    _timed(f"load_repository, git objects at {base[:7]}", lambda: load_repository(tree_at(root, base)))
    loaded = load_repository(tree_at(root, head))
    _timed(
        "changed_paths + touched_connectors (1 of 100 touched)",
        lambda: touched_connectors(loaded.connectors, changed_paths(root, base, head)),
    )
    print(f"{'connectors touched':<58} {touched_connectors(loaded.connectors, changed_paths(root, base, head))}")


def test_requests_per_controller_reconcile(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with EmulatorServer() as emulator:
        info = emulator.info
        assert info is not None
        emulator.ensure_resource_group(info.subscription_id, "rg-bench", "westeurope")
        monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
        repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
        with repo.config_writer() as cw:
            cw.set_value("user", "name", "bench")
            cw.set_value("user", "email", "bench@example.com")
        config = {
            "default": "dev",
            "environments": {
                "dev": {
                    "target": "azure", "subscriptionId": info.subscription_id, "resourceGroup": "rg-bench",
                    "location": "westeurope", "armEndpoint": info.base_url, "caBundle": info.ca_path,
                    "credential": "token-env",
                }
            },
        }  # fmt: skip
        files = {"connectorops.yaml": yaml.safe_dump(config)}
        for i in range(CONNECTORS // 2):
            files.update(_files(f"conn{i:03d}"))
        sha = _commit(repo, files, "all")
        root = Path(repo.working_tree_dir or ".")
        reconciler = EngineReconciler(tmp_path / "local", "dev", "bench", lease_ttl=60)
        try:
            print()
            for label in ("first reconcile (creates)", "idle reconcile (no changes)", "idle reconcile again"):
                started = time.perf_counter()
                outcome = reconciler.reconcile(tree_at(root, sha), apply=True, should_stop=lambda: False)
                elapsed = time.perf_counter() - started
                target = reconciler._target
                assert target is not None
                gateway = target.gateway
                counts = dict(gateway.requests.counts)
                gateway.requests.counts.clear()
                total = sum(counts.values())
                print(
                    f"{label:<30} {CONNECTORS // 2} connectors: {elapsed:6.2f} s, {total:4d} requests, "
                    f"{outcome.applied:3d} applied, result {outcome.result}"
                )
                print("    " + ", ".join(f"{v} {t}={n}" for (v, t), n in sorted(counts.items())))
        finally:
            reconciler.close()
