"""Drift: how the deployed resources differ from git, sorted into the classes people act on.

Modified out of band (with the fields), deleted out of band, pending (git changed since the last
apply), undeclared (managed but no longer in git), unmanaged (reported, never touched), and
sharing: extra grants on managed connectors, missing grants, inherited grants (information only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectorops import tags
from connectorops.engine.classify import (
    ConnectorClass,
    ConnectorState,
    classify_connectors,
    classify_grants,
    our_scopes,
)
from connectorops.engine.desired import DesiredState, connector_of_scope
from connectorops.engine.diff import FieldChange
from connectorops.engine.observe import ObservedState
from connectorops.engine.target import ARM, TargetId
from connectorops.errors import Problem, Severity

if TYPE_CHECKING:
    from connectorops.engine.target import Target

DRIFT = "drift"
INFO = "info"


@dataclass(frozen=True)
class DriftItem:
    kind: str  # modified | deleted | pending | undeclared | unmanaged | extra-role-assignment | ...
    connector: str
    resource_id: str
    detail: str
    severity: str = DRIFT  # drift (counts for the exit code) | info
    changes: tuple[FieldChange, ...] = ()
    principal: str | None = None
    role: str | None = None
    since: str | None = None
    commit: str | None = None  # the git commit the live resource was applied from (its tag)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "connector": self.connector,
            "resourceId": self.resource_id,
            "detail": self.detail,
            "changes": [c.to_dict() for c in self.changes],
            "principal": self.principal,
            "role": self.role,
            "since": self.since,
            "commit": self.commit,
        }


@dataclass(frozen=True)
class DriftReport:
    environment: str
    items: tuple[DriftItem, ...] = ()
    problems: tuple[Problem, ...] = ()
    commit: str | None = None
    target: TargetId = field(default_factory=lambda: TargetId(ARM))
    # `drift --fix`: the drift found and corrected in this run (items then holds what is left).
    fixed: tuple[DriftItem, ...] = ()

    @property
    def drift(self) -> list[DriftItem]:
        return [i for i in self.items if i.severity == DRIFT]

    @property
    def info(self) -> list[DriftItem]:
        return [i for i in self.items if i.severity == INFO]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 1
        return 2 if self.drift else 0

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for item in self.items:
            result[item.kind] = result.get(item.kind, 0) + 1
        return dict(sorted(result.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": 1,
            "environment": self.environment,
            "target": dict(sorted(self.target.to_dict().items())),
            "commit": self.commit,
            "summary": {
                "drift": len(self.drift),
                "info": len(self.info),
                "byKind": self.counts(),
                "fixed": len(self.fixed),
            },
            "items": [i.to_dict() for i in self.items],
            "fixed": [i.to_dict() for i in self.fixed],
            "problems": [p.to_dict() for p in self.problems],
            "exitCode": self.exit_code,
        }


def _connector_item(entry: ConnectorClass, place: str) -> DriftItem | None:
    """The drift item for one connector's classification (None: in sync); `place` names the target."""
    state, name, found = entry.state, entry.name, entry.found
    if state == ConnectorState.MISSING:
        return DriftItem(
            "deleted", name, entry.resource_id,
            f"declared in git but absent in {place} (deleted out of band, or never applied)",
        )  # fmt: skip
    if state in (ConnectorState.NOT_OURS, ConnectorState.OTHER_ENVIRONMENT):
        other = f"environment {found.get(tags.ENVIRONMENT)}"
        owner = "nobody (unmanaged)" if state == ConnectorState.NOT_OURS else other
        return DriftItem(
            "conflict", name, entry.resource_id,
            f"git declares it, but the resource in {place} belongs to {owner}; it is never touched",
        )  # fmt: skip
    # Which commit the live connector came from (tag written by apply), so people know what to compare.
    deployed = f" (deployed from commit {found[tags.SOURCE_COMMIT][:12]})" if found.get(tags.SOURCE_COMMIT) else ""
    if state == ConnectorState.PENDING:
        return DriftItem(
            "pending", name, entry.resource_id,
            "git changed since the last apply (run `connectorops apply`)" + deployed, changes=entry.changes,
        )  # fmt: skip
    if state == ConnectorState.MODIFIED:
        return DriftItem(
            "modified", name, entry.resource_id,
            f"modified out of band: {len(entry.changes)} field(s) differ from the last apply{deployed}",
            changes=entry.changes,
        )  # fmt: skip
    if state == ConnectorState.UNMANAGED:
        return DriftItem("unmanaged", name, entry.resource_id, "not managed by connectorops: never touched", INFO)
    if state == ConnectorState.UNDECLARED:
        policy = found.get(tags.DELETION_POLICY, "protect")
        return DriftItem(
            "undeclared", name, entry.resource_id,
            f"managed by connectorops but no longer in git (connectorops-deletion tag {policy}; `apply` "
            "reads the policy from git at the connectorops-commit tag): `apply` would "
            + ("orphan" if policy == "orphan" else "delete") + " it",
            commit=found.get(tags.SOURCE_COMMIT),
        )  # fmt: skip
    return None


def _custom_api_items(classes: list[ConnectorClass], place: str) -> list[DriftItem]:
    items = (_connector_item(entry, place) for entry in classes)
    return [item for item in items if item is not None]


def _sharing_items(
    desired: DesiredState, observed: ObservedState, classes: list[ConnectorClass], place: str
) -> list[DriftItem]:
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
                f"declared in git but not granted in {place}",
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


def detect_drift(
    desired: DesiredState,
    observed: ObservedState,
    source: Target | None = None,
) -> DriftReport:
    """Drift as a view over the plan's classification (engine/classify.py) of desired against observed.

    Pure: what it compares was fetched by `observe(drift=True)`; `source` only names the report's target.
    """
    classes = classify_connectors(desired, observed)
    target = source.identity if source is not None else TargetId(ARM)
    place = "Azure" if target.kind == ARM else "Power Platform"
    items = _custom_api_items(classes, place) + _sharing_items(desired, observed, classes, place)
    items.sort(key=lambda i: (i.severity != DRIFT, i.connector.lower(), i.kind))
    return DriftReport(
        environment=desired.environment,
        items=tuple(items),
        problems=desired.problems,
        commit=desired.commit,
        target=target,
    )
