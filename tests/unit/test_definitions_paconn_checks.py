"""Issue 12 bad input: what a paconn folder's policy templates and custom code name must exist.

Small folders written to disk and resolved for real: a script.csx over 1 MB, an unknown policy
template id, and operationIds named by a template or scriptOperations that the definition lacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from definitions_support import PETSTORE, connector_at

from connectorops.definitions.paconn_checks import (
    KNOWN_TEMPLATE_IDS,
    MAX_SCRIPT_BYTES,
    SCHEMA_TEMPLATE_IDS,
    SCRIPT_TOO_LARGE,
    UNKNOWN_OPERATION,
    UNKNOWN_TEMPLATE,
)
from connectorops.definitions.resolve import resolve_definition
from connectorops.errors import Problem, ValidationFailed

PROPERTIES_FILE = "connectors/pets/paconn/apiProperties.json"


def template(template_id: str, operations: list[str] | None = None, title: str = "Route") -> dict[str, Any]:
    parameters: dict[str, Any] = {"x-ms-apimTemplateParameter.name": "x-a", "x-ms-apimTemplateParameter.value": "1"}
    if operations is not None:
        parameters["x-ms-apimTemplate-operationName"] = operations
    return {"templateId": template_id, "title": title, "parameters": parameters}


def resolve(tmp_path: Path, properties: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    files: dict[str, Any] = {
        "paconn/apiDefinition.swagger.json": PETSTORE,
        # pretty-printed, as paconn and the portal write it, so problems can name lines
        "paconn/apiProperties.json": json.dumps({"properties": properties}, indent=2),
        **(extra or {}),
    }
    connector, tree = connector_at(tmp_path, {"definition": {"paconn": "paconn"}}, files)
    return resolve_definition(connector, tree, "local", cache_dir=tmp_path / "cache")


def refusals(tmp_path: Path, properties: dict[str, Any], extra: dict[str, Any] | None = None) -> list[Problem]:
    with pytest.raises(ValidationFailed) as raised:
        resolve(tmp_path, properties, extra)
    return [p for p in raised.value.problems if p.severity == "error"]


def line_of(tmp_path: Path, text: str, after: str | None = None) -> int:
    lines = (tmp_path / PROPERTIES_FILE).read_text().splitlines()
    start = next(n for n, t in enumerate(lines) if after in t) if after else 0
    return next(n for n, t in enumerate(lines[start:], start + 1) if text in t)


def test_known_templates_and_operation_ids_resolve(tmp_path: Path) -> None:
    properties = {
        "policyTemplateInstances": [template("setheader", ["ListPets", "GetPet"]), template("dynamicsubdomain", [])],
        "scriptOperations": ["GetPet"],
    }
    resolved = resolve(tmp_path, properties, {"paconn/script.csx": "public class Script : ScriptBase {}"})
    assert [t["templateId"] for t in resolved.policy_template_instances] == ["setheader", "dynamicsubdomain"]
    assert resolved.custom_code.operations == ["GetPet"]


def test_template_naming_an_unknown_operation_names_file_line_pointer_and_close_ids(tmp_path: Path) -> None:
    properties = {"policyTemplateInstances": [template("setheader", []), template("setheader", ["ListPet"])]}
    [problem] = refusals(tmp_path, properties)
    assert problem.code == UNKNOWN_OPERATION and problem.file == PROPERTIES_FILE
    assert problem.line == line_of(tmp_path, '"ListPet"')
    assert problem.field == "/properties/policyTemplateInstances/1/parameters/x-ms-apimTemplate-operationName/0"
    assert "policy template 1 'Route' (setheader) names operationId 'ListPet'" in problem.message
    assert "did you mean 'ListPets' or 'GetPet'?" in problem.message  # closest first
    assert "fix or remove 'ListPet'" in (problem.hint or "")
    assert "the definition defines: ListPets, GetPet" in (problem.hint or "")


def test_the_line_is_the_templates_own_not_an_earlier_mention(tmp_path: Path) -> None:
    # template 0 and template 2 both name "Nope": each error points into its own template
    properties = {
        "policyTemplateInstances": [template("setheader", ["Nope"]), template("setheader", []),
                                    template("setheader", ["Nope"])]
    }  # fmt: skip
    problems = refusals(tmp_path, properties)
    first, second = (p.line for p in problems)
    assert first == line_of(tmp_path, '"Nope"')
    assert second is not None and second > first
    assert [p.field for p in problems] == [
        "/properties/policyTemplateInstances/0/parameters/x-ms-apimTemplate-operationName/0",
        "/properties/policyTemplateInstances/2/parameters/x-ms-apimTemplate-operationName/0",
    ]


def test_unknown_template_id_lists_the_known_ids(tmp_path: Path) -> None:
    [problem] = refusals(tmp_path, {"policyTemplateInstances": [template("setheadr", title="Key")]})
    assert problem.code == UNKNOWN_TEMPLATE and problem.file == PROPERTIES_FILE
    assert problem.field == "/properties/policyTemplateInstances/0/templateId"
    assert problem.line == line_of(tmp_path, '"templateId"')
    assert "policy template 0 'Key' has templateId 'setheadr'" in problem.message
    assert "did you mean 'setheader'?" in problem.message
    for known in SCHEMA_TEMPLATE_IDS:
        assert known in (problem.hint or "")


def test_schema_ids_are_known_ones() -> None:
    assert len(SCHEMA_TEMPLATE_IDS) == 13 and set(SCHEMA_TEMPLATE_IDS) < KNOWN_TEMPLATE_IDS


def test_script_operations_naming_an_unknown_operation(tmp_path: Path) -> None:
    properties = {"scriptOperations": ["GetPet", "GetPets"]}
    [problem] = refusals(tmp_path, properties, {"paconn/script.csx": "class Script {}"})
    assert problem.code == UNKNOWN_OPERATION and problem.file == PROPERTIES_FILE
    assert problem.field == "/properties/scriptOperations/1"
    assert problem.line == line_of(tmp_path, '"GetPets"', after='"scriptOperations"')
    assert "scriptOperations names operationId 'GetPets'" in problem.message
    assert "did you mean 'GetPet'" in problem.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    properties = {
        "policyTemplateInstances": [template("nosuchtemplate", ["Gone"])],
        "scriptOperations": ["AlsoGone"],
    }
    problems = refusals(tmp_path, properties, {"paconn/script.csx": "class Script {}"})
    assert [(p.code, p.field) for p in problems] == [
        (UNKNOWN_TEMPLATE, "/properties/policyTemplateInstances/0/templateId"),
        (UNKNOWN_OPERATION, "/properties/policyTemplateInstances/0/parameters/x-ms-apimTemplate-operationName/0"),
        (UNKNOWN_OPERATION, "/properties/scriptOperations/0"),
    ]


def test_script_over_one_megabyte_names_the_script_its_size_and_the_limit(tmp_path: Path) -> None:
    size = MAX_SCRIPT_BYTES + 1
    [problem] = refusals(tmp_path, {"scriptOperations": ["GetPet"]}, {"paconn/script.csx": b"/" * size})
    assert problem.code == SCRIPT_TOO_LARGE
    assert problem.file == "connectors/pets/paconn/script.csx"
    assert f"{size:,} bytes" in problem.message and f"1 MB limit for custom code ({MAX_SCRIPT_BYTES:,} bytes)" in (
        problem.message
    )


def test_script_of_exactly_one_megabyte_is_accepted(tmp_path: Path) -> None:
    resolved = resolve(tmp_path, {"scriptOperations": ["GetPet"]}, {"paconn/script.csx": b"/" * MAX_SCRIPT_BYTES})
    assert resolved.custom_code is not None and len(resolved.custom_code.script or b"") == MAX_SCRIPT_BYTES
