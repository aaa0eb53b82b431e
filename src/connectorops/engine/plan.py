"""The plan: one Action per resource with its diff, impact, breaking changes and guard verdict.

A plan is a value (frozen, serializable, fingerprinted). `make_plan` is a pure function of the
desired and observed states; apply executes a plan exactly and never re-decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from connectorops import tags
from connectorops.canonical import canonical_json, sha256_hex
from connectorops.engine.actions import ROTATE_ALL, Action, ActionKind, PlanOptions
from connectorops.engine.deletion_policy import DeletionPolicySource, no_git_history
from connectorops.engine.desired import DesiredState
from connectorops.engine.guards import apply_guards
from connectorops.engine.kinds import KINDS, kind_of, kind_order
from connectorops.engine.observe import ObservedState, resource_tags
from connectorops.engine.target import ARM, TargetId
from connectorops.errors import Problem, Severity
from connectorops.policy.certification.findings import Finding

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Plan:
    environment: str
    target: TargetId  # where (ARM: subscriptionId, resourceGroup, location; no credentials)
    actions: tuple[Action, ...] = ()
    commit: str | None = None
    options: PlanOptions = field(default_factory=PlanOptions)
    problems: tuple[Problem, ...] = ()
    findings: tuple[Finding, ...] = ()  # certification findings (as dicts only in the plan file)
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
    def mandatory_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def is_blocked(self) -> bool:
        return bool(self.blocked_actions or self.errors or self.mandatory_findings)

    def blocked_reasons(self) -> list[Problem]:
        """Why this plan cannot be applied, one Problem each (empty when it is not blocked)."""
        return blocking_problems(self.errors, self.mandatory_findings, self.blocked_actions)

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
            "findings": [f.to_dict() for f in self.findings],
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
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", [])),
            unmanaged=tuple(data.get("unmanaged", [])),
            created_at=str(data.get("createdAt", "")),
            schema_version=int(data.get("schemaVersion", SCHEMA_VERSION)),
        )


def plan_timestamp(now: datetime) -> str:
    """A plan's createdAt: UTC, to the second."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- why a plan is blocked: one wording for apply, the CLI, the controller and Pulumi ---------------

MAX_BLOCKED_REASONS = 10


def blocking_problems(
    errors: Iterable[Problem], findings: Iterable[Finding], blocked_actions: Iterable[Action] = ()
) -> list[Problem]:
    """Blocked actions (with their first reason), errors, then mandatory certification findings."""
    problems = [
        Problem(f"{a.key}: {a.reasons[0] if a.reasons else 'blocked'}", code="plan.blocked") for a in blocked_actions
    ]
    problems += errors
    problems += [f.to_problem() for f in findings if f.blocking]
    return problems


def blocked_message(
    subject: str,
    outcome: str,
    reasons: Sequence[Problem] = (),
    *,
    limit: int = MAX_BLOCKED_REASONS,
    more: str = "see `connectorops plan`",
) -> str:
    """'<subject> is blocked, <outcome>', then each reason on its own line (at most `limit`).

    Without reasons, the headline alone: the caller has shown them already (the plan report).
    """
    headline = f"{subject} is blocked, {outcome}"
    if not reasons:
        return headline
    shown = [f"  {p}" for p in reasons[:limit]]
    if len(reasons) > limit:
        shown.append(f"  ... and {len(reasons) - limit} more ({more})")
    return headline + ":\n" + "\n".join(shown)


# --- planning --------------------------------------------------------------------------------


def _unused_allowances(actions: list[Action], options: PlanOptions) -> tuple[Problem, ...]:
    """--allow-connection-loss NAME that names no deletion: most likely a typo, so say so."""
    deleted = {a.name.lower() for a in actions if a.kind == ActionKind.DELETE and kind_of(a).loses_connections}
    return tuple(
        Problem(
            f"--allow-connection-loss {name}: this plan deletes no connector of that name, so it allows nothing",
            severity=Severity.WARNING,
            hint="check the spelling against the plan's delete actions"
            + (f" ({', '.join(sorted(deleted))})" if deleted else ""),
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
    now: datetime | None = None,
) -> Plan:
    """Diff desired against observed, attach impact and breaking changes, then apply the guards.

    `deletion_policies` says what git gave a removed connector as lifecycle.deletion (default: protect).
    `now` is the plan's createdAt, passed in by the shell so that equal inputs give equal plans
    (None: no createdAt). It is not part of the fingerprint.
    """
    opts = options or PlanOptions()
    actions: list[Action] = []
    for kind in KINDS.values():  # in registry order: a grant's plan reads its connector's action
        actions += kind.plan(desired, observed, opts, deletion_policies, list(actions))
    actions = apply_guards(actions, desired, opts)
    if opts.touched is not None:
        touched = {t.lower() for t in opts.touched}
        actions = [replace(a, touched=a.connector.lower() in touched) for a in actions]
    # per connector: the connector first, then what hangs off it, in registry order
    actions.sort(key=lambda a: (not a.touched, a.connector.lower(), kind_order(a.resource_type), a.name))
    declared_or_managed = {a.name.lower() for a in actions if kind_of(a).is_connector}
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
        findings=desired.findings,
        unmanaged=tuple(unmanaged),
        created_at=plan_timestamp(now) if now is not None else "",
    )
