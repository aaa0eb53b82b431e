"""Properties of role assignment naming and classification, over generated assignments."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from connectorops.policy.role_assignments import (
    DesiredRoleAssignment,
    classify_assignments,
    role_assignment_name,
)

RG = "/subscriptions/s/resourceGroups/rg"
SCOPES = [f"{RG}/providers/Microsoft.Web/customApis/{n}" for n in ("a", "b", "c")]
PARENTS = [RG, "/subscriptions/s", "/"]
PRINCIPALS = ["p1", "p2", "p3"]
ROLES = [f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{r}" for r in ("r1", "r2")]

grants = st.tuples(st.sampled_from(SCOPES), st.sampled_from(PRINCIPALS), st.sampled_from(ROLES))
placed = st.tuples(st.sampled_from(SCOPES + PARENTS), st.sampled_from(PRINCIPALS), st.sampled_from(ROLES))


def desired(scope: str, principal: str, role: str) -> DesiredRoleAssignment:
    name = role_assignment_name(scope, principal, role)
    return DesiredRoleAssignment(name, scope, principal, principal, "Group", "use", role)


def observed(index: int, scope: str, principal: str, role: str) -> dict[str, object]:
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/o{index}",
        "name": f"o{index}",
        "properties": {"scope": scope, "principalId": principal, "roleDefinitionId": role},
    }


ARM_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "/-_.()", min_size=1)  # ARM ids are ASCII


@given(ARM_TEXT, ARM_TEXT, ARM_TEXT)
def test_names_ignore_case(scope: str, principal: str, role: str) -> None:
    assert role_assignment_name(scope, principal, role) == role_assignment_name(
        scope.upper(), principal.upper(), role.upper()
    )


@given(st.sets(grants, max_size=6), st.lists(placed, max_size=8), st.sets(st.sampled_from(SCOPES), min_size=1))
def test_every_observed_assignment_is_classified_once(
    wanted: set[tuple[str, str, str]], live: list[tuple[str, str, str]], managed: set[str]
) -> None:
    want = [desired(*g) for g in sorted(wanted)]
    bodies = [observed(i, *g) for i, g in enumerate(live)]
    drift = classify_assignments(bodies, want, managed)
    buckets = [a.name for a in drift.in_sync + drift.out_of_band + drift.inherited]
    assert len(buckets) == len(set(buckets))  # no assignment in two buckets
    for index, (scope, principal, role) in enumerate(live):
        name = f"o{index}"
        if scope in managed:
            in_sync = (scope, principal, role) in wanted
            assert (name in [a.name for a in drift.in_sync]) == in_sync
            assert (name in [a.name for a in drift.out_of_band]) == (not in_sync)
        elif scope in PARENTS:
            assert name in [a.name for a in drift.inherited]
        else:
            assert name not in buckets  # another connector's assignment: not ours to judge
    live_keys = {g for g in live if g[0] in managed}
    assert {(d.scope, d.principal_id, d.role_definition_id) for d in drift.missing} == wanted - live_keys
