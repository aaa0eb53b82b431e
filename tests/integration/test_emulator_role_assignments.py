"""Role assignments through the gateway: ARM scope semantics, known roles, the principal directory."""

from __future__ import annotations

import threading
import uuid

import pytest
from azure.core.rest import HttpRequest

from connectorops.emulator.server import EmulatorServer
from connectorops.errors import GatewayError
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
OPERATOR = "515c2055-d9d4-4321-b1b9-bd0c9a0f79fe"
ALICE = "0d4a8a8e-5a52-4a77-9a0f-0b8a4b6c1a01"
SALES = "5c2e6f10-3d2a-4a87-b7a3-91f2c4d5e602"


def body(gateway: ArmGateway, role: str, principal: str, principal_type: str | None = "User") -> dict[str, object]:
    properties = {
        "roleDefinitionId": f"/subscriptions/{gateway.target.subscription_id}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{role}",
        "principalId": principal,
    }
    if principal_type:
        properties["principalType"] = principal_type
    return {"properties": properties}


@pytest.fixture
def directory(emulator: EmulatorServer) -> EmulatorServer:
    emulator.add_principal(ALICE, "User", "Alice")
    emulator.add_principal(SALES, "Group", "Sales team")
    return emulator


def test_list_returns_assignments_at_above_and_below_and_at_scope_filter_drops_below(
    gateway: ArmGateway, directory: EmulatorServer
) -> None:
    gateway.put_custom_api("orders", {"location": "westeurope", "properties": {}})
    subscription = f"/subscriptions/{gateway.target.subscription_id}"
    api = gateway.custom_api_id("orders")
    on_sub = gateway.put_role_assignment(subscription, str(uuid.uuid4()), body(gateway, READER, ALICE))
    on_rg = gateway.put_role_assignment(
        gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, SALES, "Group")
    )
    on_api = gateway.put_role_assignment(api, str(uuid.uuid4()), body(gateway, OPERATOR, SALES, "Group"))
    directory.ensure_resource_group(gateway.target.subscription_id, "rg-other", "westeurope")
    other_rg = f"{subscription}/resourceGroups/rg-other"
    gateway.put_role_assignment(other_rg, str(uuid.uuid4()), body(gateway, READER, ALICE))

    def ids(items: list[dict[str, object]]) -> set[object]:
        return {a["id"] for a in items}

    assert ids(gateway.list_role_assignments()) == {on_sub["id"], on_rg["id"], on_api["id"]}
    assert ids(gateway.list_role_assignments(api)) == {on_sub["id"], on_rg["id"], on_api["id"]}
    response = gateway.send_request(
        HttpRequest(
            "GET",
            f"{gateway.resource_group_id()}/providers/Microsoft.Authorization/roleAssignments",
            params={"api-version": "2022-04-01", "$filter": "atScope()"},
        )
    )
    assert ids(response.json()["value"]) == {on_sub["id"], on_rg["id"]}
    assert on_api["properties"]["scope"] == api
    assert on_api["properties"]["roleDefinitionId"].endswith(OPERATOR)


def test_put_is_201_then_200_and_delete_reports_whether_something_was_deleted(
    gateway: ArmGateway, directory: EmulatorServer
) -> None:
    name = str(uuid.uuid4())
    created = gateway.put_role_assignment(gateway.resource_group_id(), name, body(gateway, READER, ALICE))
    again = gateway.put_role_assignment(gateway.resource_group_id(), name, body(gateway, READER, ALICE))
    assert again["id"] == created["id"]
    assert again["properties"]["createdOn"] == created["properties"]["createdOn"]
    assert gateway.requests.counts[("PUT", "Microsoft.Authorization/roleAssignments")] == 2
    assert gateway.delete_role_assignment(created["id"]) is True
    assert gateway.delete_role_assignment(created["id"]) is False
    assert gateway.list_role_assignments() == []


def test_unknown_principal_is_principal_not_found_after_bounded_retries(gateway: ArmGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway.put_role_assignment(
            gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, ALICE, principal_type=None)
        )
    assert (caught.value.status, caught.value.arm_code) == (400, "PrincipalNotFound")
    attempts = gateway.requests.counts[("PUT", "Microsoft.Authorization/roleAssignments")]
    assert attempts == gateway.settings.operation_attempts  # retried for replication delay, then gave up


def test_principal_type_given_skips_the_directory_lookup_as_arm_does(gateway: ArmGateway) -> None:
    # ALICE is not in the directory: with principalType ARM trusts the type (a new service principal).
    created = gateway.put_role_assignment(
        gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, ALICE, "ServicePrincipal")
    )
    assert created["properties"]["principalType"] == "ServicePrincipal"
    assert gateway.requests.counts[("PUT", "Microsoft.Authorization/roleAssignments")] == 1


def test_principal_appearing_during_retries_succeeds(gateway: ArmGateway, emulator: EmulatorServer) -> None:
    # A principal created moments ago replicates late: add it while the gateway is retrying.
    timer = threading.Timer(0.05, emulator.add_principal, args=(ALICE, "User", "Alice"))
    timer.start()
    try:
        created = gateway.put_role_assignment(
            gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, ALICE, principal_type=None)
        )
    finally:
        timer.join()
    assert created["properties"]["principalId"] == ALICE


@pytest.mark.parametrize(
    ("role", "principal", "principal_type", "code"),
    [
        ("00000000-0000-0000-0000-0000000000aa", ALICE, "User", "RoleDefinitionDoesNotExist"),
        (READER, ALICE, "Group", "UnmatchedPrincipalType"),
        (READER, ALICE, "Robot", "InvalidPrincipalType"),
    ],
)
def test_invalid_assignments_are_refused_with_arm_codes(
    gateway: ArmGateway, directory: EmulatorServer, role: str, principal: str, principal_type: str, code: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway.put_role_assignment(
            gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, role, principal, principal_type)
        )
    assert (caught.value.status, caught.value.arm_code) == (400, code)
    assert gateway.requests.counts[("PUT", "Microsoft.Authorization/roleAssignments")] == 1  # not retried


def test_duplicate_and_changed_assignments_conflict(gateway: ArmGateway, directory: EmulatorServer) -> None:
    name = str(uuid.uuid4())
    gateway.put_role_assignment(gateway.resource_group_id(), name, body(gateway, READER, ALICE))
    with pytest.raises(GatewayError) as duplicate:
        gateway.put_role_assignment(gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, ALICE))
    assert (duplicate.value.status, duplicate.value.arm_code) == (409, "RoleAssignmentExists")
    with pytest.raises(GatewayError) as changed:
        gateway.put_role_assignment(gateway.resource_group_id(), name, body(gateway, OPERATOR, ALICE))
    assert changed.value.arm_code == "RoleAssignmentUpdateNotPermitted"


def test_principal_type_defaults_from_the_directory(gateway: ArmGateway, directory: EmulatorServer) -> None:
    created = gateway.put_role_assignment(
        gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, SALES, None)
    )
    assert created["properties"]["principalType"] == "Group"


def test_deleting_a_custom_api_removes_role_assignments_on_it(gateway: ArmGateway, directory: EmulatorServer) -> None:
    gateway.put_custom_api("orders", {"location": "westeurope", "properties": {}})
    gateway.put_role_assignment(gateway.custom_api_id("orders"), str(uuid.uuid4()), body(gateway, READER, ALICE))
    on_rg = gateway.put_role_assignment(
        gateway.resource_group_id(), str(uuid.uuid4()), body(gateway, READER, SALES, "Group")
    )
    gateway.delete_custom_api("orders")
    assert [a["id"] for a in gateway.list_role_assignments()] == [on_rg["id"]]
