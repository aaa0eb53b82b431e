"""Remembered spec documents (spec/remembered.py): rebuilt without validation, they are the objects validation gives.

Proved over every connector.yaml/connectorops.yaml of this repository and the scaffold, a document per
corpus paconn folder, and documents that use every model (each auth kind, secret references, overrides,
every environment target); then through the loader: a hit, an edit, an invalid document, a corrupt entry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from connectorops.definitions.verdict_cache import VerdictCache, validated_memo
from connectorops.spec.loader import load_repository
from connectorops.spec.models import ConnectorDocument, ProjectConfig
from connectorops.spec.remembered import (
    ValidatedMemo,
    active_memo,
    decode,
    encode,
    remember_validated,
)
from connectorops.spec.source import FileSystemTree

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
SECRET = {"keyVault": {"vault": "kv-orders", "secret": "orders-secret", "version": "abc"}}
RICH_CONNECTOR: dict[str, Any] = {
    "apiVersion": "connectorops/v1",
    "kind": "Connector",
    "metadata": {"name": "rich", "labels": {"team": "sales", "tier": "1"}},
    "spec": {
        "displayName": "Rich",
        "icon": "icon.png",
        "brandColor": "#0F6CBD",
        "definition": {"postman": "collection.json", "variables": {"base": "https://x.contoso.com"}},
        "backend": {"serviceUrl": "https://rich.contoso.com/api"},
        "auth": {"type": "oauth2", "identityProvider": "aad", "clientId": "c", "clientSecret": SECRET,
                 "resourceUri": "api://rich", "scopes": ["a", "b"]},
        "environments": {
            "dev": {"auth": {"clientId": "d", "clientSecret": {"env": "DEV_SECRET"}}, "sharing": [],
                    "strip": ["customCode"], "lifecycle": {"deletion": "orphan"}},
            "prod": {"displayName": "Rich (prod)", "backend": {"serviceUrl": "https://prod.contoso.com"}},
        },
        "sharing": [{"principal": "sales", "role": "use"}],
        "certification": {"publisher": "Contoso", "knownIssues": "none"},
        "strip": ["policyTemplates", "connectionParameterSets"],
        "connectionParameterSet": "oauth",
    },
}  # fmt: skip
AUTHS: list[dict[str, Any]] = [
    {"type": "none"},
    {"type": "basic", "usernameLabel": "User"},
    {"type": "apiKey", "name": "X-Key", "in": "query"},
    {"type": "oauth2", "identityProvider": "oauth2generic", "clientId": "c", "authorizationUrl": "https://a",
     "tokenUrl": "https://t", "redirectMode": "Direct"},
]  # fmt: skip
CONFIGS: list[dict[str, Any]] = [
    {},
    {"default": "dev", "environments": {
        "dev": {"target": "local", "platform": "powerplatform", "stateDir": "state"},
        "azure": {"target": "azure", "subscriptionId": "00000000-0000-0000-0000-000000000000",
                  "resourceGroup": "rg", "location": "westeurope", "credential": "token-env", "mode": "pulumi"},
        "makers": {"target": "powerplatform", "environmentId": "Default-00000000-0000-0000-0000-000000000000"},
    }},
]  # fmt: skip


def _documents() -> list[tuple[type[BaseModel], Any]]:
    found: list[tuple[type[BaseModel], Any]] = []
    for path in [*ROOT.glob("connectors/*/connector.yaml"), *ROOT.glob("src/connectorops/scaffold/**/connector.yaml")]:
        found.append((ConnectorDocument, yaml.safe_load(path.read_text())))
    for path in [ROOT / "connectorops.yaml", *ROOT.glob("src/connectorops/scaffold/**/connectorops.yaml")]:
        found.append((ProjectConfig, yaml.safe_load(path.read_text())))
    for folder in sorted(p.parent for p in CORPUS.glob("*/*/apiDefinition.swagger.json"))[:100]:
        name = re.sub(r"[^a-z0-9-]+", "-", folder.name.lower())[:60].strip("-") or "x"
        document = {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": "c" + name},
                    "spec": {"displayName": folder.name, "definition": {"paconn": "paconn/"}}}  # fmt: skip
        found.append((ConnectorDocument, document))
    found.append((ConnectorDocument, RICH_CONNECTOR))
    for auth in AUTHS:
        found.append((ConnectorDocument, {**RICH_CONNECTOR, "spec": {**RICH_CONNECTOR["spec"], "auth": auth,
                                                                     "environments": {}}}))  # fmt: skip
    found += [(ProjectConfig, config) for config in CONFIGS]
    return found


def _same(rebuilt: Any, validated: Any, where: str = "") -> None:
    """The same object: exact types all the way down, equal values, and the same fields set."""
    assert type(rebuilt) is type(validated), where
    if isinstance(validated, BaseModel):
        assert rebuilt.model_fields_set == validated.model_fields_set, where
        assert list(rebuilt.__dict__) == list(validated.__dict__), where
        assert rebuilt.__pydantic_extra__ == validated.__pydantic_extra__, where
        assert rebuilt.__pydantic_private__ == validated.__pydantic_private__, where
        for name in type(validated).model_fields:
            _same(getattr(rebuilt, name), getattr(validated, name), f"{where}.{name}")
    elif isinstance(validated, list):
        assert len(rebuilt) == len(validated), where
        for index, (a, b) in enumerate(zip(rebuilt, validated, strict=True)):
            _same(a, b, f"{where}[{index}]")
    elif isinstance(validated, dict):
        assert list(rebuilt) == list(validated), where
        for key in validated:
            _same(rebuilt[key], validated[key], f"{where}.{key}")
    else:
        assert rebuilt == validated, where


def test_a_rebuilt_document_is_the_object_validation_gives() -> None:
    documents = _documents()
    assert len(documents) > 60 and CORPUS.is_dir()
    models = {f"{c.__module__}.{c.__qualname__}": c for c in _all_models()}
    for model, data in documents:
        validated = model.model_validate(data)
        stored = json.loads(json.dumps(encode(validated)))  # as the cache stores it
        rebuilt = decode(stored, models)
        _same(rebuilt, validated, model.__name__)
        assert rebuilt == validated
        assert rebuilt.model_dump() == validated.model_dump()
        assert rebuilt.model_dump_json(by_alias=True) == validated.model_dump_json(by_alias=True)
        if isinstance(validated, ConnectorDocument):
            for environment in ("dev", "prod", "other"):
                _same(rebuilt.for_environment(environment), validated.for_environment(environment), environment)


def _all_models() -> list[type[BaseModel]]:
    pending, found = [ConnectorDocument.__mro__[1]], []
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _repo(root: Path, connector: dict[str, Any]) -> Path:
    (root / "connectors" / "rich").mkdir(parents=True)
    config = "default: dev\nenvironments:\n  dev: {target: local}\n  prod: {target: local}\n"
    (root / "connectorops.yaml").write_text(config)
    (root / "connectors" / "rich" / "connector.yaml").write_text(yaml.safe_dump(connector))
    return root


@pytest.fixture
def memo(tmp_path: Path) -> Any:
    counts = {"get": 0, "hit": 0, "put": 0}
    (tmp_path / "cache").mkdir()
    inner = validated_memo(tmp_path / "cache")

    def get(key: str) -> Any:
        counts["get"] += 1
        value = inner.get(key)
        counts["hit"] += value is not None
        return value

    def put(key: str, value: Any) -> None:
        counts["put"] += 1
        inner.put(key, value)

    remember_validated(ValidatedMemo(key=inner.key, get=get, put=put))
    yield counts
    remember_validated(None)
    assert active_memo() is None


def test_the_loader_remembers_valid_documents_and_gives_the_same_repository(tmp_path: Path, memo: Any) -> None:
    repo = _repo(tmp_path / "repo", RICH_CONNECTOR)
    first = load_repository(FileSystemTree(repo))
    assert memo == {"get": 2, "hit": 0, "put": 2} and not first.problems
    second = load_repository(FileSystemTree(repo))
    assert memo == {"get": 4, "hit": 2, "put": 2}
    _same(second.connectors[0].document, first.connectors[0].document)
    _same(second.config, first.config)
    # an edit is another key: validated (and remembered) afresh
    edited = {**RICH_CONNECTOR, "metadata": {"name": "rich", "labels": {"team": "ops"}}}
    (repo / "connectors" / "rich" / "connector.yaml").write_text(yaml.safe_dump(edited))
    third = load_repository(FileSystemTree(repo))
    assert third.connectors[0].document.metadata.labels == {"team": "ops"} and memo["put"] == 3


def test_an_invalid_document_is_never_remembered_and_reports_its_problems_each_time(tmp_path: Path, memo: Any) -> None:
    broken = {**RICH_CONNECTOR, "spec": {**RICH_CONNECTOR["spec"], "brandColor": "blue"}}
    repo = _repo(tmp_path / "repo", broken)
    for _ in range(2):
        problems = load_repository(FileSystemTree(repo)).errors
        assert [p.field for p in problems] == ["spec.brandColor"] and problems[0].line is not None
    # looked up each time, never remembered; connectorops.yaml: remembered once, then a hit
    assert memo == {"get": 4, "hit": 1, "put": 1}


def test_nothing_is_remembered_where_no_run_made_a_cache_folder(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", RICH_CONNECTOR)
    remember_validated(validated_memo(repo / ".connectorops" / "cache"))
    try:
        assert not load_repository(FileSystemTree(repo)).problems
    finally:
        remember_validated(None)
    assert not (repo / ".connectorops").exists()


def test_a_corrupt_or_foreign_entry_is_validated_again(tmp_path: Path, memo: Any) -> None:
    repo = _repo(tmp_path / "repo", RICH_CONNECTOR)
    expected = load_repository(FileSystemTree(repo)).connectors[0].document
    entries = VerdictCache(tmp_path / "cache" / "documents")
    for path in sorted(entries.directory.glob("*.json")):
        entry = json.loads(path.read_text())
        if entry["value"]["m"].endswith("ConnectorDocument"):
            entry["value"]["f"]["spec"]["m"] = "connectorops.spec.models.NoSuchModel"
            path.write_text(json.dumps(entry))
    again = load_repository(FileSystemTree(repo)).connectors[0].document
    _same(again, expected)


def test_a_large_repository_validates_its_connectors_instead_of_recalling_them(
    tmp_path: Path, memo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_RECALLED_DOCUMENTS, building the validators once is cheaper than recalling each document."""
    from connectorops.spec import remembered

    repo = _repo(tmp_path / "repo", RICH_CONNECTOR)
    other = {**RICH_CONNECTOR, "metadata": {"name": "other"}}
    (repo / "connectors" / "other").mkdir()
    (repo / "connectors" / "other" / "connector.yaml").write_text(yaml.safe_dump(other))
    monkeypatch.setattr(remembered, "MAX_RECALLED_DOCUMENTS", 1)
    loaded = load_repository(FileSystemTree(repo))
    assert [c.name for c in loaded.connectors] == ["other", "rich"] and not loaded.problems
    assert memo == {"get": 1, "hit": 0, "put": 1}  # connectorops.yaml only
    assert remembered.active_memo() is not None  # restored after the connectors
