"""The desired state of one environment: rendered customApis and role assignments, plus problems.

Glue over the spec, definitions and policy packages; everything it returns is plain data, so
planning is a pure function of (desired, observed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectorops.engine.target import Placement
from connectorops.errors import ConnectoropsError, Problem, Severity
from connectorops.policy.certification.findings import Finding
from connectorops.policy.role_assignments import DesiredRoleAssignment, role_guid
from connectorops.policy.roles import CAN_EDIT, CAN_VIEW, CAN_VIEW_WITH_SHARE, POWER_PLATFORM
from connectorops.render import DesiredCustomApi

if TYPE_CHECKING:  # the value is plain data: reading it back (desired_memo) needs no spec models
    from connectorops.spec.repository import Repository


@dataclass(frozen=True)
class DesiredState:
    environment: str
    custom_apis: tuple[DesiredCustomApi, ...] = ()
    role_assignments: tuple[DesiredRoleAssignment, ...] = ()
    problems: tuple[Problem, ...] = ()
    findings: tuple[Finding, ...] = ()  # certification findings, each naming its connector
    commit: str | None = None
    # every connector name git declares for the environment, including ones that failed to
    # render: a broken definition must never turn into a deletion
    declared: frozenset[str] = field(default_factory=frozenset)
    # object id (lower case) -> name, and role GUID (lower case) -> name, from policies/sharing.yaml:
    # reports say who holds an out-of-band grant in the words of the policy
    principal_names: dict[str, str] = field(default_factory=dict)
    role_names: dict[str, str] = field(default_factory=dict)
    # connector name (lower case) -> its id in the target (deployed or not): the target names things, not the engine
    connector_ids: dict[str, str] = field(default_factory=dict)

    def connector_id(self, name: str) -> str:
        return self.connector_ids.get(name.lower(), name)

    def describe_principal(self, object_id: str, principal_type: str) -> str:
        name = self.principal_names.get(object_id.lower())
        return f"{name} ({principal_type or '?'})" if name else f"{principal_type or '?'} {object_id}"

    def describe_role(self, role_definition_id: str) -> str:
        guid = role_guid(role_definition_id)
        return self.role_names.get(guid, guid)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    def custom_api(self, name: str) -> DesiredCustomApi | None:
        wanted = name.lower()
        return next((c for c in self.custom_apis if c.name.lower() == wanted), None)


def connector_of_scope(scope: str) -> str:
    """The connector name at the end of a grant's scope: the inverse of `Placement.connector_id`."""
    return scope.rstrip("/").rsplit("/", 1)[-1]


def build_desired_state(
    repo: Repository,
    environment: str,
    *,
    placement: Placement,
    commit: str | None,
    cache_dir: Path | None = None,
    allow_private_urls: bool = False,
) -> DesiredState:
    """Resolve, certify, check sharing and render every connector; collect every problem."""
    from connectorops.definitions.input_memo import RecordingTree
    from connectorops.definitions.resolve import default_cache_dir, fitted_connector, resolve_connector
    from connectorops.definitions.verdict_cache import verdict_cache_at
    from connectorops.engine.adoption import adoption_problems, label_line
    from connectorops.engine.resolution_cache import CONNECTORS_DIR, ResolutionCache, entry_key
    from connectorops.engine.uncarried import uncarried_problems
    from connectorops.policy.certification.certify import certify_connector, load_certification_policy
    from connectorops.policy.sharing import check_sharing, desired_role_assignments, load_sharing_policy, platform_of
    from connectorops.spec.remembered import plain_value
    from connectorops.spec.repository import ConnectorInEnvironment

    target = getattr(repo.config.environments.get(environment), "target", "local")
    platform = platform_of(repo.config.environments.get(environment))
    problems: list[Problem] = list(repo.problems)
    sharing_policy, sharing_problems = load_sharing_policy(repo.tree)
    cert_policy, cert_problems = load_certification_policy(repo.tree)
    problems += cert_problems
    problems += sharing_problems
    apis: list[DesiredCustomApi] = []
    grants: list[DesiredRoleAssignment] = []
    findings: list[Finding] = []
    folder = cache_dir or default_cache_dir(repo.tree)
    verdicts = verdict_cache_at(folder)
    resolutions = ResolutionCache(folder / CONNECTORS_DIR)
    policy_dump = plain_value(cert_policy.document), cert_policy.file
    for connector in repo.connectors:
        view = ConnectorInEnvironment.of(connector, environment)  # the one merge of its overrides
        key = entry_key(connector, environment, allow_private_urls, policy_dump)
        cached = resolutions.get(key, repo.tree) if key is not None else None
        if cached is not None:
            definition, certified = cached
        else:
            recording = RecordingTree(repo.tree)
            try:
                definition = resolve_connector(
                    view, recording, cache_dir=cache_dir, allow_private_urls=allow_private_urls
                ).definition
            except ConnectoropsError as error:
                problems += error.problems
                continue
            # certification sees the full definition; the target gets what it can carry (or an error)
            found = certify_connector(view, definition, cert_policy, cache=verdicts)
            certified = [replace(finding, connector=connector.name) for finding in found]
            if key is not None:
                resolutions.put(key, recording.reads, definition, certified)
        # once per connector: the merged spec, the definition, and what the target can carry of it
        resolved = fitted_connector(view, definition, (target, placement.capabilities))
        problems += list(definition.warnings)
        findings += certified
        problems += check_sharing(resolved, sharing_policy, tree=repo.tree, platform=platform)
        problems += resolved.carried
        rendered = placement.render_connector(resolved, commit=commit)
        if rendered.adopt_from:  # a plan that cannot adopt it names the label's line
            rendered = replace(rendered, adopt_line=label_line(connector, repo.tree))
        apis.append(rendered)
        # desired_role_assignments keeps only allowed grants: a forbidden request (which blocks the
        # plan anyway) must not make the plan show the connector's allowed grants as deletions.
        if sharing_policy is not None:
            scope = placement.connector_id(connector.name)
            grants += desired_role_assignments(
                resolved, sharing_policy, scope=scope, role_id=placement.role_id, platform=platform
            )
    problems += adoption_problems(repo, capabilities=placement.capabilities, target=target)
    problems += uncarried_problems(repo, environment, apis)  # `mode: pulumi` would stop or drop them
    return DesiredState(
        environment=environment,
        custom_apis=tuple(apis),
        role_assignments=tuple(grants),
        problems=tuple(problems),
        findings=tuple(findings),
        commit=commit,
        declared=frozenset(c.name.lower() for c in repo.connectors),
        principal_names=_principal_names(sharing_policy),
        role_names=_role_names(sharing_policy, platform),
        connector_ids={c.name.lower(): placement.connector_id(c.name) for c in repo.connectors},
    )


def _principal_names(policy: Any) -> dict[str, str]:
    if policy is None:
        return {}
    return {p.objectId.lower(): name for name, p in sorted(policy.document.principals.items())}


def _role_names(policy: Any, platform: str) -> dict[str, str]:
    if platform == POWER_PLATFORM:
        # Several names may mean one permission (use and read are CanView): reports name the permission.
        return {role.lower(): role for role in (CAN_VIEW, CAN_VIEW_WITH_SHARE, CAN_EDIT)}
    if policy is None:
        return {}
    return {role_guid(str(r)): name for name, r in sorted(policy.role_ids.items())}
