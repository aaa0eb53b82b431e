"""definitions.carry and the resolved definition: nothing of a paconn folder is lost on the way to a target.

The resolved definition keeps policy templates, custom code and connectionParameterSets exactly as
written; an ARM target either refuses them or gets them stripped on request; connectors without
them render byte for byte as before the check existed.
"""

from __future__ import annotations

import json

import pytest
from paconn_corpus import CORPUS, connector, raw_properties, resolve
from pydantic import ValidationError

from connectorops.canonical import canonical_json
from connectorops.definitions.carry import CANNOT_CARRY, STRIPPED, fit_for_target
from connectorops.definitions.model import ResolvedConnector, ResolvedDefinition
from connectorops.errors import ConnectoropsError, Severity
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector
from connectorops.targets.arm import ARM_CAPABILITIES
from connectorops.targets.arm.render import render_custom_api
from connectorops.targets.powerplatform import POWERPLATFORM_CAPABILITIES

FOLDERS = (
    sorted(f"{g.name}/{f.name}" for g in CORPUS.iterdir() if g.is_dir() for f in g.iterdir() if f.is_dir())
    if CORPUS.is_dir()
    else []
)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def body_bytes(loaded: LoadedConnector, resolved: ResolvedDefinition) -> str:
    return canonical_json(
        render_custom_api(
            ResolvedConnector.from_definition(loaded, "local", resolved), location="westeurope", commit="c0ffee"
        ).body
    )


def test_resolved_definition_keeps_policy_templates_custom_code_and_parameter_sets() -> None:
    folder = "certified-connectors/Blackbaud Raiser's Edge NXT Constituents"
    resolved = resolve(connector(folder))
    raw = raw_properties(folder)
    assert resolved.policy_template_instances == raw["policyTemplateInstances"] != []
    assert resolved.custom_code is not None
    assert resolved.custom_code.script == (CORPUS / folder / "script.csx").read_bytes()
    assert resolved.custom_code.operations == raw["scriptOperations"] != []
    assert resolved.custom_code.file == f"{folder}/script.csx" and resolved.custom_code.file in resolved.source_files
    sets_folder = "certified-connectors/3E Events"
    sets = resolve(connector(sets_folder)).connection_parameter_sets
    raw_sets = raw_properties(sets_folder)["connectionParameterSets"]
    assert sets is not None and sets["uiDefinition"] == raw_sets["uiDefinition"]
    # every set and parameter kept; only the "[[DUMMY]]" clientSecret placeholders are dropped (paconn.py)
    assert [(s["name"], list(s["parameters"])) for s in sets["values"]] == [
        (s["name"], list(s["parameters"])) for s in raw_sets["values"]
    ]


def test_a_target_that_carries_everything_gets_everything_and_strip_is_for_arm_only() -> None:
    loaded = connector("certified-connectors/3E Events", {"strip": ["policyTemplates"]})
    resolved = resolve(loaded)
    assert fit_for_target(
        ConnectorInEnvironment.of(loaded, "local"), resolved, "powerplatform", POWERPLATFORM_CAPABILITIES
    ) == (resolved, [])


def test_arm_refuses_each_extra_as_an_error() -> None:
    loaded = connector("certified-connectors/ForceManager CRM")
    resolved = resolve(loaded)
    fitted, problems = fit_for_target(ConnectorInEnvironment.of(loaded, "local"), resolved, "azure", ARM_CAPABILITIES)
    assert fitted is resolved
    assert [(p.severity, p.code) for p in problems] == [(Severity.ERROR, CANNOT_CARRY)] * 2
    templates, code = problems
    assert (templates.file, templates.field) == (
        "certified-connectors/ForceManager CRM/apiProperties.json",
        "/properties/policyTemplateInstances",
    )
    lines = (CORPUS / "certified-connectors/ForceManager CRM/apiProperties.json").read_text().splitlines()
    assert templates.line is not None and '"policyTemplateInstances"' in lines[templates.line - 1]
    # scriptOperations is an empty list here: the script itself is what cannot be carried
    assert (code.file, code.field, code.line) == ("certified-connectors/ForceManager CRM/script.csx", None, None)


def test_strip_removes_only_what_it_names_and_says_so_once() -> None:
    folder = "certified-connectors/3E Events"
    loaded = connector(folder, {"strip": ["policyTemplates", "connectionParameterSets"],
                                "connectionParameterSet": "aadNonprod"})  # fmt: skip
    resolved = resolve(loaded)
    fitted, problems = fit_for_target(ConnectorInEnvironment.of(loaded, "local"), resolved, "local", ARM_CAPABILITIES)
    assert [(p.severity, p.code, p.field) for p in problems] == [(Severity.WARNING, STRIPPED, "spec.strip")]
    assert "dynamichosturl" in problems[0].message and "set 'aadNonprod'" in problems[0].message
    assert fitted.policy_template_instances == [] and fitted.connection_parameter_sets is None
    chosen = next(s for s in raw_properties(folder)["connectionParameterSets"]["values"] if s["name"] == "aadNonprod")
    assert set(fitted.connection_parameters) == set(chosen["parameters"])
    # the resolved definition itself (certification, a Power Platform target) still has everything
    assert resolved.policy_template_instances and resolved.connection_parameter_sets is not None
    deployed = json.loads(body_bytes(loaded, fitted))["properties"]["connectionParameters"]
    assert set(deployed) == set(chosen["parameters"])


def test_an_environment_override_replaces_spec_strip() -> None:
    loaded = connector(
        "independent-publisher-connectors/Govee",
        {"strip": ["customCode"], "environments": {"local": {"strip": []}}},
    )
    _, problems = fit_for_target(ConnectorInEnvironment.of(loaded, "local"), resolve(loaded), "local", ARM_CAPABILITIES)
    assert [(p.code, p.severity) for p in problems] == [(CANNOT_CARRY, Severity.ERROR)]
    assert "spec.environments.local.strip: [customCode]" in (problems[0].hint or "")


@pytest.mark.parametrize("strip", [["customCode", "customCode"], ["scripts"]])
def test_strip_takes_known_items_once(strip: list[str]) -> None:
    with pytest.raises(ValidationError):
        connector("independent-publisher-connectors/Govee", {"strip": strip})


def test_connectors_without_extras_reach_render_untouched() -> None:
    """The same object goes to render, so the ARM body is byte for byte what it was before the check.

    (Measured once against main as well: the 49 bodies' sha256 were equal.)
    """
    unchanged = 0
    for folder in FOLDERS:
        loaded = connector(folder)
        try:
            resolved = resolve(loaded)
        except ConnectoropsError:
            continue  # shipped broken; test_corpus_paconn names them
        fitted, problems = fit_for_target(
            ConnectorInEnvironment.of(loaded, "local"), resolved, "local", ARM_CAPABILITIES
        )
        if any(p.code == CANNOT_CARRY for p in problems):
            continue
        assert problems == [] and fitted is resolved, folder
        unchanged += 1
    assert unchanged == 49  # of 69 resolvable folders, 20 carry an extra
