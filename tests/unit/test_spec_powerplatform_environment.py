"""connectorops.yaml: the Power Platform environment kinds, and bad values named with their line."""

from __future__ import annotations

import pytest

from connectorops.errors import Problem
from connectorops.spec.loader import load_yaml, validate_model
from connectorops.spec.models import LocalEnvironment, PowerPlatformEnvironment, ProjectConfig
from connectorops.targets.connect import capabilities_of, is_powerplatform

FILE = "connectorops.yaml"
GUID = "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b"


def config(text: str) -> tuple[ProjectConfig | None, list[Problem]]:
    data, source_map = load_yaml(text.encode(), FILE)
    return validate_model(ProjectConfig, data, source_map, FILE)


def test_a_powerplatform_environment_with_its_defaults() -> None:
    loaded, problems = config(
        f"default: makers\nenvironments:\n  makers:\n    target: powerplatform\n    environmentId: {GUID}\n"
    )
    assert problems == [] and loaded is not None
    env = loaded.environments["makers"]
    assert isinstance(env, PowerPlatformEnvironment)
    assert (env.apiEndpoint, env.flowEndpoint, env.credential, env.mode, env.caBundle) == (
        "https://api.powerapps.com", "https://api.flow.microsoft.com", "default", "engine", None,
    )  # fmt: skip
    assert is_powerplatform(env) and capabilities_of(env).custom_code


@pytest.mark.parametrize("environment_id", [GUID, f"Default-{GUID}", GUID.upper()])
def test_environment_ids_a_guid_or_the_default_environment(environment_id: str) -> None:
    loaded, problems = config(
        f"default: m\nenvironments:\n  m: {{target: powerplatform, environmentId: {environment_id}}}\n"
    )
    assert problems == [] and loaded is not None


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("environmentId: my-env", "environments.makers.environmentId", "Power Platform environment id"),
        ("environmentId: Default-tenant", "environments.makers.environmentId", "Power Platform environment id"),
        ("apiEndpoint: http://api.powerapps.com", "environments.makers.apiEndpoint", "https"),
        ("credential: password", "environments.makers.credential", "'default' or 'token-env'"),
        ("resourceGroup: rg", "environments.makers.resourceGroup", "unknown key"),
    ],
)
def test_bad_values_are_named_with_file_line_and_field(line: str, field: str, words: str) -> None:
    base = {"environmentId": GUID}
    key = line.split(":", 1)[0]
    rest = "".join(f"    {k}: {v}\n" for k, v in base.items() if k != key)
    text = f"default: makers\nenvironments:\n  makers:\n    target: powerplatform\n{rest}    {line}\n"
    loaded, problems = config(text)
    assert loaded is None
    (problem,) = [p for p in problems if p.field == field]
    assert problem.file == FILE and problem.line == text.splitlines().index(f"    {line}") + 1
    assert words in problem.message + (problem.hint or ""), problem


def test_the_local_emulator_offers_both_platforms() -> None:
    loaded, problems = config(
        "environments:\n  local: {target: local}\n  makers-local: {target: local, platform: powerplatform}\n"
    )
    assert problems == [] and loaded is not None
    arm, pp = loaded.environments["local"], loaded.environments["makers-local"]
    assert isinstance(arm, LocalEnvironment) and isinstance(pp, LocalEnvironment)
    assert not is_powerplatform(arm) and is_powerplatform(pp)
    assert not capabilities_of(arm).policy_templates and capabilities_of(pp).policy_templates
    _, problems = config("environments:\n  local: {target: local, platform: dataverse}\n")
    (problem,) = problems
    assert (
        problem.field == "environments.local.platform"
        and problem.line == 2
        and "'arm' or 'powerplatform'" in problem.message
    )
