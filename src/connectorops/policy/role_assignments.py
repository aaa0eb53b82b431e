"""Grants as values (Azure role assignments; Power Platform permissions in the same shape): the ones git asks
for, and how observed ones compare.

Pure: the engine observes and applies; this module names, builds and classifies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from connectorops.policy.roles import OWNER

# Fixed namespace: the same (scope, principal, role) always yields the same assignment name,
# so apply is idempotent and never creates a duplicate grant.
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("6f1f3c1e-6c8e-5b7a-9a55-0c0e2d7a51b3")
ROLE_ASSIGNMENTS_SEGMENT = "/providers/Microsoft.Authorization/roleAssignments/"


def role_assignment_name(scope: str, principal_id: str, role_definition_id: str) -> str:
    key = f"{scope}|{principal_id}|{role_definition_id}".lower()
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, key))


def role_guid(role_definition: str) -> str:
    """The role's GUID (lower case): the last segment of a roleDefinitions id, or the GUID itself."""
    return role_definition.rstrip("/").rsplit("/", 1)[-1].lower()


@dataclass(frozen=True)
class DesiredRoleAssignment:
    name: str  # uuid5 of scope + principal_id + role_definition_id
    scope: str
    principal_name: str
    principal_id: str
    principal_type: str
    role_name: str
    role_definition_id: str  # full ARM id

    @property
    def id(self) -> str:
        return f"{self.scope}{ROLE_ASSIGNMENTS_SEGMENT}{self.name}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.scope.lower(), self.principal_id.lower(), role_guid(self.role_definition_id))

    def body(self) -> dict[str, Any]:
        return {
            "properties": {
                "roleDefinitionId": self.role_definition_id,
                "principalId": self.principal_id,
                "principalType": self.principal_type,
            }
        }

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope,
            "principal": self.principal_name,
            "principalId": self.principal_id,
            "principalType": self.principal_type,
            "role": self.role_name,
            "roleDefinitionId": self.role_definition_id,
        }


@dataclass(frozen=True)
class ObservedAssignment:
    """One role assignment as ARM reports it (only what drift reports need)."""

    id: str
    name: str
    scope: str
    principal_id: str
    principal_type: str
    role_definition_id: str
    created_on: str | None = None
    created_by: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.scope.lower(), self.principal_id.lower(), role_guid(self.role_definition_id))

    @classmethod
    def from_arm(cls, body: dict[str, Any]) -> ObservedAssignment:
        props = body.get("properties") or {}
        assignment_id = str(body.get("id") or "")
        scope = str(props.get("scope") or assignment_id.split(ROLE_ASSIGNMENTS_SEGMENT, 1)[0])
        return cls(
            id=assignment_id,
            name=str(body.get("name") or assignment_id.rsplit("/", 1)[-1]),
            scope=scope,
            principal_id=str(props.get("principalId") or ""),
            principal_type=str(props.get("principalType") or ""),
            role_definition_id=str(props.get("roleDefinitionId") or ""),
            created_on=props.get("createdOn"),
            created_by=props.get("createdBy"),
        )

    def to_dict(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "scope": self.scope,
            "principalId": self.principal_id,
            "principalType": self.principal_type,
            "roleDefinitionId": self.role_definition_id,
            "createdOn": self.created_on,
        }


@dataclass(frozen=True)
class SharingDrift:
    missing: tuple[DesiredRoleAssignment, ...] = ()  # git declares it, the target lacks it
    out_of_band: tuple[ObservedAssignment, ...] = ()  # at a managed connector's scope, not in git: revoke
    inherited: tuple[ObservedAssignment, ...] = ()  # from the resource group or above: info, never touched
    in_sync: tuple[ObservedAssignment, ...] = field(default=())

    @property
    def has_drift(self) -> bool:
        return bool(self.missing or self.out_of_band)

    def to_dict(self) -> dict[str, Any]:
        return {
            "missing": [a.to_dict() for a in self.missing],
            "outOfBand": [a.to_dict() for a in self.out_of_band],
            "inherited": [a.to_dict() for a in self.inherited],
            "inSync": len(self.in_sync),
        }


def _is_ancestor(scope: str, of: str) -> bool:
    return of.startswith(scope.rstrip("/") + "/")


def classify_assignments(
    observed: list[dict[str, Any]], desired: list[DesiredRoleAssignment], managed_scopes: set[str]
) -> SharingDrift:
    """Sort observed assignments into in sync / out of band / inherited, and find what is missing.

    Scopes compare case-insensitively (ARM ids are). An assignment that grants exactly what git
    declares under another name counts as in sync: re-creating it would only collide.
    """
    managed = {s.lower().rstrip("/") for s in managed_scopes}
    desired_keys = {d.key for d in desired}
    seen_keys: set[tuple[str, str, str]] = set()
    out_of_band: list[ObservedAssignment] = []
    inherited: list[ObservedAssignment] = []
    in_sync: list[ObservedAssignment] = []
    for body in observed:
        item = ObservedAssignment.from_arm(body)
        if item.role_definition_id.lower() == OWNER.lower():
            continue  # Power Platform: the creator's Owner permission is the service's, never ours to revoke
        scope = item.scope.lower().rstrip("/")
        if scope in managed:
            if item.key in desired_keys:
                in_sync.append(item)
                seen_keys.add(item.key)
            else:
                out_of_band.append(item)
        elif any(_is_ancestor(scope, m) for m in managed):
            inherited.append(item)
        # anything else sits on resources we do not manage: not ours to report
    missing = tuple(d for d in desired if d.key not in seen_keys)
    return SharingDrift(
        missing=missing, out_of_band=tuple(out_of_band), inherited=tuple(inherited), in_sync=tuple(in_sync)
    )
