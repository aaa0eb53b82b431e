"""The verdict cache never changes a verdict: every input it depends on is part of its key.

Each test first proves the cache is consulted (a planted entry shows up in the result), then
edits one input — the definition, a $ref'd file, the tool version, a rule's source, the
certification policy — and checks the planted verdict is gone and the fresh one is exact.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import connectorops
from connectorops.commands.certify import certify_repository
from connectorops.commands.validate import validate_repository
from connectorops.definitions import verdict_cache
from connectorops.definitions.resolve import resolve_definition
from connectorops.definitions.verdict_cache import VerdictCache, tool_fingerprint, verdict_key
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree

POISON = "planted verdict"
CONNECTOR = """\
apiVersion: connectorops/v1
kind: Connector
metadata: {name: pets}
spec:
  displayName: Pets
  description: Read and list the pets in the store.
  definition: {openapi: openapi.json}
"""


def _openapi(summary: str = "List pets") -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": "Pets", "description": "Read and list the pets in the store.", "version": "1.0"},
        "host": "pets.example.com",
        "basePath": "/v1",
        "schemes": ["https"],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "ListPets",
                    "summary": summary,
                    "description": "Lists the pets.",
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "models.json#/Pet"}}},
                }
            }
        },
    }


def _repo(root: Path) -> Path:
    folder = root / "connectors" / "pets"
    folder.mkdir(parents=True)
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    (folder / "connector.yaml").write_text(CONNECTOR)
    (folder / "openapi.json").write_text(json.dumps(_openapi()))
    (folder / "models.json").write_text(json.dumps({"Pet": {"type": "object", "default": {"name": 1},
                                                            "properties": {"name": {"type": "string"}}}}))  # fmt: skip
    return root


def _entries(repo: Path) -> list[Path]:
    return sorted((repo / ".connectorops" / "cache" / "verdicts").glob("*.json"))


def _plant(repo: Path, kind: str) -> int:
    """Replace every cached verdict of `kind` (openapi problems / certification findings) by a planted one.

    Both layers: the document verdicts and the per-connector entries remembered with the files they read.
    """
    planted = 0
    problem = {"severity": "warning", "message": POISON, "file": "connectors/pets/openapi.json"}
    for path in _entries(repo):
        entry = json.loads(path.read_text())
        value = entry["value"]
        remembered = value.get("value") if isinstance(value, dict) and "asked" in value else None
        findings = remembered["findings"] if remembered and "findings" in remembered else value
        is_findings = isinstance(findings, list) and bool(findings) and "ruleId" in findings[0]
        if kind == "certification" and is_findings:
            findings[:] = [{**findings[0], "ruleId": "TitleTooLong", "message": POISON, "enforcement": "advisory"}]
        elif kind == "openapi" and remembered and "problems" in remembered and "findings" not in remembered:
            remembered["problems"] = [problem]
        elif kind == "openapi" and isinstance(value, list) and not is_findings:
            entry["value"] = [problem]
        else:
            continue
        path.write_text(json.dumps(entry))
        planted += 1
    assert planted, f"no {kind} verdict was cached"
    return planted


def _validate(repo: Path) -> dict[str, Any]:
    return validate_repository(FileSystemTree(repo), repo, None).to_dict()


def _uncached(repo: Path) -> dict[str, Any]:
    shutil.rmtree(repo / ".connectorops" / "cache", ignore_errors=True)
    return _validate(repo)


def test_a_cached_verdict_is_served_and_equals_the_fresh_one(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    fresh = _validate(repo)
    assert fresh["summary"]["warnings"] >= 1  # the default value that breaks its schema (models.json)
    assert _validate(repo) == fresh  # from the cache
    _plant(repo, "openapi")
    assert POISON in json.dumps(_validate(repo))  # proof the cache is read


def test_editing_the_definition_invalidates(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _validate(repo)
    _plant(repo, "openapi")
    (repo / "connectors/pets/openapi.json").write_text(json.dumps(_openapi("List every pet")))
    after = _validate(repo)
    assert POISON not in json.dumps(after)
    assert after == _uncached(repo)


def test_editing_a_referenced_file_invalidates(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    before = _validate(repo)
    _plant(repo, "openapi")
    (repo / "connectors/pets/models.json").write_text(json.dumps({"Pet": {"type": "object"}}))
    after = _validate(repo)
    assert POISON not in json.dumps(after)
    assert after["summary"]["warnings"] < before["summary"]["warnings"]  # the bad default is gone
    assert after == _uncached(repo)


@pytest.mark.parametrize("upgrade", ["connectorops", "openapi-spec-validator"])
def test_another_tool_version_invalidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upgrade: str) -> None:
    repo = _repo(tmp_path)
    fresh = _validate(repo)
    _plant(repo, "openapi")
    real_versions = verdict_cache.tool_versions
    if upgrade == "connectorops":
        monkeypatch.setattr(connectorops, "__version__", "999.0")
    else:
        monkeypatch.setattr(verdict_cache, "tool_versions", lambda: {**real_versions(), upgrade: "999.0"})
    tool_fingerprint.cache_clear()
    try:
        assert _validate(repo) == fresh
    finally:
        tool_fingerprint.cache_clear()


def test_editing_a_rule_changes_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = Path(verdict_cache.__file__).resolve().parents[1]
    copy = tmp_path / "connectorops"
    for relative in verdict_cache.RULE_SOURCES:
        source = package / relative
        if source.is_dir():
            shutil.copytree(source, copy / relative)
        else:
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / relative)
    monkeypatch.setattr(verdict_cache, "_PACKAGE", copy)
    tool_fingerprint.cache_clear()
    try:
        before = verdict_key("openapi", _openapi(), "f")
        rules = copy / "policy/certification/text_rules.py"
        rules.write_text(rules.read_text() + "\n# a changed rule\n")
        tool_fingerprint.cache_clear()
        assert verdict_key("openapi", _openapi(), "f") != before
    finally:
        tool_fingerprint.cache_clear()


def test_editing_the_certification_policy_applies_over_cached_findings(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    certify_repository(repo, None, [])
    _plant(repo, "certification")
    planted = certify_repository(repo, None, []).to_dict()
    assert POISON in json.dumps(planted)  # the cached (planted) findings are used...
    policy = repo / "policies" / "certification.yaml"
    policy.parent.mkdir()
    policy.write_text("apiVersion: connectorops/v1\nkind: CertificationPolicy\nrules: {TitleTooLong: mandatory}\n")
    report = certify_repository(repo, None, [])
    found = [f for c in report.connectors for f in c.findings if f.message == POISON]
    assert [f.enforcement for f in found] == ["mandatory"]  # ...but the edited policy decides, every run
    assert not report.passed


def test_yaml_types_are_part_of_the_key() -> None:
    assert verdict_key("openapi", {"r": {200: {}}}, "f") != verdict_key("openapi", {"r": {"200": {}}}, "f")
    assert verdict_key("openapi", {"required": True}, "f") != verdict_key("openapi", {"required": 1}, "f")


def test_the_key_depends_on_values_not_on_shared_objects() -> None:
    # A document parsed from YAML shares its repeated key strings; read back from JSON it does not.
    # Pickle's memo wrote the two differently, so the second run of a command judged everything again.
    from connectorops.spec.yaml_located import load_yaml

    parsed, _ = load_yaml(b"paths:\n  /a: {get: {summary: s}}\n  /b: {get: {summary: s}}\n", "openapi.yaml")
    copied = json.loads(json.dumps(parsed))
    shared = {"x": [parsed["paths"]["/a"], parsed["paths"]["/a"]]}
    assert verdict_key("openapi", parsed, "f") == verdict_key("openapi", copied, "f")
    assert verdict_key("openapi", shared, "f") == verdict_key("openapi", json.loads(json.dumps(shared)), "f")


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"key": "other", "value": []}', b'{"key": "K", "value": 3}'])
def test_a_corrupt_entry_is_ignored(tmp_path: Path, garbage: bytes) -> None:
    repo = _repo(tmp_path)
    fresh = _validate(repo)
    for path in _entries(repo):
        path.write_bytes(garbage.replace(b"K", path.stem.encode()))
    assert _validate(repo) == fresh


def test_a_hostile_entry_is_a_miss_never_a_hang_or_a_traceback(tmp_path: Path) -> None:
    """A cache folder may come with a checkout: a FIFO, a deeply nested or an oversized file in it."""
    cache = VerdictCache(tmp_path / "cache", max_entry_bytes=1024)
    cache.put("nested", {"ok": True})
    cache.put("fifo", {"ok": True})
    cache.put("big", {"ok": True})
    assert cache.get("nested") == {"ok": True}
    (tmp_path / "cache" / "nested.json").write_text('{"key": "nested", "value": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "cache" / "fifo.json").unlink()
    os.mkfifo(tmp_path / "cache" / "fifo.json")  # no writer: a plain open() would block forever
    (tmp_path / "cache" / "big.json").write_text('{"key": "big", "value": "' + "x" * 2048 + '"}')
    assert [cache.get(key) for key in ("nested", "fifo", "big")] == [None, None, None]


def test_the_cache_stays_bounded_and_keeps_recent_entries(tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path, max_entries=20)
    keys = [f"{i:064x}" for i in range(200)]
    for key in keys:
        cache.put(key, [key])
    assert len(list(tmp_path.glob("*.json"))) <= cache.max_entries + cache.check_every
    assert cache.get(keys[-1]) == [keys[-1]]
    assert cache.get(keys[0]) is None


def _hammer(directory: str, worker: int) -> list[str]:
    cache = VerdictCache(Path(directory), max_entries=50)
    seen = []
    value = ["x" * 5000] * 20  # large enough that a torn write would show
    for i in range(150):
        key = f"{i % 30:064x}"
        cache.put(key, value)
        got = cache.get(key)
        if got is not None and got != value:
            seen.append(f"worker {worker} read a torn entry {key}")
    return seen


def test_concurrent_processes_never_read_a_torn_entry(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.starmap(_hammer, [(str(tmp_path), n) for n in range(3)])
    assert results == [[], [], []]
    assert not list(tmp_path.glob("*.part"))


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    cache = VerdictCache(blocked / "verdicts")
    cache.put("k" * 64, [1])
    assert cache.get("k" * 64) is None


def test_a_parsed_yaml_definition_is_reused_until_its_bytes_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    folder = repo / "connectors/pets"
    (folder / "openapi.json").unlink()
    (folder / "openapi.yaml").write_text(yaml.safe_dump(_openapi()))
    (folder / "connector.yaml").write_text(CONNECTOR.replace("openapi.json", "openapi.yaml"))

    def title() -> str:
        repository = load_repository(FileSystemTree(repo))
        resolved = resolve_definition(repository.connectors[0], repository.tree, "local")
        return str(resolved.swagger["info"]["title"])

    assert title() == "Pets"
    [entry_path] = [p for p in _entries(repo) if json.loads(p.read_text())["value"].__class__ is dict]
    entry = json.loads(entry_path.read_text())
    entry["value"]["info"]["title"] = POISON
    entry_path.write_text(json.dumps(entry))
    assert title() == POISON  # the parse came from the cache
    document = _openapi()
    document["info"]["title"] = "Pets v2"
    (folder / "openapi.yaml").write_text(yaml.safe_dump(document))
    assert title() == "Pets v2"  # new bytes, new parse


# --- a connector's verdict remembered with the files it read (definitions/input_memo.py) ----------


def _plant_remembered(repo: Path) -> None:
    """Poison only the per-connector entries: a result showing POISON was answered without resolving."""
    planted = 0
    for path in _entries(repo):
        entry = json.loads(path.read_text())
        if isinstance(entry["value"], dict) and "asked" in entry["value"]:
            remembered = entry["value"]["value"]
            if "findings" in remembered:
                remembered["findings"] = [{"ruleId": "TitleTooLong", "message": POISON, "enforcement": "advisory",
                                           "severity": "warning",
                                           "file": "connectors/pets/openapi.json", "pointer": "/info/title",
                                           "hint": "h"}]  # fmt: skip
            else:
                remembered["problems"] = [{"severity": "warning", "message": POISON, "file": "connectors/pets/x"}]
            path.write_text(json.dumps(entry))
            planted += 1
    assert planted


def _edit_connector_yaml(repo: Path) -> None:
    path = repo / "connectors/pets/connector.yaml"
    path.write_text(path.read_text().replace("Read and list the pets", "Read and list all the pets"))


def _add_default_icon(repo: Path) -> None:
    (repo / "connectors/pets/icon.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # a file that was absent


def _delete_referenced_file(repo: Path) -> None:
    (repo / "connectors/pets/models.json").unlink()


def _edit_the_definition(repo: Path) -> None:
    (repo / "connectors/pets/openapi.json").write_text(json.dumps(_openapi("List every pet")))


EDITS = [_edit_connector_yaml, _add_default_icon, _delete_referenced_file, _edit_the_definition]


@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__.strip("_"))
def test_a_remembered_connector_verdict_is_served_until_any_input_changes(tmp_path: Path, edit: Any) -> None:
    repo = _repo(tmp_path)
    _validate(repo)
    certify_repository(repo, None, [])
    _plant_remembered(repo)
    assert POISON in json.dumps(_validate(repo))  # warm: nothing was parsed or validated
    assert POISON in json.dumps(certify_repository(repo, None, []).to_dict())
    edit(repo)
    validated, certified = _validate(repo), certify_repository(repo, None, []).to_dict()
    assert POISON not in json.dumps(validated) and POISON not in json.dumps(certified)
    assert validated == _uncached(repo)
    assert certified == certify_repository(repo, None, []).to_dict()


def test_a_change_to_any_code_changes_the_remembered_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = Path(verdict_cache.__file__).resolve().parents[1]
    copy = tmp_path / "connectorops"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(verdict_cache, "_PACKAGE", copy)
    verdict_cache.code_fingerprint.cache_clear()
    try:
        before = verdict_cache.code_fingerprint()
        auth = copy / "definitions/auth.py"  # not a rule: only the per-connector verdicts depend on it
        auth.write_text(auth.read_text() + "\n# changed\n")
        verdict_cache.code_fingerprint.cache_clear()
        assert verdict_cache.code_fingerprint() != before
        # an edit of the same size (one character for another) shows in the modification time, as for a .pyc
        edited = verdict_cache.code_fingerprint()
        rules = copy / "policy/certification/text_rules.py"
        stat = rules.stat()
        rules.write_text(rules.read_text().replace("e", "E", 1))
        os.utime(rules, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert rules.stat().st_size == stat.st_size
        verdict_cache.code_fingerprint.cache_clear()
        assert verdict_cache.code_fingerprint() != edited
    finally:
        verdict_cache.code_fingerprint.cache_clear()


def test_tool_versions_read_from_the_metadata_header_are_importlib_metadatas_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib import metadata

    names = (*verdict_cache.VALIDATOR_DISTRIBUTIONS, "pydantic", "rich", "no-such-distribution-xyz")
    monkeypatch.setattr(verdict_cache, "VALIDATOR_DISTRIBUTIONS", names)
    expected: dict[str, str] = {}
    for name in names:
        try:
            expected[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected[name] = ""
    versions = verdict_cache.tool_versions()
    assert {name: versions[name] for name in names} == expected
    assert expected["pydantic"] and expected["no-such-distribution-xyz"] == ""
