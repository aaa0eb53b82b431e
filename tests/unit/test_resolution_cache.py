"""The per-connector resolution cache never changes the desired state: anything resolving read is checked.

Each test first proves the cache is consulted (a value planted in the entry shows up in the desired
state), then changes one input — the definition, a $ref'd file, a file that did not exist, connector.yaml,
the certification policy — and checks the planted value is gone and the state equals one built without
any cache.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from connectorops.definitions.input_memo import RecordingTree, still_valid
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.resolution_cache import CONNECTORS_DIR
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ArmPlacement

PLANTED = "Planted by the test"
CONNECTOR = """\
apiVersion: connectorops/v1
kind: Connector
metadata: {name: pets}
spec:
  description: Read and list the pets in the store.
  definition: {openapi: openapi.yaml}
"""
OPENAPI = """\
swagger: "2.0"
info: {title: Pets, description: Read and list the pets in the store., version: "1.0"}
host: pets.example.com
basePath: /v1
schemes: [https]
paths:
  /pets:
    get:
      operationId: ListPets
      summary: List pets
      description: Lists the pets.
      responses: {"200": {description: ok, schema: {$ref: "models.yaml#/Pet"}}}
"""
MODELS = "Pet: {type: object, properties: {name: {type: string}}}\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _repo(root: Path) -> Path:
    folder = root / "connectors" / "pets"
    folder.mkdir(parents=True)
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    (folder / "connector.yaml").write_text(CONNECTOR)
    (folder / "openapi.yaml").write_text(OPENAPI)
    (folder / "models.yaml").write_text(MODELS)
    return root


def _state(repo: Path, cache: Path) -> DesiredState:
    return build_desired_state(
        load_repository(FileSystemTree(repo)),
        "local",
        placement=ArmPlacement("00000000-0000-0000-0000-000000000000", "rg", "westeurope"),
        commit=None,
        cache_dir=cache,
    )


def _plant(cache: Path) -> None:
    """Rewrite the one entry's swagger title: the display name shows whether the entry was used."""
    (entry,) = (cache / CONNECTORS_DIR).glob("*.json")
    data = json.loads(entry.read_text())
    data["value"]["resolved"]["swagger"]["info"]["title"] = PLANTED
    entry.write_text(json.dumps(data))


def _display_name(state: DesiredState) -> str:
    return str(state.custom_apis[0].body["properties"]["displayName"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _repo(tmp_path / "repo")


def test_an_unchanged_connector_is_served_from_the_cache(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _state(repo, cache)
    assert first == _state(repo, tmp_path / "fresh")  # the second build, from the cache, is the same value
    assert _state(repo, cache) == first
    _plant(cache)
    assert _display_name(_state(repo, cache)) == PLANTED


def _edit_definition(repo: Path) -> None:
    (repo / "connectors/pets/openapi.yaml").write_text(OPENAPI.replace("List pets", "All pets"))


def _edit_ref_file(repo: Path) -> None:
    (repo / "connectors/pets/models.yaml").write_text(MODELS.replace("string", "integer"))


def _add_icon(repo: Path) -> None:  # a file resolving looked for and did not find
    (repo / "connectors/pets/icon.png").write_bytes(PNG)


def _edit_connector_yaml(repo: Path) -> None:
    (repo / "connectors/pets/connector.yaml").write_text(CONNECTOR + "  brandColor: '#0F6CBD'\n")


def _add_certification_policy(repo: Path) -> None:
    (repo / "policies").mkdir()
    (repo / "policies/certification.yaml").write_text(
        "apiVersion: connectorops/v1\nkind: CertificationPolicy\ndefault: mandatory\n"
    )


@pytest.mark.parametrize(
    "change", [_edit_definition, _edit_ref_file, _add_icon, _edit_connector_yaml, _add_certification_policy]
)
def test_a_change_to_any_input_is_resolved_again(repo: Path, tmp_path: Path, change: Callable[[Path], None]) -> None:
    cache = tmp_path / "cache"
    _state(repo, cache)
    _plant(cache)
    assert _display_name(_state(repo, cache)) == PLANTED
    change(repo)
    cached = _state(repo, cache)
    assert _display_name(cached) == "Pets"
    assert cached == _state(repo, tmp_path / "fresh")


def test_a_corrupt_entry_is_resolved_again(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = _state(repo, cache)
    (entry,) = (cache / CONNECTORS_DIR).glob("*.json")
    entry.write_text(json.dumps({"key": entry.stem, "value": {"reads": [], "resolved": {"swagger": 1}}}))
    assert _state(repo, cache) == expected


def test_a_failed_resolution_is_never_stored(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (repo / "connectors/pets/models.yaml").unlink()
    assert _state(repo, cache).errors
    assert not list((cache / CONNECTORS_DIR).glob("*.json"))


def test_recorded_reads_repeat_answers_and_failures(repo: Path) -> None:
    tree = FileSystemTree(repo)
    recording = RecordingTree(tree)
    recording.read_bytes("connectors/pets/openapi.yaml")
    assert not recording.exists("connectors/pets/icon.png")
    with pytest.raises(Exception, match="not found"):
        recording.read_bytes("connectors/pets/missing.yaml")
    assert still_valid(recording.reads, tree)
    (repo / "connectors/pets/missing.yaml").write_text("now: here\n")
    assert not still_valid(recording.reads, tree)
