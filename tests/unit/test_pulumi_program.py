"""The Pulumi program under `pulumi.runtime.set_mocks`: resource graph, properties, options, failures.

No Pulumi CLI runs here (none can be installed); the mocks see exactly what the program declares.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest
from in_memory_target import InMemoryTarget
from pulumi_support import (
    LOCATION,
    RESOURCE_GROUP,
    SALES_GROUP,
    SUBSCRIPTION,
    ArmLikeMocks,
    RecordingMonitor,
    install_mocks,
    make_repo,
    pulumi_target,
    run_program,
    unwrap_secret,
)

from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.uncarried import without_uncarried
from connectorops.pulumi_stack.program import DeclaredStack
from connectorops.pulumi_stack.settings import StackSettings
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ArmPlacement

SECRET_VALUE = "s3cr3t-value-for-tests"
ENVIRON = {"ORDERS_DEV_CLIENT_SECRET": SECRET_VALUE}


def run(
    settings: StackSettings,
    gateway: InMemoryTarget,
    environ: dict[str, str] | None = None,
    installed: tuple[ArmLikeMocks, RecordingMonitor] | None = None,
) -> tuple[ArmLikeMocks, RecordingMonitor, DeclaredStack]:
    return run_program(settings, gateway, ENVIRON if environ is None else environ, installed)


def settings_for(repo: Path, **overrides: Any) -> StackSettings:
    values: dict[str, Any] = {
        "repo_root": repo,
        "environment": "dev",
        "subscription_id": SUBSCRIPTION,
        "drop_ui_definition": frozenset({"d7sms"}),  # basic auth labels: azure-native cannot carry them
    }
    values.update(overrides)
    return StackSettings(**values)


def expected_state(repo: Path) -> Any:
    return build_desired_state(
        load_repository(FileSystemTree(repo)),
        "dev",
        placement=ArmPlacement(SUBSCRIPTION, RESOURCE_GROUP, LOCATION),
        commit=None,
    )


def by_name(mocks: ArmLikeMocks) -> dict[str, tuple[str, dict[str, Any]]]:
    return {name: (typ, inputs) for typ, name, inputs in mocks.created}


def test_resource_graph_types_names_and_deterministic_role_assignment(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    mocks, _, declared = run(settings_for(repo), pulumi_target())
    created = by_name(mocks)
    assert {n: t for n, (t, _) in created.items()} == {
        "orders": "azure-native:web:CustomApi",
        "d7sms": "azure-native:web:CustomApi",
        "orders-share-sales-team-use": "azure-native:authorization:RoleAssignment",
    }
    (grant,) = expected_state(repo).role_assignments
    _, inputs = created["orders-share-sales-team-use"]
    assert inputs["roleAssignmentName"] == grant.name
    assert inputs["principalId"] == SALES_GROUP
    assert inputs["principalType"] == "Group"
    assert inputs["roleDefinitionId"] == grant.role_definition_id
    # The scope is the customApi's id output, i.e. the same scope the engine named the grant for.
    assert inputs["scope"] == grant.scope
    assert set(declared.role_assignments) == {grant.name}


def test_properties_and_tags_equal_the_engine_render(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    mocks, _, _ = run(settings_for(repo), pulumi_target())
    created = by_name(mocks)
    for api in expected_state(repo).custom_apis:
        _, inputs = created[api.name]
        assert inputs["apiName"] == api.name
        assert inputs["resourceGroupName"] == RESOURCE_GROUP
        assert inputs["location"] == LOCATION
        assert inputs["tags"] == api.body["tags"]
        _, properties = unwrap_secret(inputs["properties"])
        # d7sms's dialog labels cannot go through azure-native; the stack allows dropping them
        expected = without_uncarried(api.body)["properties"] if api.name == "d7sms" else api.body["properties"]
        if api.secret_refs:  # the only difference: the secret value at its pointer
            assert properties["connectionParameters"]["token"]["oAuthSettings"].pop("clientSecret") == SECRET_VALUE
        assert properties == expected


def test_the_oauth_client_secret_goes_in_as_a_pulumi_secret(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    mocks, _, _ = run(settings_for(repo), pulumi_target())
    created = by_name(mocks)
    is_secret, properties = unwrap_secret(created["orders"][1]["properties"])
    assert is_secret
    assert properties["connectionParameters"]["token"]["oAuthSettings"]["clientSecret"] == SECRET_VALUE
    # d7sms has no secret reference: its properties stay plain (readable diffs in previews).
    assert unwrap_secret(created["d7sms"][1]["properties"])[0] is False
    assert SECRET_VALUE not in str(created["d7sms"][1]) and SECRET_VALUE not in str(created["orders"][1]["tags"])


def test_a_missing_secret_variable_stops_the_program_naming_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with pytest.raises(pulumi.RunError, match="ORDERS_DEV_CLIENT_SECRET"):
        run(settings_for(repo), pulumi_target(), environ={"UNRELATED": "x"})


def test_live_connections_protect_a_connector_and_warn_with_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path)
    gateway = pulumi_target()
    gateway.add_connection("orders-conn-1", "orders")
    gateway.add_connection("orders-conn-2", "orders")
    gateway.add_workflow("order-sync", gateway.connection_id("orders-conn-1"))
    gateway.add_connection("sms-conn", "d7sms")  # d7sms: lifecycle.deletion allow-connection-loss
    with caplog.at_level(logging.WARNING):
        _, monitor, declared = run(settings_for(repo), gateway)
    assert monitor.options["orders"] == (True, False)
    assert monitor.options["d7sms"] == (False, False)
    assert declared.protections["orders"].impact.connection_count == 2
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "'orders' has 2 connection(s) used by 1 Logic App(s)" in warnings
    assert "'d7sms' has 1 connection(s) used by 0 Logic App(s)" in warnings
    # The engine's observation: one listing each of customApis, connections, role assignments and
    # workflows, whatever the number of connectors.
    assert gateway.requests.total() == 4


def test_no_connections_means_no_protection(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    gateway = pulumi_target()
    _, monitor, _ = run(settings_for(repo), gateway)
    assert monitor.options["orders"] == (False, False)
    assert gateway.requests.total("GET") == 4  # the engine's observation: one listing per collection


def test_allow_connection_loss_in_stack_config_lifts_protection(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    gateway = pulumi_target()
    gateway.add_connection("orders-conn", "orders")
    _, monitor, _ = run(settings_for(repo, allow_connection_loss=frozenset({"orders"})), gateway)
    assert monitor.options["orders"] == (False, False)


def test_orphan_deletion_retains_on_delete(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    path = repo / "connectors" / "d7sms" / "connector.yaml"
    path.write_text(path.read_text().replace("deletion: allow-connection-loss", "deletion: orphan"))
    gateway = pulumi_target()
    gateway.add_connection("sms-conn", "d7sms")
    _, monitor, _ = run(settings_for(repo), gateway)
    assert monitor.options["d7sms"] == (False, True)


def test_an_orphaned_connector_keeps_its_role_assignments_too(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    path = repo / "connectors" / "orders" / "connector.yaml"
    path.write_text(path.read_text().replace("  lifecycle: {deletion: protect}", "  lifecycle: {deletion: orphan}"))
    _, monitor, _ = run(settings_for(repo), pulumi_target())
    assert monitor.options["orders"] == (False, True)
    assert monitor.options["orders-share-sales-team-use"] == (False, True)
    assert monitor.options["d7sms"] == (False, False)


def test_a_sharing_violation_stops_the_program_before_any_resource(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    policy = repo / "policies" / "sharing.yaml"
    policy.write_text(policy.read_text().replace("effect: allow", "effect: deny"))
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError) as caught:
        run(settings_for(repo), pulumi_target(), installed=(mocks, monitor))
    message = str(caught.value)
    assert "blocked, no resource declared" in message
    assert "teams-use-their-connectors" in message and "connectors/orders/connector.yaml" in message
    assert mocks.created == [] and monitor.options == {}


def test_what_the_target_cannot_carry_stops_the_program_until_stripped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    properties_file = repo / "connectors" / "d7sms" / "paconn" / "apiProperties.json"
    document = json.loads(properties_file.read_text())
    document["properties"]["policyTemplateInstances"] = [
        {"templateId": "setheader", "title": "Set a header", "parameters": {"x-ms-apimTemplateParameter.name": "X"}}
    ]
    properties_file.write_text(json.dumps(document, indent=2))
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError) as caught:
        run(settings_for(repo), pulumi_target(), installed=(mocks, monitor))
    message = str(caught.value)
    assert "blocked, no resource declared" in message
    assert "connectors/d7sms/paconn/apiProperties.json" in message and "/properties/policyTemplateInstances" in message
    assert mocks.created == [] and not {"d7sms", "orders"} & set(monitor.options)

    yaml_path = repo / "connectors" / "d7sms" / "connector.yaml"
    yaml_path.write_text(yaml_path.read_text() + "  strip: [policyTemplates]\n")
    mocks, _, _ = run(settings_for(repo), pulumi_target())
    created = by_name(mocks)
    assert "policyTemplateInstances" not in json.dumps(created["d7sms"][1])


def test_a_mandatory_certification_finding_stops_the_program(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    findings = expected_state(repo).findings
    assert findings and not [f for f in findings if f.blocking]  # all advisory here
    rule, file = findings[0].rule_id, findings[0].file
    (repo / "policies" / "certification.yaml").write_text(
        f"apiVersion: connectorops/v1\nkind: CertificationPolicy\ndefault: advisory\nrules: {{{rule}: mandatory}}\n"
    )
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError, match=rf"\[{rule}\]") as caught:
        run(settings_for(repo), pulumi_target(), installed=(mocks, monitor))
    assert file in str(caught.value)
    assert mocks.created == [] and monitor.options == {}


def test_a_stack_pointing_at_another_subscription_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    wrong = settings_for(repo, subscription_id="99999999-9999-9999-9999-999999999999")
    with pytest.raises(pulumi.RunError, match="azure-native:subscriptionId"):
        run(wrong, pulumi_target())


def test_the_local_emulator_environment_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with pytest.raises(pulumi.RunError, match="Pulumi deploys only to Azure and Power Platform"):
        run(settings_for(repo, environment="local"), pulumi_target())


def test_mandatory_findings_block_the_program_as_errors_and_advisory_ones_do_not() -> None:
    from connectorops.errors import Severity
    from connectorops.policy.certification.findings import Finding
    from connectorops.pulumi_stack.program import blocking_problems

    finding = Finding("R1", Severity.WARNING, "mandatory", "connectors/x/openapi.yaml", "/paths", "bad", "fix it")
    (problem,) = blocking_problems(DesiredState("prod", findings=(replace(finding, connector="x"),)))
    assert problem == finding.to_problem()
    assert problem.severity == Severity.ERROR and "[R1] bad" in str(problem)
    advisory = replace(finding, enforcement="advisory", connector="x")
    assert blocking_problems(DesiredState("prod", findings=(advisory,))) == []


def test_a_connection_dialog_azure_native_cannot_carry_stops_the_program_naming_it(tmp_path: Path) -> None:
    # issue 14 item 11: uiDefinition used to vanish silently between the engine's render and azure-native
    repo = make_repo(tmp_path)
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError) as caught:
        run(settings_for(repo, drop_ui_definition=frozenset()), pulumi_target(), installed=(mocks, monitor))
    message = str(caught.value)
    assert "d7sms: connectionParameters.password.uiDefinition, connectionParameters.username.uiDefinition" in message
    assert "connectorops apply" in message and "connectorops:dropUiDefinition" in message
    assert mocks.created == []


def test_dropping_the_dialog_when_the_stack_allows_it_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(tmp_path)
    with caplog.at_level(logging.WARNING):
        mocks, _, _ = run(settings_for(repo), pulumi_target())
    _, properties = unwrap_secret(by_name(mocks)["d7sms"][1]["properties"])
    assert properties["connectionParameters"] == {
        "password": {"type": "securestring"},
        "username": {"type": "securestring"},
    }
    assert any("d7sms: azure-native's CustomApi cannot carry" in r.getMessage() for r in caplog.records)
