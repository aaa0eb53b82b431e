"""Sharing policy: who may hold which role on which connector in which environment.

Default deny, an explicit deny wins. `check_sharing` turns connector.yaml `sharing:` requests
into Problems; `desired_role_assignments` turns the allowed ones into grants: Azure role assignments
on ARM targets, connector permissions (CanView, CanViewWithShare, CanEdit) on Power Platform.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

from connectorops.errors import ConnectoropsError, Problem
from connectorops.policy.policy_yaml import (
    Locator,
    line_of,
    load_policy_file,
    no_location,
    unknown_environment_problems,
)
from connectorops.policy.role_assignments import (
    DesiredRoleAssignment,
    ObservedAssignment,
    SharingDrift,
    classify_assignments,
    role_assignment_name,
    role_guid,
)
from connectorops.policy.roles import (
    ARM_PLATFORM,
    CAN_VIEW,
    DEFAULT_POWER_PLATFORM_ROLES,
    DEFAULT_ROLE_IDS,
    PLATFORM_NAMES,
    PLATFORM_PRINCIPAL_TYPES,
    POWER_PLATFORM,
)
from connectorops.policy.sharing_model import (
    LABEL_TEMPLATE,
    LabelSelector,
    PrincipalEntry,
    SharingPolicyDocument,
    SharingRule,
)
from connectorops.spec.loader import load_yaml
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector
from connectorops.spec.source import SourceTree

__all__ = [
    "SHARING_POLICY_PATH",
    "DesiredRoleAssignment",
    "ObservedAssignment",
    "SharingDecision",
    "SharingDrift",
    "SharingPolicy",
    "check_sharing",
    "classify_assignments",
    "desired_role_assignments",
    "load_sharing_policy",
    "platform_of",
]

SHARING_POLICY_PATH = "policies/sharing.yaml"
VIOLATION = "SharingPolicyViolation"
DEFAULT_DENY = "default deny"


@dataclass(frozen=True)
class SharingDecision:
    allowed: bool
    rule: str  # the deciding rule's name, or "default deny"
    rule_line: int | None = None


@dataclass(frozen=True)
class SharingPolicy:
    document: SharingPolicyDocument
    file: str = SHARING_POLICY_PATH
    locate: Locator = field(default=no_location, compare=False, repr=False)

    @property
    def role_ids(self) -> dict[str, str]:
        """Role name -> Azure role definition (GUID or full id): the documented defaults, overridden by the file."""
        given = {n: r.roleDefinitionId for n, r in self.document.roles.items() if r.roleDefinitionId is not None}
        return {**DEFAULT_ROLE_IDS, **given}

    @property
    def power_platform_roles(self) -> dict[str, str]:
        """Role name -> Power Platform permission (CanView, ...): the documented defaults, overridden by the file."""
        given = {n: r.powerPlatformRole for n, r in self.document.roles.items() if r.powerPlatformRole is not None}
        return {**DEFAULT_POWER_PLATFORM_ROLES, **given}

    def role_definitions(self, platform: str) -> dict[str, str]:
        """Role name -> what the role is on `platform` (ARM: a role definition; Power Platform: a permission)."""
        return self.power_platform_roles if platform == POWER_PLATFORM else self.role_ids

    @property
    def known_roles(self) -> set[str]:
        """Every role name that means something on some platform (rules may name any of them)."""
        return set(self.role_ids) | set(self.power_platform_roles)

    def directory_entries(self) -> list[tuple[str, str, str]]:
        """(object_id, principal_type, display_name) for every named principal: seeds the emulator."""
        return [(p.objectId, p.type, p.displayName or name) for name, p in sorted(self.document.principals.items())]

    def principal_name(self, object_id: str) -> str | None:
        wanted = object_id.lower()
        return next((n for n, p in self.document.principals.items() if p.objectId.lower() == wanted), None)

    def role_name(self, role_definition: str) -> str | None:
        guid = role_guid(role_definition)
        return next((n for n, r in self.role_ids.items() if role_guid(r) == guid), None)

    def decide(self, connector: LoadedConnector, environment: str, principal: str, role: str) -> SharingDecision:
        """Deny rules are checked first: any matching deny wins over every allow."""
        entry = self.document.principals.get(principal)
        if entry is None:
            return SharingDecision(False, DEFAULT_DENY)
        matching = [
            (index, rule)
            for index, rule in enumerate(self.document.rules)
            if _rule_matches(rule, connector, environment, principal, entry, role)
        ]
        for effect in ("deny", "allow"):
            for index, rule in matching:
                if rule.effect == effect:
                    return SharingDecision(effect == "allow", rule.name, line_of(self.locate, ("rules", index)))
        return SharingDecision(False, DEFAULT_DENY)


def _principal_matches(rule: SharingRule, connector: LoadedConnector, principal: str, entry: PrincipalEntry) -> bool:
    if rule.principalTypes and entry.type not in rule.principalTypes:
        return False
    if not rule.principals:
        return True
    labels = connector.document.metadata.labels
    for pattern in rule.principals:
        keys = LABEL_TEMPLATE.findall(pattern)
        if any(k not in labels for k in keys):
            continue  # "the owning team's group" means nothing for a connector without that label
        if LABEL_TEMPLATE.sub(lambda m: labels[m.group(1)], pattern) == principal:
            return True
    return False


def _connector_matches(rule: SharingRule, connector: LoadedConnector) -> bool:
    if not rule.connectors:
        return True
    labels = connector.document.metadata.labels
    for selector in rule.connectors:
        if isinstance(selector, LabelSelector):
            if all(labels.get(k) == v for k, v in selector.labels.items()):
                return True
        elif "=" in selector:
            key, _, value = selector.partition("=")
            if labels.get(key.strip()) == value.strip():
                return True
        elif fnmatch.fnmatchcase(connector.name, selector):
            return True
    return False


def _rule_matches(
    rule: SharingRule, connector: LoadedConnector, environment: str, principal: str, entry: PrincipalEntry, role: str
) -> bool:
    return (
        (not rule.environments or environment in rule.environments)
        and (not rule.roles or role in rule.roles)
        and _principal_matches(rule, connector, principal, entry)
        and _connector_matches(rule, connector)
    )


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    listing = ", ".join(sorted(known)) or "none defined"
    return f"did you mean {close[0]!r}? (known: {listing})" if close else f"known: {listing}"


def _policy_reference_problems(policy: SharingPolicy) -> list[Problem]:
    """Rules naming principals or roles that do not exist would silently never match: say so."""
    doc = policy.document
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, rule in enumerate(doc.rules):
        if rule.name in seen:
            problems.append(
                Problem(
                    f"rule name {rule.name!r} is used twice",
                    file=policy.file,
                    line=line_of(policy.locate, ("rules", index, "name")),
                    field=f"rules[{index}].name",
                    hint="rule names appear in violation messages; keep them unique",
                    code="DuplicateRuleName",
                )
            )
        seen.add(rule.name)
        for i, principal in enumerate(rule.principals):
            if not LABEL_TEMPLATE.search(principal) and principal not in doc.principals:
                problems.append(
                    Problem(
                        f"rule {rule.name!r} names unknown principal {principal!r}",
                        file=policy.file,
                        line=line_of(policy.locate, ("rules", index, "principals", i)),
                        field=f"rules[{index}].principals[{i}]",
                        hint=_did_you_mean(principal, list(doc.principals)),
                        code="UnknownPrincipal",
                    )
                )
        for i, role in enumerate(rule.roles):
            if role not in policy.known_roles:
                problems.append(
                    Problem(
                        f"rule {rule.name!r} names unknown role {role!r}",
                        file=policy.file,
                        line=line_of(policy.locate, ("rules", index, "roles", i)),
                        field=f"rules[{index}].roles[{i}]",
                        hint=_did_you_mean(role, sorted(policy.known_roles)),
                        code="UnknownRole",
                    )
                )
    return problems


def load_sharing_policy(tree: SourceTree) -> tuple[SharingPolicy | None, list[Problem]]:
    """policies/sharing.yaml as a SharingPolicy, and every problem in it; (None, []) when absent."""
    if not tree.exists(SHARING_POLICY_PATH):
        return None, []
    document, locate, problems = load_policy_file(tree, SHARING_POLICY_PATH, SharingPolicyDocument)
    if document is None:
        return None, problems
    policy = SharingPolicy(document=document, file=SHARING_POLICY_PATH, locate=locate)
    mentions = [
        (("rules", index, "environments", i), env)
        for index, rule in enumerate(document.rules)
        for i, env in enumerate(rule.environments)
    ]
    environments = unknown_environment_problems(tree, SHARING_POLICY_PATH, locate, mentions)
    return policy, problems + _policy_reference_problems(policy) + environments


def _request_path(connector: LoadedConnector, environment: str, index: int) -> tuple[str | int, ...]:
    override = connector.document.spec.environments.get(environment)
    if override is not None and override.sharing is not None:
        return ("spec", "environments", environment, "sharing", index)
    return ("spec", "sharing", index)


def connector_locator(connector: LoadedConnector, tree: SourceTree | None) -> Locator:
    """Line numbers of connector.yaml, when the tree and the spec loader are at hand.

    The file is parsed again only when a problem needs a line: a clean connector costs no second parse.
    """
    if tree is None:
        return no_location
    found: list[Locator] = []

    def locate(path: tuple[str | int, ...]) -> tuple[int, int] | None:
        if not found:
            try:
                found.append(load_yaml(tree.read_bytes(connector.path), connector.path)[1].locate)
            except ConnectoropsError:
                found.append(no_location)
        return found[0](path)

    return locate


@dataclass(frozen=True)
class _At:
    file: str
    locate: Locator
    path: tuple[str | int, ...]

    @property
    def line(self) -> int | None:
        return line_of(self.locate, self.path)

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)


def platform_of(environment: object) -> str:
    """The platform an environment of connectorops.yaml shares on: Power Platform for `target: powerplatform`
    and `{target: local, platform: powerplatform}`, ARM otherwise."""
    target = getattr(environment, "target", None)
    platform = getattr(environment, "platform", None)
    return POWER_PLATFORM if POWER_PLATFORM in (target, platform) else ARM_PLATFORM


def _problem(message: str, hint: str, code: str, where: _At) -> Problem:
    return Problem(message, hint=hint, code=code, file=where.file, line=where.line, field=where.field)


def _platform_problem(
    policy: SharingPolicy, platform: str, entry: PrincipalEntry, principal: str, role: str, where: _At
) -> Problem | None:
    """A request the platform cannot carry whatever the rules say: a role it has no meaning for, a principal
    type it cannot share with."""
    name = PLATFORM_NAMES[platform]
    if role not in policy.role_definitions(platform):
        key = "powerPlatformRole" if platform == POWER_PLATFORM else "roleDefinitionId"
        usable = ", ".join(sorted(policy.role_definitions(platform)))
        return _problem(
            f"role {role!r} has no meaning on {name}: {policy.file} gives roles.{role} no {key}",
            f"add {key} to roles.{role} in {policy.file}, or use one of: {usable}",
            "RoleNotOnTarget",
            where,
        )
    if entry.type not in PLATFORM_PRINCIPAL_TYPES[platform]:
        if platform == POWER_PLATFORM:
            message = (
                f"principal {principal!r} is a {entry.type}: Power Platform shares connectors with users, groups "
                "and the tenant only"
            )
        else:
            message = f"principal {principal!r} is the {entry.type}: only Power Platform shares with a whole tenant"
        hint = "share with a group instead, or remove the grant for this environment (spec.environments.<env>.sharing)"
        return _problem(message, hint, "PrincipalTypeNotOnTarget", where)
    return None


def _tenant_problem(
    connector: LoadedConnector,
    environment: str,
    policy: SharingPolicy,
    request: tuple[str, str],
    decision: SharingDecision,
    where: _At,
) -> Problem:
    principal, role = request
    permission = policy.power_platform_roles[role]
    rule_where = f" ({policy.file}:{decision.rule_line})" if decision.rule_line else ""
    return _problem(
        f"role {role!r} ({permission}) for the tenant {principal!r} on connector {connector.name!r} in environment "
        f"{environment!r} (allowed by rule {decision.rule!r}{rule_where}): Power Platform shares with the whole "
        f"tenant as {CAN_VIEW} only",
        f"use a role that is {CAN_VIEW} on Power Platform (use, read), or share with a group; "
        f"and narrow rule {decision.rule!r}",
        "InvalidTenantPermission",
        where,
    )


def check_sharing(
    view: ConnectorInEnvironment,
    policy: SharingPolicy | None,
    *,
    tree: SourceTree | None = None,
    platform: str = ARM_PLATFORM,
) -> list[Problem]:
    """ERROR Problems (code SharingPolicyViolation, UnknownPrincipal, UnknownRole, ...) for the connector's requests
    in its environment (the merged spec of `view`).

    Pass `tree` to get the line of each offending request in connector.yaml. `platform` (platform_of) says
    where the grants land: what a role means, which principal types exist, Power Platform's tenant rule.
    """
    connector, environment, requests = view.connector, view.environment or "", view.spec.sharing
    if not requests:
        return []
    locate = connector_locator(connector, tree)
    problems: list[Problem] = []
    permissions: dict[str, str] = {}  # Power Platform: principal -> the one permission it may hold
    for index, request in enumerate(requests):
        path = _request_path(connector, environment, index)
        where = _At(connector.path, locate, path)
        if policy is None:
            problems.append(
                Problem(
                    f"connector {connector.name!r} asks to share role {request.role!r} with {request.principal!r} "
                    f"in environment {environment!r}, but {SHARING_POLICY_PATH} is missing or unusable (default deny)",
                    hint=f"create {SHARING_POLICY_PATH} with a rule allowing this grant (see docs/policies.md)",
                    code=VIOLATION,
                    file=where.file,
                    line=where.line,
                    field=where.field,
                )
            )
            continue
        unknown = False
        entry = policy.document.principals.get(request.principal)
        if entry is None:
            unknown = True
            problems.append(
                Problem(
                    f"unknown principal {request.principal!r}",
                    hint=_did_you_mean(request.principal, list(policy.document.principals))
                    + f"; principals are declared in {policy.file}",
                    code="UnknownPrincipal",
                    file=where.file,
                    line=where.line,
                    field=where.field,
                )
            )
        if request.role not in policy.known_roles:
            unknown = True
            problems.append(
                Problem(
                    f"unknown role {request.role!r}",
                    hint=_did_you_mean(request.role, list(policy.role_definitions(platform)))
                    + f"; roles are declared in {policy.file}",
                    code="UnknownRole",
                    file=where.file,
                    line=where.line,
                    field=where.field,
                )
            )
        if unknown or entry is None:
            continue
        refused = _platform_problem(policy, platform, entry, request.principal, request.role, where)
        if refused is not None:
            problems.append(refused)
            continue
        decision = policy.decide(connector, environment, request.principal, request.role)
        if not decision.allowed:
            rule = DEFAULT_DENY if decision.rule == DEFAULT_DENY else f"rule {decision.rule!r}"
            rule_where = f" ({policy.file}:{decision.rule_line})" if decision.rule_line else ""
            problems.append(
                Problem(
                    f"{rule}{rule_where} forbids role {request.role!r} for principal {request.principal!r} "
                    f"on connector {connector.name!r} in environment {environment!r}",
                    hint="remove the grant from connector.yaml, or change the policy in a reviewed pull request",
                    code=VIOLATION,
                    file=where.file,
                    line=where.line,
                    field=where.field,
                )
            )
            continue
        if platform != POWER_PLATFORM:
            continue
        permission = policy.power_platform_roles[request.role]
        if entry.type == "Tenant" and permission != CAN_VIEW:
            problems.append(
                _tenant_problem(connector, environment, policy, (request.principal, request.role), decision, where)
            )
            continue
        held = permissions.setdefault(request.principal, permission)
        if held != permission:
            problems.append(
                _problem(
                    f"principal {request.principal!r} is given both {held} and {permission} on connector "
                    f"{connector.name!r}: Power Platform holds one permission per principal and connector",
                    "keep one grant for this principal (CanEdit includes CanViewWithShare includes CanView)",
                    "OnePermissionPerPrincipal",
                    where,
                )
            )
    return problems


def desired_role_assignments(
    view: ConnectorInEnvironment,
    policy: SharingPolicy,
    *,
    scope: str,
    role_id: Callable[[str], str],
    platform: str = ARM_PLATFORM,
) -> list[DesiredRoleAssignment]:
    """The grants git declares for the connector at `scope`: only allowed, known grants the platform can carry.

    Forbidden, unknown or uncarriable requests are left out here; `check_sharing` reports them and blocks the
    plan. The grant name is uuid5(scope, principal, role), the same on every run.
    """
    connector, environment = view.connector, view.environment or ""
    wanted: dict[str, DesiredRoleAssignment] = {}
    held: dict[str, str] = {}
    for request in view.spec.sharing:
        entry = policy.document.principals.get(request.principal)
        role = policy.role_definitions(platform).get(request.role)
        if entry is None or role is None or entry.type not in PLATFORM_PRINCIPAL_TYPES[platform]:
            continue
        if not policy.decide(connector, environment, request.principal, request.role).allowed:
            continue
        if platform == POWER_PLATFORM and (
            (entry.type == "Tenant" and role != CAN_VIEW) or held.setdefault(request.principal, role) != role
        ):
            continue
        definition = role_id(role)  # the target's form (ARM: the full roleDefinitions id; Power Platform: CanView..)
        name = role_assignment_name(scope, entry.objectId, definition)
        wanted[name] = DesiredRoleAssignment(
            name=name,
            scope=scope,
            principal_name=request.principal,
            principal_id=entry.objectId,
            principal_type=entry.type,
            role_name=request.role,
            role_definition_id=definition,
        )
    return [wanted[name] for name in sorted(wanted)]
