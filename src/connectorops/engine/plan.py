"""The plan: one Action per resource with its diff, impact, breaking changes and guard verdict.

A plan is a value (frozen, serializable, fingerprinted). `make_plan` is a pure function of the
desired and observed states; apply executes a plan exactly and never re-decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from connectorops import tags
from connectorops.engine.actions import (
    CUSTOM_API,
    ROLE_ASSIGNMENT,
    ROTATE_ALL,
    Action,
    ActionKind,
    PlanOptions,
    Verdict,
)
from connectorops.engine.breaking import BreakingChange, breaking_changes
from connectorops.engine.canonical import canonical_json, sha256_hex
from connectorops.engine.deletion_policy import ORPHAN, DeletionPolicySource, no_git_history
from connectorops.engine.desired import DesiredState, connector_of_scope
from connectorops.engine.diff import FieldChange, diff_custom_api
from connectorops.engine.guards import apply_guards
from connectorops.engine.impact import ImpactIndex
from connectorops.engine.observe import ObservedState, belongs_to, resource_tags
from connectorops.engine.target import ARM, TargetId
from connectorops.errors import Problem, Severity
from connectorops.policy.role_assignments import DesiredRoleAssignment, ObservedAssignment

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Plan:
    environment: str
    target: TargetId  # where (ARM: subscriptionId, resourceGroup, location; no credentials)
    actions: tuple[Action, ...] = ()
    commit: str | None = None
    options: PlanOptions = field(default_factory=PlanOptions)
    problems: tuple[Problem, ...] = ()
    findings: tuple[dict[str, Any], ...] = ()  # certification findings (Finding.to_dict shape)
    unmanaged: tuple[str, ...] = ()  # unmanaged customApis present in the resource group (never touched)
    created_at: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.is_change]

    @property
    def blocked_actions(self) -> list[Action]:
        return [a for a in self.actions if a.blocked]

    @property
    def mandatory_findings(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f.get("enforcement") == "mandatory"]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked_actions or self.errors or self.mandatory_findings)

    @property
    def exit_code(self) -> int:
        if self.is_blocked:
            return 1
        return 2 if self.changes else 0

    def counts(self) -> dict[str, int]:
        result = {str(kind): 0 for kind in ActionKind}
        for action in self.actions:
            result[str(action.kind)] += 1
        result["blocked"] = len(self.blocked_actions)
        return result

    def _content(self) -> dict[str, Any]:
        return {
            "schemaVersion": self.schema_version,
            "environment": self.environment,
            "target": self.target.to_dict(),
            "commit": self.commit,
            "options": self.options.to_dict(),
            "actions": [a.to_dict() for a in self.actions],
            "problems": [p.to_dict() for p in self.problems],
            "findings": list(self.findings),
            "unmanaged": list(self.unmanaged),
        }

    @property
    def fingerprint(self) -> str:
        return sha256_hex(canonical_json(self._content()))

    def to_dict(self) -> dict[str, Any]:
        content = self._content()
        content["createdAt"] = self.created_at
        content["fingerprint"] = self.fingerprint
        content["summary"] = self.counts()
        content["exitCode"] = self.exit_code
        return content

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            environment=data["environment"],
            target=TargetId.from_dict(data.get("target")),
            actions=tuple(Action.from_dict(a) for a in data.get("actions", [])),
            commit=data.get("commit"),
            options=PlanOptions.from_dict(data.get("options") or {}),
            problems=tuple(Problem.from_dict(p) for p in data.get("problems", [])),
            findings=tuple(data.get("findings", [])),
            unmanaged=tuple(data.get("unmanaged", [])),
            created_at=str(data.get("createdAt", "")),
            schema_version=int(data.get("schemaVersion", SCHEMA_VERSION)),
        )


# --- planning --------------------------------------------------------------------------------


def finding_to_dict(finding: Any) -> dict[str, Any]:
    """A certification Finding as plain data; tolerant of dicts."""
    if isinstance(finding, dict):
        return dict(finding)
    return {
        "ruleId": getattr(finding, "rule_id", None),
        "severity": str(getattr(finding, "severity", "")),
        "enforcement": str(getattr(finding, "enforcement", "")),
        "file": getattr(finding, "file", None),
        "pointer": getattr(finding, "pointer", None),
        "message": getattr(finding, "message", ""),
        "hint": getattr(finding, "hint", None),
    }


def _is_our_tag(key: str) -> bool:
    return key == tags.MANAGED_BY or key.startswith("connectorops-")


def _keeping_foreign_tags(body: dict[str, Any], found: dict[str, str]) -> dict[str, Any]:
    """The PUT body with tags others put on the resource (Azure Policy, cost centres) kept: PUT replaces tags."""
    foreign = {k: v for k, v in found.items() if not _is_our_tag(k)}
    if not foreign:
        return body
    return {**body, "tags": {**foreign, **(body.get("tags") or {})}}


def _plan_custom_apis(
    desired: DesiredState, observed: ObservedState, options: PlanOptions, deletion_policies: DeletionPolicySource
) -> list[Action]:
    actions: list[Action] = []
    impacts = ImpactIndex(observed.connections, observed.workflows)
    env = desired.environment
    for want in sorted(desired.custom_apis, key=lambda d: d.name.lower()):
        have = observed.custom_api(want.name)
        resource_id = desired.connector_id(want.name)
        common: dict[str, Any] = {
            "resource_type": CUSTOM_API,
            "name": want.name,
            "connector": want.name,
            "resource_id": str((have or {}).get("id") or resource_id),
            "body": want.body,
            "secret_refs": want.secret_refs,
            "desired_fingerprint": want.fingerprint,
            "source_path": want.source_path,
        }
        if have is None:
            actions.append(Action(kind=ActionKind.CREATE, **common))
            continue
        found = resource_tags(have)
        common.update(
            observed_etag=have.get("etag"),
            observed_fingerprint=found.get(tags.FINGERPRINT),
            observed_commit=found.get(tags.SOURCE_COMMIT),
            observed_deletion_policy=found.get(tags.DELETION_POLICY),
            body=_keeping_foreign_tags(want.body, found),
        )
        impact = impacts.impact(str(have.get("id") or resource_id))
        old_swagger = observed.swagger_of(want.name)
        changes = diff_custom_api(want.body, have, observed_swagger=old_swagger)
        if not tags.is_managed(found):
            if want.adopt:
                if not [c for c in changes if not c.path.startswith("tags.")]:
                    # Already what git says: adopting only adds our tags, keeping the ones it has.
                    common["body"] = {"tags": {**found, **(want.body.get("tags") or {})}}
                    common["secret_refs"] = {}
                actions.append(Action(kind=ActionKind.ADOPT, changes=changes, impact=impact, **common))
            else:
                actions.append(
                    Action(
                        kind=ActionKind.CREATE,
                        verdict=Verdict.BLOCK,
                        reasons=(
                            f"a customApi named {want.name!r} already exists in the resource group and is not "
                            "managed by connectorops; we never modify what we do not own",
                            f"run `connectorops import --select {want.name}` to adopt it, or rename the connector",
                        ),
                        **common,
                    )
                )
            continue
        if not belongs_to(have, env):
            other = found.get(tags.ENVIRONMENT, "?")
            actions.append(
                Action(
                    kind=ActionKind.CREATE,
                    verdict=Verdict.BLOCK,
                    reasons=(f"{want.name!r} is managed by connectorops for environment {other!r}, not {env!r}",),
                    **common,
                )
            )
            continue
        if not changes and found.get(tags.FINGERPRINT) != want.fingerprint:
            # Only what the fingerprint covers but ARM cannot show us changed (e.g. a secret reference).
            changes = (FieldChange(f"tags.{tags.FINGERPRINT}", found.get(tags.FINGERPRINT), want.fingerprint),)
        # A rotated value behind an unchanged reference is invisible to any diff: only the operator knows.
        rotated = tuple(sorted(want.secret_refs)) if want.secret_refs and options.rotates(want.name) else ()
        if not changes and not rotated:
            actions.append(Action(kind=ActionKind.NOOP, **{**common, "body": None, "secret_refs": {}}))
            continue
        breaking: tuple[BreakingChange, ...] = ()
        if old_swagger is not None and any(
            c.path.startswith("properties.swagger") or "connectionParameters" in c.path for c in changes
        ):
            old_params = (have.get("properties") or {}).get("connectionParameters") or {}
            new_params = (want.body.get("properties") or {}).get("connectionParameters") or {}
            breaking = breaking_changes(
                old_swagger,
                want.swagger,
                old_connection_parameters=old_params,
                new_connection_parameters=new_params,
                logic_apps={w.name: w.calls for w in impact.logic_apps},
            )
        warnings: tuple[str, ...] = ()
        if old_swagger is None and found.get(tags.FINGERPRINT) != want.fingerprint:
            warnings = ("the deployed swagger could not be read: its differences and breaking changes are unknown",)
        actions.append(
            Action(
                kind=ActionKind.UPDATE,
                changes=changes,
                impact=impact,
                breaking=breaking,
                warnings=warnings,
                rotated_secrets=rotated,
                **common,
            )
        )
    declared = desired.declared | {d.name.lower() for d in desired.custom_apis}
    for have in sorted(observed.managed_custom_apis(env), key=lambda c: str(c.get("name", "")).lower()):
        name = str(have.get("name", ""))
        if name.lower() in declared:
            continue
        found = resource_tags(have)
        tagged = found.get(tags.DELETION_POLICY, "protect")
        git = deletion_policies(
            name=name, source_path=found.get(tags.SOURCE_PATH), commit=found.get(tags.SOURCE_COMMIT), environment=env
        )
        resource_id = str(have.get("id") or desired.connector_id(name))
        common = {
            "resource_type": CUSTOM_API,
            "name": name,
            "connector": name,
            "resource_id": resource_id,
            "observed_etag": have.get("etag"),
            "observed_fingerprint": found.get(tags.FINGERPRINT),
            "observed_commit": found.get(tags.SOURCE_COMMIT),
            "observed_deletion_policy": tagged,
            "deletion_policy": git.value,
            "deletion_policy_origin": git.origin,
            "source_path": found.get(tags.SOURCE_PATH),
            "impact": impacts.impact(resource_id),
        }
        # Orphaning deletes nothing, so either git or the tag asking for it is enough.
        if ORPHAN in (git.value, tagged):
            kept = {k: v for k, v in found.items() if not _is_our_tag(k)}
            actions.append(Action(kind=ActionKind.ORPHAN, body={"tags": kept}, **common))
        else:
            actions.append(Action(kind=ActionKind.DELETE, **common))
    return actions


def _describe_principal(grant: DesiredRoleAssignment) -> str:
    return f"{grant.principal_name} ({grant.principal_type})"


def _plan_role_assignments(desired: DesiredState, observed: ObservedState, api_actions: list[Action]) -> list[Action]:
    """Grants git declares but ARM lacks are created; grants on our connectors git does not declare are revoked.

    Grants compare by (scope, principal, role), so one made by hand under another name counts as in sync.
    """
    by_connector = {a.connector.lower(): a for a in api_actions if a.resource_type == CUSTOM_API}
    existing = [ObservedAssignment.from_arm(ra) for ra in observed.role_assignments]
    existing_keys = {ra.key for ra in existing}
    wanted_keys = {grant.key for grant in desired.role_assignments}
    actions: list[Action] = []
    for grant in sorted(desired.role_assignments, key=lambda g: (g.scope.lower(), g.name)):
        if grant.key in existing_keys:
            continue
        connector = connector_of_scope(grant.scope)
        owner = by_connector.get(connector.lower())
        blocked = owner is not None and owner.blocked
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
                role=grant.role_name,
            )
        )
    managed_scopes = {
        a.resource_id.lower(): a for a in api_actions if a.resource_type == CUSTOM_API and a.kind != ActionKind.CREATE
    }
    for ra in sorted(existing, key=lambda r: r.id):
        owner = managed_scopes.get(ra.scope.lower().rstrip("/"))
        if owner is None or ra.key in wanted_keys or owner.kind == ActionKind.ORPHAN:
            continue
        if owner.kind == ActionKind.ADOPT and not desired_grants_for(desired, owner.connector):
            continue  # an adopted connector's sharing is taken over only once git declares some
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


def desired_grants_for(desired: DesiredState, connector: str) -> list[DesiredRoleAssignment]:
    return [g for g in desired.role_assignments if connector_of_scope(g.scope).lower() == connector.lower()]


def _unused_allowances(actions: list[Action], options: PlanOptions) -> tuple[Problem, ...]:
    """--allow-connection-loss NAME that names no deletion: most likely a typo, so say so."""
    deleted = {a.name.lower() for a in actions if a.kind == ActionKind.DELETE and a.resource_type == CUSTOM_API}
    return tuple(
        Problem(
            f"--allow-connection-loss {name}: this plan deletes no connector of that name, so it allows nothing",
            severity=Severity.WARNING,
            hint="check the spelling against the plan's delete actions" + (
                f" ({', '.join(sorted(deleted))})" if deleted else ""
            ),
            code="plan.unused_allowance",
        )
        for name in options.allow_connection_loss
        if name.lower() not in deleted
    )


def _unused_rotations(actions: list[Action], options: PlanOptions) -> tuple[Problem, ...]:
    """--rotate-secrets NAME that rotates nothing: a typo, a connector without secrets, or one being created."""
    rotated = {a.connector.lower() for a in actions if a.rotated_secrets}
    return tuple(
        Problem(
            f"--rotate-secrets {name}: this plan rotates no secret of that connector",
            severity=Severity.WARNING,
            hint="name a deployed connector whose auth has a secret reference ({env: ...} or {keyVault: ...})",
            code="plan.unused_rotation",
        )
        for name in sorted(options.rotate_secrets)
        if name != ROTATE_ALL and name.lower() not in rotated
    )


def make_plan(
    desired: DesiredState,
    observed: ObservedState,
    options: PlanOptions | None = None,
    *,
    target: TargetId | None = None,
    deletion_policies: DeletionPolicySource = no_git_history,
) -> Plan:
    """Diff desired against observed, attach impact and breaking changes, then apply the guards.

    `deletion_policies` says what git gave a removed connector as lifecycle.deletion (default: protect).
    """
    opts = options or PlanOptions()
    api_actions = _plan_custom_apis(desired, observed, opts, deletion_policies)
    actions = api_actions + _plan_role_assignments(desired, observed, api_actions)
    actions = apply_guards(actions, desired, opts)
    if opts.touched is not None:
        touched = {t.lower() for t in opts.touched}
        actions = [replace(a, touched=a.connector.lower() in touched) for a in actions]
    actions.sort(key=lambda a: (not a.touched, a.connector.lower(), a.resource_type != CUSTOM_API, a.name))
    declared_or_managed = {a.name.lower() for a in actions if a.resource_type == CUSTOM_API}
    unmanaged = sorted(
        str(c.get("name", ""))
        for c in observed.custom_apis
        if not tags.is_managed(resource_tags(c)) and str(c.get("name", "")).lower() not in declared_or_managed
    )
    return Plan(
        environment=desired.environment,
        target=target or TargetId(ARM),
        actions=tuple(actions),
        commit=desired.commit,
        options=opts,
        problems=tuple(desired.problems) + _unused_allowances(actions, opts) + _unused_rotations(actions, opts),
        findings=tuple(finding_to_dict(f) for f in desired.findings),
        unmanaged=tuple(unmanaged),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
