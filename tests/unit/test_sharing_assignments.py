"""Deterministic role assignment names, ARM bodies, and classification of observed assignments."""

from __future__ import annotations

import uuid
from typing import Any

from policy_support import ALICE, OPS, SALES, connector

from connectorops.policy.role_assignments import ROLE_ASSIGNMENT_NAMESPACE, DesiredRoleAssignment
from connectorops.policy.sharing import SharingPolicy, classify_assignments, desired_role_assignments
from connectorops.policy.sharing_model import SharingPolicyDocument
from connectorops.spec.repository import ConnectorInEnvironment
from connectorops.targets.arm.render import role_definition_id

SUB = "00000000-0000-0000-0000-0000000000aa"


def arm_role_id(role: str) -> str:
    return role_definition_id(role, SUB)


RG = f"/subscriptions/{SUB}/resourceGroups/rg-test"
SCOPE = f"{RG}/providers/Microsoft.Web/customApis/orders"
ROLE_DEFS = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions"
OPERATOR = f"{ROLE_DEFS}/515c2055-d9d4-4321-b1b9-bd0c9a0f79fe"
READER = f"{ROLE_DEFS}/acdd72a7-3385-48ef-bd42-f606fba81ae7"

POLICY = SharingPolicy(
    document=SharingPolicyDocument.model_validate(
        {
            "principals": {
                "sales-team": {"objectId": SALES, "type": "Group"},
                "ops-team": {"objectId": OPS, "type": "Group"},
                "alice": {"objectId": ALICE, "type": "User"},
            },
            "rules": [
                {"name": "groups-use", "effect": "allow", "principalTypes": ["Group"], "roles": ["use"]},
            ],
        }
    )
)


def observed(scope: str, principal: str, role: str, name: str = "x", **props: Any) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "scope": scope,
            "principalId": principal,
            "roleDefinitionId": role,
            "principalType": "Group",
            **props,
        },
    }


def desired_for_orders() -> list[DesiredRoleAssignment]:
    c = connector(sharing=[{"principal": "sales-team", "role": "use"}, {"principal": "ops-team", "role": "use"}])
    return desired_role_assignments(ConnectorInEnvironment.of(c, "dev"), POLICY, scope=SCOPE, role_id=arm_role_id)


def test_names_are_uuid5_of_scope_principal_role_lowercased() -> None:
    assignments = desired_for_orders()
    by_principal = {a.principal_name: a for a in assignments}
    sales = by_principal["sales-team"]
    expected = uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, f"{SCOPE}|{SALES}|{OPERATOR}".lower())
    assert sales.name == str(expected)
    assert sales.role_definition_id == OPERATOR
    assert sales.id == f"{SCOPE}/providers/Microsoft.Authorization/roleAssignments/{expected}"
    assert sales.body() == {
        "properties": {"roleDefinitionId": OPERATOR, "principalId": SALES, "principalType": "Group"}
    }
    # case of the scope does not change the name: ARM ids are case-insensitive
    again = desired_role_assignments(
        ConnectorInEnvironment.of(connector(sharing=[{"principal": "sales-team", "role": "use"}]), "dev"),
        POLICY,
        scope=SCOPE.upper(),
        role_id=arm_role_id,
    )
    assert again[0].name == sales.name


def test_same_input_same_assignments_and_duplicates_collapse() -> None:
    assert desired_for_orders() == desired_for_orders()
    doubled = connector(sharing=[{"principal": "ops-team", "role": "use"}, {"principal": "ops-team", "role": "use"}])
    assert (
        len(
            desired_role_assignments(
                ConnectorInEnvironment.of(doubled, "dev"), POLICY, scope=SCOPE, role_id=arm_role_id
            )
        )
        == 1
    )


def test_forbidden_and_unknown_requests_are_not_desired() -> None:
    c = connector(
        sharing=[
            {"principal": "alice", "role": "use"},  # users are not allowed by the rule
            {"principal": "ghost", "role": "use"},
            {"principal": "ops-team", "role": "edit"},  # edit not allowed
            {"principal": "ops-team", "role": "use"},
        ]
    )
    result = desired_role_assignments(ConnectorInEnvironment.of(c, "dev"), POLICY, scope=SCOPE, role_id=arm_role_id)
    assert [(a.principal_name, a.role_name) for a in result] == [("ops-team", "use")]


def test_classify_in_sync_missing_out_of_band_and_inherited() -> None:
    desired = desired_for_orders()
    sales = next(a for a in desired if a.principal_name == "sales-team")
    ops = next(a for a in desired if a.principal_name == "ops-team")
    world = [
        observed(sales.scope, SALES, sales.role_definition_id, name=sales.name),
        observed(SCOPE, ALICE, READER, name="oob", createdOn="2026-01-02T03:04:05Z"),
        observed(RG, ALICE, READER, name="rg-level"),
        observed(f"/subscriptions/{SUB}", OPS, READER, name="sub-level"),
        observed(f"{RG}/providers/Microsoft.Web/customApis/unmanaged", ALICE, READER, name="elsewhere"),
    ]
    drift = classify_assignments(world, desired, {SCOPE})
    assert [a.name for a in drift.in_sync] == [sales.name]
    assert drift.missing == (ops,)
    assert [a.name for a in drift.out_of_band] == ["oob"]
    assert drift.out_of_band[0].created_on == "2026-01-02T03:04:05Z"
    assert sorted(a.name for a in drift.inherited) == ["rg-level", "sub-level"]
    assert drift.has_drift
    assert drift.to_dict()["outOfBand"][0]["principalId"] == ALICE


def test_same_grant_under_another_name_counts_as_in_sync() -> None:
    desired = [a for a in desired_for_orders() if a.principal_name == "sales-team"]
    world = [observed(SCOPE.lower(), SALES.upper(), OPERATOR.replace(SUB, SUB.upper()), name="portal-made")]
    drift = classify_assignments(world, desired, {SCOPE})
    assert not drift.has_drift
    assert [a.name for a in drift.in_sync] == ["portal-made"]


def test_scope_is_read_from_the_id_when_properties_lack_it() -> None:
    body = observed(SCOPE, ALICE, READER, name="n")
    del body["properties"]["scope"]
    drift = classify_assignments([body], [], {SCOPE})
    assert [a.scope for a in drift.out_of_band] == [SCOPE]
