"""`connectorops definition NAME` through the real CLI: exact JSON on stdout, clear errors and exit 1 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_runner import Result, invoke

from connectorops.definitions.resolve import definition_json, resolve_definition
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree

REPO = Path(__file__).resolve().parents[2]
CONFIG = "default: local\nenvironments:\n  local: {target: local}\n"
OPENAPI = (
    'swagger: "2.0"\ninfo: {title: Pets, version: "1"}\nhost: pets.example.com\n'
    "paths:\n  /pets: {get: {operationId: ListPets, responses: {'200': {description: ok}}}}\n"
)


def connector_yaml(definition: str = "openapi: openapi.yaml", extra: str = "") -> str:
    return (
        "apiVersion: connectorops/v1\nkind: Connector\nmetadata: {name: pets}\n"
        f"spec:\n  definition:\n    {definition}\n{extra}"
    )


def make_repo(root: Path, connector: str, files: dict[str, str | bytes] | None = None) -> Path:
    folder = root / "connectors" / "pets"
    folder.mkdir(parents=True)
    (root / "connectorops.yaml").write_text(CONFIG)
    (folder / "connector.yaml").write_text(connector)
    for name, content in {"openapi.yaml": OPENAPI, **(files or {})}.items():
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def definition(root: Path, name: str = "pets", *extra: str) -> Result:
    result = invoke(["--repo", str(root), *extra, "definition", name])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_prints_the_exact_normalized_document() -> None:
    result = definition(REPO, "orders")
    assert result.exit_code == 0
    tree = FileSystemTree(REPO)
    orders = load_repository(tree).connector("orders")
    assert orders is not None
    assert result.stdout == definition_json(resolve_definition(orders, tree, "local").swagger) + "\n"
    document = json.loads(result.stdout)
    assert (document["host"], document["basePath"]) == ("orders.contoso.com", "/api")
    assert list(document["securityDefinitions"]) == ["oauth2_auth"]


def test_environment_option_selects_overrides() -> None:
    result = definition(REPO, "orders", "-e", "dev")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["host"] == "orders-dev.contoso.com"


def test_unknown_connector_lists_known_names() -> None:
    result = definition(REPO, "ordres")
    assert result.exit_code == 1
    assert "unknown connector 'ordres'" in result.stderr
    assert "balance-control, d7sms, orders" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("connector", "files", "expected"),
    [
        (connector_yaml("openapi: ../../../etc/passwd"), {}, "leaves the connector folder"),
        (connector_yaml("openapi: big.json"), {"big.json": b"{" + b" " * 1_048_576 + b"}"}, "over the 1 MB limit"),
        (connector_yaml("openapi: ref.yaml"), {"ref.yaml": OPENAPI + "definitions: {A: {$ref: 'https://x.io/a'}}\n"},
         "$ref to a URL"),
        (connector_yaml("url: http://169.254.169.254/latest\n    sha256: " + "a" * 64), {}, "only https"),
        (connector_yaml("url: file:///etc/passwd\n    sha256: " + "a" * 64), {}, "only https"),
        (connector_yaml("url: http://localhost/openapi.json\n    sha256: " + "a" * 64), {}, "only https"),
        (connector_yaml(extra="  auth: {type: oauth2, identityProvider: github, clientId: c, clientSecret: s3cr3t}\n"),
         {}, "literal secret"),
        (connector_yaml(extra="  colour: red\n"), {}, "colour"),
        (connector_yaml(extra="  brandColor: 12\n"), {}, "brandColor"),
        (connector_yaml("openapi: openapi.yaml\n    openapi: other.yaml"), {}, "duplicate key"),
        (connector_yaml("postman: c.json"), {"c.json": '{"id": "1", "name": "x", "requests": []}'},
         "the collection has no requests"),  # v1 is converted; this one is empty
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_and_exit_1(
    tmp_path: Path, connector: str, files: dict[str, str | bytes], expected: str
) -> None:
    root = make_repo(tmp_path, connector, files)
    result = definition(root)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "s3cr3t" not in result.output
    assert result.stdout == ""


def test_yaml_bomb_in_definition_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(12)
    )
    root = make_repo(tmp_path, connector_yaml("openapi: bomb.yaml"), {"bomb.yaml": bomb})
    result = definition(root)
    assert result.exit_code == 1
    assert "alias" in result.stderr


def test_symlink_escaping_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(OPENAPI)
    root = make_repo(tmp_path / "repo", connector_yaml("openapi: linked.yaml"))
    (root / "connectors" / "pets" / "linked.yaml").symlink_to(outside)
    result = definition(root)
    assert result.exit_code == 1
    assert "outside the repository" in result.stderr
