"""How fast the spec layer is: YAML loading, bomb refusal, a repository of many connectors. Prints numbers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from connectorops.errors import SpecError
from connectorops.spec.loader import load_repository, load_yaml
from connectorops.spec.source import FileSystemTree

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "swagger2" / "go-swagger__gitea.json"


def _timed(label: str, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed * 1000:.1f} ms")
    return elapsed


def test_bench_yaml_load_of_a_large_openapi_document() -> None:
    fallback = {"paths": {f"/p{i}": {"get": {"responses": {"200": {}}}} for i in range(3000)}}
    document = json.loads(CORPUS.read_text()) if CORPUS.exists() else fallback
    text = yaml.safe_dump(document, sort_keys=False).encode()
    located = _timed(f"load_yaml {len(text):,} bytes", lambda: load_yaml(text, "openapi.yaml"))
    plain = _timed("yaml.safe_load (reference, no locations/checks)", lambda: yaml.safe_load(text))
    print(f"overhead: {located / plain:.2f}x")


def test_bench_alias_bomb_refusal() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = ("\n".join(lines) + "\n").encode()

    def refuse() -> None:
        try:
            load_yaml(bomb, "bomb.yaml")
        except SpecError:
            return
        raise AssertionError("bomb accepted")

    _timed("9-level billion laughs refused", refuse)
    deep = b"[" * 100_000 + b"]" * 100_000
    _timed("100,000-deep nesting refused", lambda: _expect_error(deep))


def _expect_error(data: bytes) -> None:
    try:
        load_yaml(data, "deep.yaml")
    except SpecError:
        return
    raise AssertionError("accepted")


def test_bench_load_repository_with_200_connectors(tmp_path: Path) -> None:
    for index in range(200):
        folder = tmp_path / "connectors" / f"c{index:03d}"
        folder.mkdir(parents=True)
        (folder / "connector.yaml").write_text(
            f"apiVersion: connectorops/v1\nkind: Connector\nmetadata: {{name: c{index:03d}}}\n"
            "spec:\n  definition: {openapi: openapi.yaml}\n  auth: {type: apiKey, name: X-Key}\n"
            "  sharing: [{principal: ops, role: use}]\n  environments: {local: {displayName: X}}\n"
        )
    repo = None

    def load() -> None:
        nonlocal repo
        repo = load_repository(FileSystemTree(tmp_path))

    elapsed = _timed("load_repository, 200 connectors", load)
    assert repo is not None and len(repo.connectors) == 200
    print(f"per connector: {elapsed / 200 * 1000:.2f} ms")
