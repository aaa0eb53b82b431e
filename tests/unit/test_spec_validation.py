"""validate_model: pydantic errors become Problems with file:line:column, field path and hints."""

from __future__ import annotations

from connectorops.errors import Problem
from connectorops.spec.loader import load_yaml, validate_model
from connectorops.spec.models import ConnectorDocument, ProjectConfig

FILE = "connectors/orders/connector.yaml"
HEADER = "apiVersion: connectorops/v1\nkind: Connector\nmetadata:\n  name: orders\nspec:\n"


def problems_for(spec_body: str, *, header: str = HEADER) -> list[Problem]:
    data, source_map = load_yaml((header + spec_body).encode(), FILE)
    document, problems = validate_model(ConnectorDocument, data, source_map, FILE)
    assert document is None
    assert problems, "expected at least one problem"
    assert all(p.file == FILE and (p.line is not None or p.code == "spec.more_errors") for p in problems)
    return problems


def only(problems: list[Problem], field: str) -> Problem:
    matching = [p for p in problems if p.field == field]
    assert len(matching) == 1, [str(p) for p in problems]
    return matching[0]


def test_valid_document_gives_the_model_and_no_problems() -> None:
    text = HEADER + "  definition:\n    openapi: openapi.yaml\n  auth:\n    type: apiKey\n    name: X-Key\n"
    data, source_map = load_yaml(text.encode(), FILE)
    document, problems = validate_model(ConnectorDocument, data, source_map, FILE)
    assert problems == []
    assert document is not None and document.metadata.name == "orders"
    assert document.spec.definition.kind == "openapi"


def test_unknown_key_suggests_the_right_spelling() -> None:
    problem = only(problems_for("  displayname: Orders\n  definition: {openapi: o.yaml}\n"), "spec.displayname")
    assert problem.message == "unknown key 'displayname'; did you mean 'displayName'?"
    assert (problem.line, problem.column) == (6, 3)
    assert problem.hint and "displayName" in problem.hint


def test_unknown_key_inside_a_list_item_and_union_member() -> None:
    problems = problems_for(
        "  definition: {openapi: o.yaml}\n  sharing:\n    - principal: ops\n      rol: use\n"
        "  auth:\n    type: oauth2\n    identityProvider: aad\n    clientId: x\n    resourceUri: api://x\n"
        "    clientSecret: {envv: X}\n"
    )
    assert "did you mean 'role'?" in only(problems, "spec.sharing[0].rol").message
    assert only(problems, "spec.sharing[0].rol").line == 9
    secret = only(problems, "spec.auth.clientSecret.envv")
    assert "did you mean 'env'?" in secret.message
    # only the closest union member (EnvSecretRef) is reported, not KeyVaultSecretRef's complaints
    assert not any(p.field and "keyVault" in p.field for p in problems)


def test_wrong_type_names_what_was_found_and_suggests_quotes() -> None:
    problem = only(problems_for("  definition: {openapi: o.yaml}\n  brandColor: 5\n"), "spec.brandColor")
    assert "valid string" in problem.message and "a number" in problem.message
    assert problem.hint and "quotes" in problem.hint
    assert problem.line == 7


def test_missing_required_key_points_at_the_parent() -> None:
    problem = only(problems_for("  description: no definition here\n"), "spec.definition")
    assert problem.message == "missing required key 'definition'"
    assert problem.line == 5


def test_literal_secret_names_the_field_suggests_env_and_hides_the_value() -> None:
    problems = problems_for(
        "  definition: {openapi: o.yaml}\n  auth:\n    type: oauth2\n    identityProvider: aad\n"
        "    clientId: x\n    resourceUri: api://x\n    clientSecret: s3cr3t-value\n"
    )
    problem = only(problems, "spec.auth.clientSecret")
    assert "literal secret" in problem.message
    assert problem.hint and "{env:" in problem.hint
    assert problem.line == 12
    assert all("s3cr3t-value" not in str(p) for p in problems)


def test_literal_secret_in_an_environment_override() -> None:
    problems = problems_for(
        "  definition: {openapi: o.yaml}\n  environments:\n    dev:\n      auth: {clientSecret: hunter2}\n"
    )
    assert "literal secret" in only(problems, "spec.environments.dev.auth.clientSecret").message
    assert all("hunter2" not in str(p) for p in problems)


def test_unknown_auth_type_lists_the_choices() -> None:
    problem = only(problems_for("  definition: {openapi: o.yaml}\n  auth: {type: oauth3}\n"), "spec.auth.type")
    assert problem.message == "auth.type must be one of none, basic, apiKey, oauth2 (got 'oauth3')"
    assert (problem.line, problem.column) == (7, 16)


def test_missing_auth_type_lists_the_choices() -> None:
    problem = only(problems_for("  definition: {openapi: o.yaml}\n  auth: {name: X-Key}\n"), "spec.auth.type")
    assert "needs 'type'" in problem.message and "none, basic, apiKey, oauth2" in problem.message


def test_bad_metadata_name_explains_arm_naming() -> None:
    header = HEADER.replace("name: orders", "name: Orders API!")
    problem = only(problems_for("  definition: {openapi: o.yaml}\n", header=header), "metadata.name")
    assert "not a valid ARM resource name" in problem.message
    assert problem.hint and "1-80 characters" in problem.hint
    assert problem.line == 4


def test_two_definition_sources_are_an_error() -> None:
    problem = only(problems_for("  definition:\n    openapi: o.yaml\n    postman: c.json\n"), "spec.definition")
    assert "exactly one of openapi, url, postman, paconn" in problem.message
    assert "(got openapi, postman)" in problem.message


def test_yaml_boolean_gotcha_gets_a_hint() -> None:
    problem = only(
        problems_for("  definition: {openapi: o.yaml}\n  lifecycle: {deletion: no}\n"), "spec.lifecycle.deletion"
    )
    assert "'protect'" in problem.message
    assert problem.hint and "booleans" in problem.hint


def test_root_that_is_not_a_mapping() -> None:
    data, source_map = load_yaml(b"- a\n- b\n", FILE)
    _, problems = validate_model(ConnectorDocument, data, source_map, FILE)
    assert [p.message for p in problems] == ["must be a mapping (key: value), got a list"]


def test_environment_target_discriminator() -> None:
    text = b"default: dev\nenvironments:\n  dev:\n    target: azur\n"
    data, source_map = load_yaml(text, "connectorops.yaml")
    config, problems = validate_model(ProjectConfig, data, source_map, "connectorops.yaml")
    assert config is None
    problem = only(problems, "environments.dev.target")
    assert problem.message == "dev.target must be one of local, azure, powerplatform (got 'azur')"
    assert problem.line == 4


def test_problems_are_sorted_by_position() -> None:
    problems = problems_for("  brandColor: red\n  displayname: x\n  definition: {}\n")
    lines = [p.line or 0 for p in problems]
    assert lines == sorted(lines) and len(problems) >= 3


def test_auth_override_without_oauth2_is_an_error_not_ignored() -> None:
    problems = problems_for(
        "  definition: {openapi: o.yaml}\n  auth: {type: apiKey, name: X-Key}\n"
        "  environments:\n    dev:\n      auth: {clientId: other}\n"
    )
    problem = only(problems, "spec")
    assert "environments dev override auth" in problem.message and "(apiKey)" in problem.message


def test_icon_must_be_png_or_https() -> None:
    problem = only(problems_for("  definition: {openapi: o.yaml}\n  icon: http://x/icon.png\n"), "spec.icon")
    assert "https" in problem.message and problem.line == 7
    problem = only(problems_for("  definition: {openapi: o.yaml}\n  icon: logo.svg\n"), "spec.icon")
    assert ".png" in problem.message


def test_thousands_of_errors_are_capped_with_a_note() -> None:
    scopes = ", ".join(["[1]"] * 3000)
    problems = problems_for(
        "  definition: {openapi: o.yaml}\n  auth:\n    type: oauth2\n    identityProvider: aad\n"
        f"    clientId: x\n    resourceUri: api://x\n    scopes: [{scopes}]\n"
    )
    assert len(problems) == 51
    assert problems[-1].code == "spec.more_errors"
    assert problems[-1].message == "3000 validation errors in this file; only the first 50 are shown"
    assert problems[0].field == "spec.auth.scopes[0]"
