"""The recording tree and validity check shared by validate/certify's remembered verdicts and the plan's
resolution cache (definitions/input_memo.py), and what those two caches hold on disk.

Behaviours only one of the two former copies had are pinned here: plain attributes passed through
(where the definitions cache lives), list_dir answers, a corrupt record never replayed as a call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minimal_repo import CONFIG, CONNECTOR, OPENAPI

from connectorops.commands.certify import certify_repository
from connectorops.commands.validate import remembered_validation
from connectorops.definitions.input_memo import RecordingTree, memoized, still_valid
from connectorops.definitions.resolve import default_cache_dir
from connectorops.definitions.verdict_cache import VerdictCache
from connectorops.engine import resolution_cache
from connectorops.engine.desired import build_desired_state
from connectorops.engine.resolution_cache import CONNECTORS_DIR, ResolutionCache
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ArmPlacement

SECRET = "s3cr3t-client-value-7f1c"  # the value of the variable the connector references
OAUTH = """type: oauth2
    identityProvider: aad
    clientId: 11111111-2222-3333-4444-555555555555
    clientSecret: {env: ORDERS_CLIENT_SECRET}
    resourceUri: https://orders.contoso.com"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """minimal_repo's connector, with an OAuth client secret taken from a variable."""
    root = tmp_path / "repo"
    folder = root / "connectors" / "orders"
    folder.mkdir(parents=True)
    (root / "connectorops.yaml").write_text(CONFIG)
    (folder / "connector.yaml").write_text(CONNECTOR.replace("type: apiKey\n    name: X-Key", OAUTH))
    (folder / "openapi.yaml").write_text(OPENAPI)
    return root


def test_plain_attributes_pass_through_so_the_cache_folder_is_the_trees(repo: Path) -> None:
    tree = FileSystemTree(repo)
    recording = RecordingTree(tree)
    assert default_cache_dir(recording) == default_cache_dir(tree) == tree.root / ".connectorops" / "cache"
    assert recording.reads == []  # reading an attribute is no question
    with pytest.raises(AttributeError, match="only the SourceTree questions"):
        recording._checked  # noqa: B018 - a method of the tree: calling it would read without recording


def test_a_listing_is_recorded_and_a_new_file_in_it_is_another_answer(repo: Path) -> None:
    tree = FileSystemTree(repo)
    recording = RecordingTree(tree)
    assert recording.list_dir("connectors/orders") == ["connector.yaml", "openapi.yaml"]
    assert recording.reads == [["list_dir", "connectors/orders", ["ok", ["connector.yaml", "openapi.yaml"]]]]
    assert still_valid(json.loads(json.dumps(recording.reads)), tree)  # as stored and read back
    (repo / "connectors/orders/icon.png").write_bytes(b"\x89PNG")
    assert not still_valid(recording.reads, tree)


def test_a_failure_is_stored_as_a_digest_not_its_text(repo: Path) -> None:
    recording = RecordingTree(FileSystemTree(repo))
    with pytest.raises(Exception, match="not found"):
        recording.read_bytes("connectors/orders/missing.yaml")
    [[question, path, answer]] = recording.reads
    assert (question, path, answer[0]) == ("read_bytes", "connectors/orders/missing.yaml", "raised")
    assert "not found" not in json.dumps(answer) and len(answer[1]) == 64


@pytest.mark.parametrize(
    "reads",
    [
        {"read_bytes": "connectors/orders/openapi.yaml"},  # not a list
        [["read_bytes", "connectors/orders/openapi.yaml"]],  # no answer
        [["__init__", "connectors/orders", ["ok", None]]],  # not a question: never called
        [["exists", 7, ["ok", True]]],  # a path that is not text
    ],
    ids=["not-a-list", "no-answer", "not-a-question", "path-not-text"],
)
def test_a_malformed_record_is_never_valid(repo: Path, reads: object) -> None:
    assert not still_valid(reads, FileSystemTree(repo))


def test_memoized_computes_again_over_a_corrupt_entry(repo: Path, tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path / "verdicts")
    tree = FileSystemTree(repo)
    calls: list[int] = []

    def compute(source: RecordingTree | FileSystemTree) -> int:
        calls.append(1)
        return len(source.read_bytes("connectors/orders/openapi.yaml"))

    def run() -> int:
        return memoized(cache, "test", ("orders",), tree, compute, encode=lambda v: {"n": v}, decode=lambda v: v["n"])

    assert run() == len(OPENAPI) and run() == len(OPENAPI) and len(calls) == 1  # the second run is a hit
    (entry,) = (tmp_path / "verdicts").glob("*.json")
    for corrupt in ({"asked": "nothing", "value": {"n": 1}}, {"asked": [], "value": {"m": 1}}):
        entry.write_text(json.dumps({"key": entry.stem, "value": corrupt}))
        assert run() == len(OPENAPI)
    assert len(calls) == 3


def test_the_resolution_cache_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo: Path) -> None:
    monkeypatch.setattr(resolution_cache, "MAX_ENTRIES", 10)
    state = build_desired_state(load_repository(FileSystemTree(repo)), "local", placement=_placement(),
                                commit=None, cache_dir=tmp_path / "warm")  # fmt: skip
    (entry,) = (tmp_path / "warm" / CONNECTORS_DIR).glob("*.json")
    cache = ResolutionCache(tmp_path / "bounded")
    resolved = resolution_cache.resolved_from_dict(json.loads(entry.read_text())["value"]["resolved"])
    for number in range(40):
        cache.put(f"{number:064x}", [], resolved, list(state.findings))
    assert len(list((tmp_path / "bounded").glob("*.json"))) <= 10
    assert cache.get(f"{39:064x}", FileSystemTree(repo)) is not None  # the newest entry is kept and readable


def _placement() -> ArmPlacement:
    return ArmPlacement("00000000-0000-0000-0000-000000000000", "rg", "westeurope")


def test_no_cache_holds_a_secret_value_only_its_reference(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_CLIENT_SECRET", SECRET)
    cache = repo / ".connectorops" / "cache"
    for _ in range(2):  # the second runs are hits: nothing new may be written either
        state = build_desired_state(load_repository(FileSystemTree(repo)), "local", placement=_placement(),
                                    commit=None)  # fmt: skip
        assert not state.errors
        assert remembered_validation(repo, None).ok
        assert certify_repository(repo, None, []).connectors
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert list((cache / CONNECTORS_DIR).glob("*.json")) and list((cache / "verdicts").glob("*.json"))
    for path in entries:
        assert SECRET.encode() not in path.read_bytes(), path
    (resolved,) = (cache / CONNECTORS_DIR).glob("*.json")
    refs = json.loads(resolved.read_text())["value"]["resolved"]["secretRefs"]
    assert list(refs.values()) == [{"env": "ORDERS_CLIENT_SECRET"}]  # the reference, for apply to read
