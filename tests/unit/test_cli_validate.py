"""`connectorops validate` end to end through the real CLI: bad input gives file:line, exit 1, no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_runner import Result, invoke
from minimal_repo import CONFIG, CONNECTOR, OPENAPI


def make_repo(root: Path, connector: bytes | str = CONNECTOR, *, folder: str = "orders") -> Path:
    (root / "connectors" / folder).mkdir(parents=True, exist_ok=True)
    (root / "connectorops.yaml").write_text(CONFIG)
    data = connector.encode() if isinstance(connector, str) else connector
    (root / "connectors" / folder / "connector.yaml").write_bytes(data)
    (root / "connectors" / folder / "openapi.yaml").write_text(OPENAPI)
    return root


def validate(root: Path, *extra: str) -> Result:
    result = invoke(["--repo", str(root), "validate", *extra])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def validate_json(root: Path) -> tuple[int, dict[str, object]]:
    result = validate(root, "--json")
    return result.exit_code, json.loads(result.stdout)


def connector_problems(report: dict[str, object]) -> list[dict[str, object]]:
    connectors = report["connectors"]
    assert isinstance(connectors, list)
    return [p for c in connectors for p in c["problems"]]


def assert_fails_at(root: Path, line: int, *fragments: str) -> dict[str, object]:
    """Exit 1, and an error on `line` of connector.yaml whose text holds every fragment; same in --json."""
    result = validate(root)
    assert result.exit_code == 1, result.output
    assert f"connectors/orders/connector.yaml:{line}" in result.output
    for fragment in fragments:
        assert fragment in result.output
    code, report = validate_json(root)
    assert code == 1 and report["ok"] is False
    errors = [p for p in connector_problems(report) if p["severity"] == "error"]
    assert any(p["line"] == line and p["file"] == "connectors/orders/connector.yaml" for p in errors), errors
    return report


def test_valid_repository_passes(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    result = validate(root)
    assert result.exit_code == 0, result.output
    assert "orders" in result.output and "openapi" in result.output
    code, report = validate_json(root)
    assert code == 0 and report["ok"] is True and report["environment"] == "local"
    [connector] = report["connectors"]  # type: ignore[misc]
    assert connector["name"] == "orders" and connector["source"] == "openapi" and connector["auth"] == "apiKey"
    assert connector["path"] == "connectors/orders/connector.yaml"
    assert all(p["severity"] != "error" for p in connector["problems"])


def test_yaml_bomb(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    make_repo(tmp_path, CONNECTOR + "\n".join(lines) + "\n")
    assert_fails_at(tmp_path, 17, "alias bomb")


def test_duplicate_keys(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("kind: Connector\n", "kind: Connector\nkind: Connector\n"))
    assert_fails_at(tmp_path, 3, "duplicate key 'kind'", "line 2")


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("spec:\n", "spec:\n  displayname: Orders\n"))
    assert_fails_at(tmp_path, 6, "unknown key 'displayname'", "did you mean 'displayName'?")


def test_wrong_type(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("spec:\n", "spec:\n  sharing: everyone\n"))
    assert_fails_at(tmp_path, 6, "spec.sharing", "valid list")


def test_literal_secret(tmp_path: Path) -> None:
    auth = "  auth:\n    type: oauth2\n    identityProvider: aad\n    clientId: abc\n    resourceUri: api://orders\n"
    text = CONNECTOR.split("  auth:")[0] + auth + "    clientSecret: abc-very-secret\n"
    make_repo(tmp_path, text)
    report = assert_fails_at(tmp_path, 13, "spec.auth.clientSecret", "literal secret", "{env:")
    assert "abc-very-secret" not in json.dumps(report)
    assert "abc-very-secret" not in validate(tmp_path).output


def test_deep_nesting(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR + "  x: " + "[" * 200 + "]" * 200 + "\n")
    assert_fails_at(tmp_path, 11, "nesting deeper than 64")


def test_non_utf8(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.encode().replace(b"name: orders", b"name: orders\n  labels: {team: caf\xe9}"))
    assert_fails_at(tmp_path, 5, "not valid UTF-8", "byte offset")


def test_oversize_connector_yaml(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR + "#" * (1024 * 1024) + "\n")
    result = validate(tmp_path)
    assert result.exit_code == 1
    assert "connectors/orders/connector.yaml" in result.output and "limit is 1,048,576 bytes" in result.output


def test_missing_definition(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("  definition:\n    openapi: openapi.yaml\n", ""))
    assert_fails_at(tmp_path, 5, "missing required key 'definition'")


def test_two_definitions(tmp_path: Path) -> None:
    two = "    openapi: openapi.yaml\n    postman: c.json\n"
    make_repo(tmp_path, CONNECTOR.replace("    openapi: openapi.yaml\n", two))
    assert_fails_at(tmp_path, 7, "exactly one of openapi, url, postman, paconn")


def test_bad_metadata_name(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: orders api!"))
    assert_fails_at(tmp_path, 4, "not a valid ARM resource name", "1-80 characters")


def test_unknown_auth_type(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("type: apiKey", "type: apikey"))
    assert_fails_at(tmp_path, 9, "auth.type must be one of none, basic, apiKey, oauth2")


def test_path_traversal_in_definition(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("openapi: openapi.yaml", "openapi: ../../etc/passwd"))
    report = assert_fails_at(tmp_path, 7, "leaves the connector folder")
    assert "root:" not in json.dumps(report)


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_connector_yaml_symlink_escaping_the_repo(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(CONNECTOR)
    root = make_repo(tmp_path / "repo")
    target = root / "connectors" / "orders" / "connector.yaml"
    target.unlink()
    target.symlink_to(outside)
    result = validate(root)
    assert result.exit_code == 1
    assert "connectors/orders/connector.yaml" in result.output and "symlink" in result.output


def test_broken_config_is_reported_with_its_line(tmp_path: Path) -> None:
    make_repo(tmp_path)
    (tmp_path / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: lokal}\n")
    result = validate(tmp_path)
    assert result.exit_code == 1
    assert "connectorops.yaml:3" in result.output and "must be one of local, azure" in result.output
    code, report = validate_json(tmp_path)
    assert code == 1
    assert [p["file"] for p in report["problems"]] == ["connectorops.yaml"]  # type: ignore[union-attr]


def test_unknown_environment_option(tmp_path: Path) -> None:
    make_repo(tmp_path)
    result = invoke(["--repo", str(tmp_path), "-e", "prod", "validate"])
    assert result.exit_code == 1
    assert "unknown environment 'prod'" in result.output and "Traceback" not in result.output


def test_every_broken_connector_is_listed_in_one_run(tmp_path: Path) -> None:
    make_repo(tmp_path)
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: broken").replace("kind:", "knd:"), folder="broken")
    (tmp_path / "connectors" / "empty").mkdir()
    code, report = validate_json(tmp_path)
    assert code == 1
    names = [c["name"] for c in report["connectors"]]  # type: ignore[union-attr]
    assert names == ["broken", "orders"]
    assert report["summary"]["errors"] >= 1 and report["summary"]["warnings"] >= 1  # type: ignore[index]
    assert [p["file"] for p in report["problems"]] == ["connectors/empty"]  # type: ignore[union-attr]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_definition_symlink_escaping_the_repo(tmp_path: Path) -> None:
    secret_file = tmp_path / "outside-openapi.yaml"
    secret_file.write_text(OPENAPI.replace("Orders API", "outside-marker"))
    root = make_repo(tmp_path / "repo")
    definition = root / "connectors" / "orders" / "openapi.yaml"
    definition.unlink()
    definition.symlink_to(secret_file)
    result = validate(root)
    assert result.exit_code == 1, result.output
    # the resolver reports it as not usable (today: "does not exist or is not a file"); never reads it
    assert "connectors/orders/openapi.yaml" in result.output
    code, report = validate_json(root)
    assert code == 1 and "outside-marker" not in json.dumps(report)
    assert any(p["severity"] == "error" for p in connector_problems(report))


def test_the_example_repository_validates() -> None:
    root = Path(__file__).resolve().parents[2]
    code, report = validate_json(root)
    assert code == 0, json.dumps(report["connectors"], indent=1)
    sources = {c["source"] for c in report["connectors"]}  # type: ignore[union-attr]
    assert {"openapi", "postman", "paconn"} <= sources
    assert all(c["operations"] for c in report["connectors"])  # type: ignore[union-attr]


def test_missing_repository_folder_is_an_error(tmp_path: Path) -> None:
    result = validate(tmp_path / "nope")
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_empty_folder_warns_that_there_is_nothing_to_validate(tmp_path: Path) -> None:
    code, report = validate_json(tmp_path)
    assert code == 0 and report["connectors"] == []
    assert [p["code"] for p in report["problems"]] == ["spec.empty_repository"]  # type: ignore[union-attr]


def test_names_differing_only_in_case_are_an_error_naming_both_files(tmp_path: Path) -> None:
    # ARM names are case-insensitive: `Orders` and `orders` would be one customApi, overwritten by turns.
    make_repo(tmp_path)
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: Orders"), folder="Orders")
    result = validate(tmp_path)
    assert result.exit_code == 1, result.output
    # Orders sorts before orders: the second file gets the error and names the first with its line
    assert "connectors/orders/connector.yaml:4" in result.output
    assert "connectors/Orders/connector.yaml:4" in result.output
    assert "differs only in case" in result.output and "rename one" in result.output
    code, report = validate_json(tmp_path)
    problems = [p for p in connector_problems(report) + report["problems"] if p["severity"] == "error"]  # type: ignore[operator]
    assert code == 1 and [p["code"] for p in problems] == ["spec.duplicate_name"], problems


def test_folders_differing_only_in_case_are_an_error(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: orders-a"), folder="Orders")
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: orders-b"), folder="orders")
    result = validate(tmp_path)
    assert result.exit_code == 1, result.output
    assert "folder 'connectors/orders' differs only in case from 'connectors/Orders'" in result.output


def test_plan_refuses_names_differing_only_in_case_before_any_request(tmp_path: Path) -> None:
    make_repo(tmp_path)
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: Orders"), folder="Orders")
    for command in (["plan"], ["apply", "--yes"]):
        result = invoke(["--repo", str(tmp_path), *command])
        assert result.exit_code == 1, result.output
        assert "differs only in case" in result.output and "Traceback" not in result.output
    # the local target's emulator state is created on the first request; there was none
    assert not (tmp_path / ".connectorops").exists()


def test_connector_named_like_the_controller_lease_is_refused(tmp_path: Path) -> None:
    make_repo(tmp_path, CONNECTOR.replace("name: orders", "name: Connectorops-Lease-dev"))
    result = validate(tmp_path)
    assert result.exit_code == 1, result.output
    assert "connectors/orders/connector.yaml:4" in result.output
    assert "reserved for the controller's lease marker" in result.output
    assert "choose a name that does not start with connectorops-lease-" in result.output
    code, report = validate_json(tmp_path)
    errors = [p for p in connector_problems(report) if p["severity"] == "error"]
    assert code == 1 and [(p["code"], p["field"]) for p in errors] == [("spec.reserved_name", "metadata.name")]


def test_lease_prefix_is_the_one_the_controller_uses() -> None:
    from connectorops import tags
    from connectorops.gitops.lease import lease_name

    assert lease_name("dev").startswith(tags.LEASE_PREFIX)
