"""The grant kind (roleAssignment; Power Platform: a connector permission): its plan (share what git declares,
revoke the rest), execution, drift items and wording."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectorops.engine.actions import CUSTOM_API, ROLE_ASSIGNMENT, Action, ActionKind, PlanOptions, Verdict
from connectorops.engine.classify import ConnectorClass, classify_grants, our_scopes
from connectorops.engine.deletion_policy import DeletionPolicySource
from connectorops.engine.desired import DesiredState, connector_of_scope
from connectorops.engine.drift_items import INFO, DriftItem
from connectorops.engine.kinds.base import PHASE_GRANT, PHASE_REVOKE, CodeSpan, ResourceKind
from connectorops.engine.observe import ObservedState
from connectorops.policy.role_assignments import DesiredRoleAssignment, ObservedAssignment
from connectorops.policy.roles import DEFAULT_POWER_PLATFORM_ROLES

if TYPE_CHECKING:
    from connectorops.engine.target import Target

PERMISSIONS = frozenset(DEFAULT_POWER_PLATFORM_ROLES.values())  # Power Platform's grant roles


def _phase(action: Action) -> int:
    return PHASE_GRANT if action.kind == ActionKind.CREATE else PHASE_REVOKE


def _execute(action: Action, body: dict[str, Any] | None, target: Target, environment: str) -> str:
    if action.kind == ActionKind.CREATE:
        target.grant(action.connector, action.name, body or {})
        return "granted"
    target.revoke(action.resource_id)
    return "revoked"


def _describe(action: Action) -> str:
    return f"role assignment {action.name} on {action.connector!r}"


def sharing_verb(action: Action) -> tuple[str, str]:
    """("grant", "to") for a new role assignment, ("revoke", "from") for a removed one."""
    return ("grant", "to") if action.kind == ActionKind.CREATE else ("revoke", "from")


def _summary(action: Action) -> str:
    verb, preposition = sharing_verb(action)
    return f"{verb} {action.role} {preposition} {action.principal}"


def _bullet(action: Action, code: CodeSpan) -> str:
    verb, preposition = sharing_verb(action)
    return f"**{verb}** role {code(str(action.role))} {preposition} {code(str(action.principal))}"


# --- planning --------------------------------------------------------------------------------


def _describe_principal(grant: DesiredRoleAssignment) -> str:
    return f"{grant.principal_name} ({grant.principal_type})"


def _describe_role(grant: DesiredRoleAssignment) -> str:
    """The role's name in sharing.yaml; on Power Platform with the permission it means: `edit (CanEdit)`."""
    permission = grant.role_definition_id
    return f"{grant.role_name} ({permission})" if permission in PERMISSIONS else grant.role_name


def _plan(
    desired: DesiredState,
    observed: ObservedState,
    options: PlanOptions,
    deletion_policies: DeletionPolicySource,
    api_actions: list[Action],
) -> list[Action]:
    """Grants git declares but ARM lacks are created; grants on our connectors git does not declare are revoked.

    Grants compare by (scope, principal, role), so one made by hand under another name counts as in sync.
    The comparison is the one drift reads (engine/classify.py).
    """
    by_connector = {a.connector.lower(): a for a in api_actions if a.resource_type == CUSTOM_API}
    # Compared at the connectors apply writes or keeps (adopted ones included), not at blocked or new ones.
    owners = {
        a.resource_id.lower().rstrip("/"): a
        for a in api_actions
        if a.resource_type == CUSTOM_API and a.kind != ActionKind.CREATE
    }
    sharing = classify_grants(desired, observed, set(owners))
    existing_keys = {ObservedAssignment.from_arm(ra).key for ra in observed.role_assignments}
    actions: list[Action] = []
    granted: dict[tuple[str, str], int] = {}  # (scope, principal) -> index of its create action
    for grant in sorted(sharing.missing, key=lambda g: (g.scope.lower(), g.name)):
        if grant.key in existing_keys:
            continue  # granted already at a connector we do not write (not ours yet): creating it would collide
        connector = connector_of_scope(grant.scope)
        owner = by_connector.get(connector.lower())
        blocked = owner is not None and owner.blocked
        granted[_holder(grant.scope, grant.principal_id)] = len(actions)
        actions.append(
            Action(
                kind=ActionKind.CREATE,
                resource_type=ROLE_ASSIGNMENT,
                name=grant.name,
                connector=connector,
                resource_id=grant.id,
                verdict=Verdict.BLOCK if blocked else Verdict.ALLOW,
                reasons=(f"the connector {connector!r} itself is blocked",) if blocked else (),
                body=grant.body(),
                scope=grant.scope,
                principal=_describe_principal(grant),
                role=_describe_role(grant),
            )
        )
    for ra in sorted(sharing.out_of_band, key=lambda r: r.id):
        owner = owners[ra.scope.lower().rstrip("/")]
        if owner.kind == ActionKind.ORPHAN:
            continue
        if owner.kind == ActionKind.ADOPT and not desired_grants_for(desired, owner.connector):
            continue  # an adopted connector's sharing is taken over only once git declares some
        replacing = granted.get(_holder(ra.scope, ra.principal_id)) if observed.one_role_per_principal else None
        if replacing is not None:
            # One permission per principal (Power Platform): the grant replaces this one; revoking it after
            # the grant would take the new permission away.
            role = desired.describe_role(ra.role_definition_id)
            actions[replacing] = replace(
                actions[replacing],
                warnings=(f"replaces the {role} permission held now (one permission per principal and connector)",),
            )
            continue
        actions.append(
            Action(
                kind=ActionKind.DELETE,
                resource_type=ROLE_ASSIGNMENT,
                name=ra.name,
                connector=owner.connector,
                resource_id=ra.id,
                scope=ra.scope,
                principal=desired.describe_principal(ra.principal_id, ra.principal_type),
                role=desired.describe_role(ra.role_definition_id),
                warnings=("not declared in git (out-of-band sharing or a removed grant): access will be revoked",),
            )
        )
    return actions


def _holder(scope: str, principal_id: str) -> tuple[str, str]:
    return scope.lower().rstrip("/"), principal_id.lower()


def desired_grants_for(desired: DesiredState, connector: str) -> list[DesiredRoleAssignment]:
    return [g for g in desired.role_assignments if connector_of_scope(g.scope).lower() == connector.lower()]


# --- drift: the same comparison as report items -------------------------------------------------


def _drift(desired: DesiredState, observed: ObservedState, classes: list[ConnectorClass]) -> list[DriftItem]:
    result = classify_grants(desired, observed, our_scopes(classes))
    items: list[DriftItem] = []
    for extra in result.out_of_band:
        items.append(
            DriftItem(
                "extra-role-assignment", connector_of_scope(extra.scope), extra.id,
                "out-of-band sharing: granted on a managed connector, not declared in git (`drift --fix` revokes it)",
                principal=desired.describe_principal(extra.principal_id, extra.principal_type),
                role=desired.describe_role(extra.role_definition_id), since=extra.created_on,
            )
        )  # fmt: skip
    for missing in result.missing:
        items.append(
            DriftItem(
                "missing-role-assignment", connector_of_scope(missing.scope), missing.id,
                f"declared in git but not granted in {observed.place}",
                principal=f"{missing.principal_name} ({missing.principal_type}, {missing.principal_id})",
                role=missing.role_name,
            )
        )  # fmt: skip
    for inherited in result.inherited:
        items.append(
            DriftItem(
                "inherited-role-assignment", "*", inherited.id,
                f"inherited from {inherited.scope or 'a parent scope'}: information only, never touched",
                INFO,
                principal=desired.describe_principal(inherited.principal_id, inherited.principal_type),
                role=desired.describe_role(inherited.role_definition_id), since=inherited.created_on,
            )
        )  # fmt: skip
    return items


GRANT = ResourceKind(
    name=ROLE_ASSIGNMENT,
    is_connector=False,
    plan=_plan,
    phase=_phase,
    execute=_execute,
    describe=_describe,
    noun="role assignment",
    drift=_drift,
    summary=_summary,
    bullet=_bullet,
)
