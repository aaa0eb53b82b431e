"""Pure helpers of the controller and import commands: selection, working-dir naming, locking, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectorops.commands import controller as controller_cmd
from connectorops.commands import import_ as import_cmd
from connectorops.errors import ConnectoropsError


def test_select_keeps_order_dedupes_and_is_case_insensitive() -> None:
    candidates = [{"name": "alpha"}, {"name": "Bravo"}, {"name": "charlie"}]
    chosen = import_cmd._select(candidates, ["bravo", "alpha", "BRAVO"], declared=set())
    assert [c["name"] for c in chosen] == ["Bravo", "alpha"]
    assert import_cmd._select(candidates, [], declared=set()) == candidates


def test_select_unknown_names_the_importable_ones_and_those_already_in_git() -> None:
    with pytest.raises(ConnectoropsError) as caught:
        import_cmd._select([{"name": "alpha"}], ["orders", "zulu"], declared={"orders"})
    text = str(caught.value)
    assert "cannot import orders, zulu" in text and "orders already declared in git" in text
    assert "importable here: alpha" in text


def test_write_folder_replaces_atomically_and_leaves_no_staging(tmp_path: Path) -> None:
    folder = tmp_path / "connectors" / "orders"
    import_cmd._write_folder(folder, {"connector.yaml": b"a", "openapi.json": b"{}"})
    import_cmd._write_folder(folder, {"connector.yaml": b"b"})
    assert sorted(p.name for p in folder.iterdir()) == ["connector.yaml"]
    assert (folder / "connector.yaml").read_bytes() == b"b"
    assert [p.name for p in folder.parent.iterdir()] == ["orders"]


def test_workdir_slug_never_contains_the_url() -> None:
    slug = controller_cmd._slug("https://bot:s3cret@example.com/r.git", "main", "dev")
    assert slug.startswith("dev-") and "s3cret" not in slug and "example" not in slug
    assert slug != controller_cmd._slug("https://bot:s3cret@example.com/r.git", "release", "dev")
    assert controller_cmd._slug("/r", "main", None).startswith("default-")


def test_instance_id_is_stable_per_workdir(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first = controller_cmd._instance_id(one)
    assert controller_cmd._instance_id(one) == first
    assert controller_cmd._instance_id(two) != first


def test_second_controller_on_the_same_workdir_is_refused(tmp_path: Path) -> None:
    with controller_cmd._exclusive(tmp_path), pytest.raises(ConnectoropsError, match="already running"):  # noqa: SIM117
        with controller_cmd._exclusive(tmp_path):
            pass
    with controller_cmd._exclusive(tmp_path):  # released after the first one ends
        assert (tmp_path / "lock").exists()
