"""load_repository / select_environment over a small repository on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectorops.errors import Severity, SpecError
from connectorops.spec.loader import load_repository, select_environment
from connectorops.spec.models import AzureEnvironment, LocalEnvironment
from connectorops.spec.source import FileSystemTree

CONFIG = """default: local
environments:
  local: {target: local}
  dev:
    target: azure
    subscriptionId: 00000000-0000-0000-0000-000000000000
    resourceGroup: rg-dev
    location: westeurope
"""


def connector_yaml(name: str, extra: str = "") -> str:
    return (
        f"apiVersion: connectorops/v1\nkind: Connector\nmetadata:\n  name: {name}\n"
        f"spec:\n  definition:\n    openapi: openapi.yaml\n{extra}"
    )


def write(root: Path, files: dict[str, str]) -> FileSystemTree:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return FileSystemTree(root)


def test_loads_config_and_connectors_sorted_by_name(tmp_path: Path) -> None:
    tree = write(
        tmp_path,
        {
            "connectorops.yaml": CONFIG,
            "connectors/zeta/connector.yaml": connector_yaml("zeta"),
            "connectors/alpha/connector.yaml": connector_yaml("alpha"),
        },
    )
    repo = load_repository(tree)
    assert repo.problems == ()
    assert [c.name for c in repo.connectors] == ["alpha", "zeta"]
    assert repo.connectors[0].folder == "connectors/alpha"
    assert repo.connectors[0].path == "connectors/alpha/connector.yaml"
    assert set(repo.config.environments) == {"local", "dev"}
    assert repo.connector_files == ("connectors/alpha/connector.yaml", "connectors/zeta/connector.yaml")


def test_missing_config_means_only_local(tmp_path: Path) -> None:
    repo = load_repository(write(tmp_path, {"connectors/a/connector.yaml": connector_yaml("a")}))
    assert repo.config.default == "local"
    assert list(repo.config.environments) == ["local"]
    assert repo.config_loaded


def test_invalid_config_is_reported_and_defaults_are_used(tmp_path: Path) -> None:
    repo = load_repository(write(tmp_path, {"connectorops.yaml": "default: prod\nenvironments: {}\n"}))
    assert not repo.config_loaded
    assert [p.file for p in repo.errors] == ["connectorops.yaml"]
    assert "'prod' is not defined" in repo.errors[0].message


def test_folder_without_connector_yaml_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "connectors" / "draft").mkdir(parents=True)
    repo = load_repository(FileSystemTree(tmp_path))
    assert repo.errors == []
    [warning] = repo.problems
    assert warning.severity == Severity.WARNING
    assert warning.file == "connectors/draft" and "no connector.yaml" in warning.message


def test_every_broken_connector_is_reported_and_the_rest_load(tmp_path: Path) -> None:
    tree = write(
        tmp_path,
        {
            "connectors/good/connector.yaml": connector_yaml("good"),
            "connectors/typo/connector.yaml": connector_yaml("typo", "  displayname: X\n"),
            "connectors/dupkey/connector.yaml": connector_yaml("dupkey") + "  lifecycle: {}\n  lifecycle: {}\n",
        },
    )
    repo = load_repository(tree)
    assert [c.name for c in repo.connectors] == ["good"]
    assert sorted(p.file or "" for p in repo.errors) == [
        "connectors/dupkey/connector.yaml",
        "connectors/typo/connector.yaml",
    ]
    assert len(repo.connector_files) == 3


def test_duplicate_metadata_name_is_an_error_naming_the_other_file(tmp_path: Path) -> None:
    tree = write(
        tmp_path,
        {
            "connectors/orders/connector.yaml": connector_yaml("orders"),
            "connectors/orders-copy/connector.yaml": connector_yaml("orders"),
        },
    )
    repo = load_repository(tree)
    assert [c.folder for c in repo.connectors] == ["connectors/orders"]
    error = next(p for p in repo.errors if p.code == "spec.duplicate_name")
    assert error.file == "connectors/orders-copy/connector.yaml"
    assert error.line == 4 and "connectors/orders/connector.yaml" in error.message


def test_folder_name_mismatch_is_a_warning_at_metadata_name(tmp_path: Path) -> None:
    repo = load_repository(write(tmp_path, {"connectors/orders/connector.yaml": connector_yaml("sales")}))
    assert [c.name for c in repo.connectors] == ["sales"]
    [warning] = repo.problems
    assert warning.severity == Severity.WARNING and warning.line == 4
    assert warning.field == "metadata.name"


def test_override_for_an_undefined_environment_is_a_warning_with_suggestion(tmp_path: Path) -> None:
    extra = "  environments:\n    dve:\n      displayName: Orders (dev)\n"
    tree = write(tmp_path, {"connectorops.yaml": CONFIG, "connectors/a/connector.yaml": connector_yaml("a", extra)})
    [warning] = load_repository(tree).problems
    assert warning.severity == Severity.WARNING
    assert "did you mean 'dev'?" in warning.message and warning.line == 9


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_connector_yaml_symlinked_out_of_the_repo_is_an_error(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(connector_yaml("evil"))
    root = tmp_path / "repo"
    (root / "connectors" / "evil").mkdir(parents=True)
    (root / "connectors" / "evil" / "connector.yaml").symlink_to(outside)
    (root / "connectors" / "linked").symlink_to(tmp_path)
    repo = load_repository(FileSystemTree(root))
    assert repo.connectors == ()
    assert sorted(p.file or "" for p in repo.errors) == ["connectors/evil/connector.yaml", "connectors/linked"]
    assert all("symlink" in p.message for p in repo.errors)


def test_oversize_connector_yaml_is_refused_before_reading(tmp_path: Path) -> None:
    tree = write(tmp_path, {"connectors/big/connector.yaml": connector_yaml("big") + "#" * (1024 * 1024)})
    [error] = load_repository(tree).errors
    assert "limit is 1,048,576 bytes" in error.message


def test_select_environment_default_named_and_unknown(tmp_path: Path) -> None:
    repo = load_repository(write(tmp_path, {"connectorops.yaml": CONFIG}))
    name, environment = select_environment(repo, None)
    assert name == "local" and isinstance(environment, LocalEnvironment)
    name, environment = select_environment(repo, "dev")
    assert isinstance(environment, AzureEnvironment) and environment.resourceGroup == "rg-dev"
    with pytest.raises(SpecError) as caught:
        select_environment(repo, "dve")
    assert "did you mean 'dev'?" in caught.value.problem.message
    assert caught.value.problem.hint == "defined environments: dev, local"
