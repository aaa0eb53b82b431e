"""Every folder of Microsoft's connector corpus as a paconn source: counts and auth asserted, bad JSON named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectorops.definitions.model import ResolvedDefinition
from connectorops.definitions.resolve import resolve_definition
from connectorops.errors import ConnectoropsError, DefinitionError, Severity, ValidationFailed
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
FOLDERS = (
    sorted(f"{g.name}/{f.name}" for g in CORPUS.iterdir() if g.is_dir() for f in g.iterdir() if f.is_dir())
    if (CORPUS.is_dir())
    else []
)
# Shipped broken: (file, line, column) of the first JSON syntax error, checked by hand with python -m json.tool.
INVALID_JSON = {
    "certified-connectors/IN-D Invoice Data Capture": ("apiDefinition.swagger.json", 51, 13),
    "certified-connectors/ZohoSign": ("apiDefinition.swagger.json", 14, 1),
    "independent-publisher-connectors/AccuWeather": ("apiDefinition.swagger.json", 9, 7),
}
# Shipped naming an operationId its definition lacks (a policy template applied to nothing): (file, line, id).
UNKNOWN_OPERATION_IDS = {
    "certified-connectors/iObeya": ("apiProperties.json", 97, "GetQCDAction"),
}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _resolve(folder: str) -> ResolvedDefinition:
    group, name = folder.split("/", 1)
    document = ConnectorDocument.model_validate(
        {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": "c"},
         "spec": {"definition": {"paconn": name}}}
    )  # fmt: skip
    connector = LoadedConnector(name="c", folder=group, path=f"{group}/connector.yaml", document=document)
    return resolve_definition(connector, FileSystemTree(CORPUS), "local", cache_dir=Path("/nonexistent"))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, ResolvedDefinition | ConnectoropsError]:
    results: dict[str, ResolvedDefinition | ConnectoropsError] = {}
    for folder in FOLDERS:
        try:
            results[folder] = _resolve(folder)
        except ConnectoropsError as error:
            results[folder] = error
    return results


def _raw(folder: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / folder / "apiDefinition.swagger.json").read_text("utf-8-sig"))
    return data


def _ids(item: dict[str, Any]) -> list[str]:
    return [op["operationId"] for method, op in item.items() if method in METHODS and "operationId" in op]


def _expected(folder: str) -> tuple[int, str]:
    """Operation count and first security type, straight from the file (independent of the loader)."""
    raw = _raw(folder)
    count = sum(1 for item in raw["paths"].values() for method in item if method in METHODS)
    definitions = list((raw.get("securityDefinitions") or {}).values())
    return count, definitions[0]["type"] if definitions else "none"


def test_corpus_is_the_expected_one() -> None:
    assert len(FOLDERS) == 72
    assert set(INVALID_JSON) | set(UNKNOWN_OPERATION_IDS) <= set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_folder_yields_document_or_clear_error(folder: str, outcomes: dict[str, Any]) -> None:
    outcome = outcomes[folder]
    if folder in INVALID_JSON:
        file, line, column = INVALID_JSON[folder]
        assert isinstance(outcome, DefinitionError)
        assert (outcome.problem.file, outcome.problem.line, outcome.problem.column) == (
            f"{folder}/{file}",
            line,
            column,
        )
        assert f"line {line} column {column}" in outcome.problem.message
        return
    if folder in UNKNOWN_OPERATION_IDS:
        file, line, operation = UNKNOWN_OPERATION_IDS[folder]
        assert isinstance(outcome, ValidationFailed)
        [problem] = [p for p in outcome.problems if p.severity == Severity.ERROR]
        assert (problem.file, problem.line, problem.code) == (f"{folder}/{file}", line, "UnknownOperationId")
        assert operation not in {o for item in _raw(folder)["paths"].values() for o in _ids(item)}
        assert f"operationId {operation!r}" in problem.message
        return
    assert isinstance(outcome, ResolvedDefinition), str(outcome)
    assert (outcome.operation_count, outcome.auth_kind) == _expected(folder)
    assert not [w for w in outcome.warnings if w.severity == Severity.ERROR]


@pytest.mark.parametrize(
    ("folder", "operations", "auth", "parameters"),
    [
        ("certified-connectors/D7SMS", 2, "basic", ["password", "username"]),
        ("independent-publisher-connectors/Kroki", 1, "none", []),
        ("independent-publisher-connectors/OpenAI", 5, "apiKey", ["api_key"]),
        ("certified-connectors/RamQuest Actions - UAT", 3, "oauth2", ["token"]),
        ("independent-publisher-connectors/HubSpot CMS V2", 157, "apiKey", ["api_key"]),
    ],
)
def test_pinned_connectors(
    folder: str, operations: int, auth: str, parameters: list[str], outcomes: dict[str, Any]
) -> None:
    resolved = outcomes[folder]
    assert isinstance(resolved, ResolvedDefinition)
    assert (resolved.operation_count, resolved.auth_kind) == (operations, auth)
    assert sorted(resolved.connection_parameters) == parameters


def test_oauth_setting_spelling_quirk_is_normalized(outcomes: dict[str, Any]) -> None:
    resolved = outcomes["certified-connectors/RamQuest Actions - UAT"]
    assert resolved.connection_parameters["token"]["type"] == "oauthSetting"
    assert [w.code for w in resolved.warnings] == ["PaconnQuirk"]


def test_dummy_client_secrets_are_dropped(outcomes: dict[str, Any]) -> None:
    resolved = outcomes["certified-connectors/3E Events"]
    assert resolved.connection_parameters == {}  # 3E uses connectionParameterSets only
    assert resolved.connection_parameter_sets is not None
    first = resolved.connection_parameter_sets["values"][0]["parameters"]["token"]["oAuthSettings"]
    assert first["identityProvider"] == "oauth2generic" and "clientSecret" not in first
    assert '"clientSecret"' not in json.dumps(resolved.connection_parameter_sets)


def test_value_nits_are_warnings_not_errors(outcomes: dict[str, Any]) -> None:
    # Sparse Power Box Tools has string defaults on number parameters ('1' is not of type 'number')
    resolved = outcomes["certified-connectors/Sparse Power Box Tools"]
    assert resolved.operation_count == 14
    assert any("is not of type 'number'" in w.message for w in resolved.warnings)
    assert all(w.severity == Severity.WARNING for w in resolved.warnings)


def test_policy_templates_and_brand_color_are_carried(outcomes: dict[str, Any]) -> None:
    carried = [r for r in outcomes.values() if isinstance(r, ResolvedDefinition) and r.policy_template_instances]
    assert carried, "the corpus has connectors with policyTemplateInstances"
    for folder, resolved in outcomes.items():
        if not isinstance(resolved, ResolvedDefinition):
            continue
        properties = json.loads((CORPUS / folder / "apiProperties.json").read_text("utf-8-sig"))["properties"]
        assert resolved.icon_brand_color == properties.get("iconBrandColor")
        assert resolved.policy_template_instances == properties.get("policyTemplateInstances", [])
