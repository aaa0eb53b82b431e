"""`connectorops validate` of an unchanged repository shows the report remembered with every question it asked.

Each test plants a marker in the remembered report to prove it is served, then changes one input
(a file, a new file, the environment chosen) and checks the report is computed afresh. A failing
or not self-contained run (absolute caBundle, another stateDir) is never remembered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import invoke
from minimal_repo import CONFIG, CONNECTOR, OPENAPI

MARKER = "remembered report"
AZURE = "  az: {target: azure, subscriptionId: 00000000-0000-0000-0000-000000000000, resourceGroup: rg, location: w}\n"


def _repo(root: Path, config: str = CONFIG) -> Path:
    folder = root / "connectors" / "orders"
    folder.mkdir(parents=True)
    (root / "connectorops.yaml").write_text(config)
    (folder / "connector.yaml").write_text(CONNECTOR)
    (folder / "openapi.yaml").write_text(OPENAPI)
    return root


def _validate(root: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = invoke(["--repo", str(root), "validate", "--json", *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, json.loads(result.stdout)


def _remembered(root: Path) -> list[Path]:
    """The whole-repository entries: a report (with its environment) stored with the questions asked."""
    entries = sorted((root / ".connectorops" / "cache" / "verdicts").glob("*.json"))
    values = [(p, json.loads(p.read_text())["value"]) for p in entries]
    return [p for p, v in values if isinstance(v, dict) and "environment" in v.get("value", {})]


def _plant(root: Path) -> None:
    [entry_path] = _remembered(root)
    entry = json.loads(entry_path.read_text())
    entry["value"]["value"]["problems"] = [{"severity": "warning", "message": MARKER}]
    entry_path.write_text(json.dumps(entry))


def _edit_openapi(root: Path) -> None:
    path = root / "connectors/orders/openapi.yaml"
    items = '  /items:\n    get: {operationId: ListItems, responses: {"200": {description: OK}}}\n'
    path.write_text(path.read_text() + items)


def _add_sharing_policy(root: Path) -> None:
    (root / "policies").mkdir()
    (root / "policies/sharing.yaml").write_text("not: [a, sharing, policy\n")


def _add_connector(root: Path) -> None:
    (root / "connectors/second").mkdir()
    (root / "connectors/second/connector.yaml").write_text(CONNECTOR.replace("name: orders", "name: second"))


@pytest.mark.parametrize("change", [_edit_openapi, _add_sharing_policy, _add_connector], ids=lambda f: f.__name__)
def test_the_remembered_report_is_shown_until_an_input_changes(tmp_path: Path, change: Callable[[Path], None]) -> None:
    root = _repo(tmp_path)
    fresh = _validate(root)
    assert fresh[0] == 0
    assert _validate(root) == fresh
    _plant(root)
    assert MARKER in json.dumps(_validate(root)[1])  # served without loading the repository
    change(root)
    code, report = _validate(root)
    assert MARKER not in json.dumps(report)
    assert report != fresh[1]  # the change shows: a second operation, a policy error, a second connector


def test_another_environment_is_another_report(tmp_path: Path) -> None:
    root = _repo(tmp_path, CONFIG + AZURE)
    _validate(root)
    _plant(root)
    code, report = _validate(root, "-e", "az")
    assert code == 0 and report["environment"] == "az" and MARKER not in json.dumps(report)


def test_a_failing_run_is_not_remembered(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "connectors/orders/openapi.yaml").write_text("swagger: '2.0'\npaths: {}\n")
    assert _validate(root)[0] == 1
    assert _remembered(root) == []


@pytest.mark.parametrize(
    "config",
    [
        CONFIG + AZURE.replace("location: w", "location: w, caBundle: /etc/hostname"),
        "default: local\nenvironments:\n  local: {target: local, stateDir: state}\n",
    ],
    ids=["absolute-ca-bundle", "another-state-dir"],
)
def test_a_run_that_read_outside_the_tree_is_not_remembered(tmp_path: Path, config: str) -> None:
    root = _repo(tmp_path, config)
    assert _validate(root)[0] == 0
    assert not (root / ".connectorops" / "cache" / "verdicts").exists() or _remembered(root) == []


def test_a_remembered_report_prints_exactly_what_the_computed_one_printed(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    openapi = root / "connectors/orders/openapi.yaml"  # a tolerated warning, so the report has a problem to print
    flag = "      parameters: [{name: all, in: query, type: boolean, default: 'no'}]\n"
    openapi.write_text(openapi.read_text().replace("      responses:", flag + "      responses:"))

    def text() -> str:
        result = invoke(["--repo", str(root), "validate"])
        assert result.exit_code == 0, result.output
        return result.stdout

    computed = text()
    assert "'no' is not of type 'boolean'" in computed
    assert _remembered(root)  # a passing run with warnings is remembered...
    assert text() == computed  # ...and shown word for word
