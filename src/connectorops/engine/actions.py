"""The value types a plan is made of: one Action per resource, its kind and verdict, and the plan options.

Their own module so guards, apply, planfile and reports can use them without importing the planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connectorops.engine.breaking import BreakingChange
from connectorops.engine.diff import FieldChange
from connectorops.engine.impact import Impact

ROTATE_ALL = "*"
CUSTOM_API = "customApi"
ROLE_ASSIGNMENT = "roleAssignment"


class ActionKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ORPHAN = "orphan"  # stop managing: remove our tags, keep the resource
    ADOPT = "adopt"  # start managing a same-name resource `import` declared in git
    NOOP = "noop"


class Verdict(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


@dataclass(frozen=True)
class PlanOptions:
    allow_connection_loss: frozenset[str] = frozenset()
    allow_empty: bool = False
    max_deletions: int = 3
    touched: frozenset[str] | None = None  # connectors a PR changes (--base/--head); None: not computed
    # --rotate-secrets NAME: re-send these connectors' secrets although their references did not change
    # ("*": every connector with secrets). The fingerprint covers references, never values.
    rotate_secrets: frozenset[str] = frozenset()

    def rotates(self, connector: str) -> bool:
        return ROTATE_ALL in self.rotate_secrets or connector.lower() in {n.lower() for n in self.rotate_secrets}

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowConnectionLoss": sorted(self.allow_connection_loss),
            "allowEmpty": self.allow_empty,
            "maxDeletions": self.max_deletions,
            "touched": sorted(self.touched) if self.touched is not None else None,
            "rotateSecrets": sorted(self.rotate_secrets),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanOptions:
        touched = data.get("touched")
        return cls(
            allow_connection_loss=frozenset(data.get("allowConnectionLoss", [])),
            allow_empty=bool(data.get("allowEmpty", False)),
            max_deletions=int(data.get("maxDeletions", 3)),
            touched=frozenset(touched) if touched is not None else None,
            rotate_secrets=frozenset(data.get("rotateSecrets") or []),
        )


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    resource_type: str  # customApi | roleAssignment
    name: str  # customApi name, or the role assignment's GUID name
    connector: str  # the connector the resource belongs to
    resource_id: str
    verdict: Verdict = Verdict.ALLOW
    reasons: tuple[str, ...] = ()  # why blocked (and what to do)
    warnings: tuple[str, ...] = ()
    changes: tuple[FieldChange, ...] = ()
    impact: Impact | None = None
    breaking: tuple[BreakingChange, ...] = ()
    # customApi create/update/adopt: the PUT body (secret references only); orphan/adopt-by-tags: the new tags;
    # roleAssignment create: the PUT body
    body: dict[str, Any] | None = None
    secret_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    desired_fingerprint: str | None = None
    observed_etag: str | None = None
    observed_fingerprint: str | None = None
    observed_commit: str | None = None
    observed_deletion_policy: str | None = None  # the connectorops-deletion tag (shown, never trusted)
    # customApi delete/orphan: lifecycle.deletion as git gave it (engine/deletion_policy.py) and where it was read
    deletion_policy: str | None = None
    deletion_policy_origin: str | None = None
    # customApi delete: the connections --allow-connection-loss acknowledged (those the plan showed, no others)
    acknowledged_connections: tuple[str, ...] = ()
    source_path: str | None = None
    scope: str | None = None  # roleAssignment: the customApi id
    principal: str | None = None  # roleAssignment: "name (Type)", or "Type objectId" when the policy has no name
    role: str | None = None
    touched: bool = False
    # customApi update: JSON pointers (under connectionParameters) of secrets re-sent by --rotate-secrets
    rotated_secrets: tuple[str, ...] = ()
    # customApi adopt under another name: the name the target lists the connector by until it is adopted
    listed_as: str | None = None

    @property
    def key(self) -> str:
        return f"{self.resource_type}:{self.name}"

    @property
    def blocked(self) -> bool:
        return self.verdict == Verdict.BLOCK

    @property
    def is_change(self) -> bool:
        return self.kind != ActionKind.NOOP

    def to_dict(self) -> dict[str, Any]:
        # listedAs only when set: plan files saved before it existed keep their fingerprint
        listed = {"listedAs": self.listed_as} if self.listed_as else {}
        return {
            "kind": str(self.kind),
            "resourceType": self.resource_type,
            "name": self.name,
            "connector": self.connector,
            "resourceId": self.resource_id,
            "verdict": str(self.verdict),
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "changes": [c.to_dict() for c in self.changes],
            "impact": self.impact.to_dict() if self.impact is not None else None,
            "breakingChanges": [b.to_dict() for b in self.breaking],
            "body": self.body,
            "secretRefs": self.secret_refs,
            "desiredFingerprint": self.desired_fingerprint,
            "observedEtag": self.observed_etag,
            "observedFingerprint": self.observed_fingerprint,
            "observedCommit": self.observed_commit,
            "observedDeletionPolicy": self.observed_deletion_policy,
            "deletionPolicy": self.deletion_policy,
            "deletionPolicyOrigin": self.deletion_policy_origin,
            "acknowledgedConnections": list(self.acknowledged_connections),
            "sourcePath": self.source_path,
            "scope": self.scope,
            "principal": self.principal,
            "role": self.role,
            "touched": self.touched,
            "rotatedSecrets": list(self.rotated_secrets),
            **listed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        impact = data.get("impact")
        return cls(
            kind=ActionKind(data["kind"]),
            resource_type=data["resourceType"],
            name=data["name"],
            connector=data["connector"],
            resource_id=data["resourceId"],
            verdict=Verdict(data.get("verdict", "allow")),
            reasons=tuple(data.get("reasons", [])),
            warnings=tuple(data.get("warnings", [])),
            changes=tuple(FieldChange.from_dict(c) for c in data.get("changes", [])),
            impact=Impact.from_dict(impact) if impact is not None else None,
            breaking=tuple(BreakingChange.from_dict(b) for b in data.get("breakingChanges", [])),
            body=data.get("body"),
            secret_refs=dict(data.get("secretRefs") or {}),
            desired_fingerprint=data.get("desiredFingerprint"),
            observed_etag=data.get("observedEtag"),
            observed_fingerprint=data.get("observedFingerprint"),
            observed_commit=data.get("observedCommit"),
            observed_deletion_policy=data.get("observedDeletionPolicy"),
            deletion_policy=data.get("deletionPolicy"),
            deletion_policy_origin=data.get("deletionPolicyOrigin"),
            acknowledged_connections=tuple(str(n) for n in data.get("acknowledgedConnections") or ()),
            source_path=data.get("sourcePath"),
            scope=data.get("scope"),
            principal=data.get("principal"),
            role=data.get("role"),
            touched=bool(data.get("touched", False)),
            rotated_secrets=tuple(data.get("rotatedSecrets") or ()),
            listed_as=data.get("listedAs"),
        )
