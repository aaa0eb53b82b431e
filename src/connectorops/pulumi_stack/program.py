"""Declare the engine's desired state of one environment as Pulumi resources.

Azure: `web.CustomApi` per connector (properties and tags exactly as `render_custom_api` made them, less
what azure-native cannot carry, which the stack must allow per connector: see engine/uncarried.py) and
`authorization.RoleAssignment` per sharing grant (the policy's deterministic names). Errors and
mandatory policy/certification findings stop the program before any resource is declared.
Power Platform (no Pulumi provider has its custom connectors): the dynamic resources of
pulumi_stack/powerplatform.py, whose provider calls the environment's Target.

Pulumi deletes whatever the program stops declaring, and CrossGuard cannot see deletions. So the program
builds the engine's plan over the same desired state and an observation through its Target, and declares
what that plan decided: a blocked action (the engine's connection-loss, empty-desired and max-deletions
guards; stack config `connectorops:allowConnectionLoss`, `allowEmpty`, `maxDeletions` are its PlanOptions)
fails the program before anything is declared; the plan's impact of each connector sets `protect`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    import pulumi
    import pulumi_azure_native.authorization as authorization
    import pulumi_azure_native.web as web
except ImportError as missing:
    raise PulumiExtraMissing("the Pulumi program (infra/)", missing) from None

from connectorops.engine.actions import Action, ActionKind, PlanOptions
from connectorops.engine.deletion_policy import ORPHAN, DeletionPolicySource
from connectorops.engine.desired import DesiredState, connector_of_scope
from connectorops.engine.guards import (
    connection_loss_guard,
    counts_as_deletion,
    exceeds_max_deletions,
    refuses_empty_desired,
)
from connectorops.engine.impact import Impact, ImpactIndex
from connectorops.engine.kinds import kind_of
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.plan import blocked_message as engine_blocked_message
from connectorops.engine.plan import blocking_problems as engine_blocking_problems
from connectorops.engine.target import ARM, Target
from connectorops.engine.uncarried import UNCARRIED_CODE, uncarried_fields, without_uncarried
from connectorops.errors import ConnectoropsError, Problem, Severity
from connectorops.policy.role_assignments import DesiredRoleAssignment
from connectorops.pulumi_stack.powerplatform import (
    ConnectorProvider,
    EnvironmentTarget,
    GrantProvider,
    PowerPlatformConnector,
    PowerPlatformGrant,
    connector_inputs,
)
from connectorops.pulumi_stack.protection import Protection, decide_protection
from connectorops.pulumi_stack.secrets import properties_with_secrets, secret_values
from connectorops.pulumi_stack.settings import StackSettings, check_stack_matches, settings_from_config
from connectorops.render import DesiredCustomApi
from connectorops.spec.repository import Repository
from connectorops.targets.arm.target import ResourceGroupTarget

DesiredStateBuilder = Callable[..., DesiredState]
MAX_LISTED_PROBLEMS = 50


@dataclass(frozen=True)
class DeclaredStack:
    """What the program declared, for tests and stack outputs (azure-native resources, or Power Platform
    dynamic ones: connectors under custom_apis, their grants under role_assignments)."""

    environment: str
    custom_apis: dict[str, pulumi.CustomResource]
    role_assignments: dict[str, pulumi.CustomResource]
    protections: dict[str, Protection]


def blocking_problems(desired: DesiredState) -> list[Problem]:
    """Errors plus mandatory certification findings: any of them stops the program."""
    return engine_blocking_problems(desired.errors, desired.findings)


def blocked_message(environment: str, problems: list[Problem]) -> str:
    return engine_blocked_message(
        f"connectorops: environment {environment!r}",
        "no resource declared",
        problems,
        limit=MAX_LISTED_PROBLEMS,
        more="run `connectorops validate`",
    )


def _default_builder() -> DesiredStateBuilder:
    from connectorops.engine.desired import build_desired_state

    return build_desired_state


def _load_repository(repo_root: Path) -> Repository:
    from connectorops.spec.loader import load_repository
    from connectorops.spec.source import FileSystemTree

    return load_repository(FileSystemTree(repo_root))


def _commit(repo_root: Path) -> str | None:
    try:
        from connectorops.gitops.revisions import head_commit

        return head_commit(repo_root)
    except ConnectoropsError:
        return None


def _git_deletion_policies(repo_root: Path) -> DeletionPolicySource:
    """lifecycle.deletion as committed at a removed connector's commit tag, never its editable tag."""
    from connectorops.gitops.deletion_policy import GitDeletionPolicies

    return GitDeletionPolicies.at(repo_root)


def _as_pulumi_runs_it(action: Action, options: PlanOptions) -> Action:
    """The plan's action as `pulumi up` carries it out.

    The engine orphans a removed connector when git or its deletion tag says orphan (it removes our tags).
    Pulumi keeps one only if git said orphan when it was declared (retain_on_delete); a tag edited in the
    portal does not reach Pulumi's state, so Pulumi deletes it: the engine's connection-loss guard applies.
    """
    if action.kind != ActionKind.ORPHAN or not kind_of(action).is_connector or action.deletion_policy == ORPHAN:
        return action
    return connection_loss_guard(replace(action, kind=ActionKind.DELETE, body=None), options)


def _stack_config_hint(plan: Plan, desired: DesiredState) -> str:
    """How to acknowledge in the stack's config what the engine's guards refused (its hints name CLI flags)."""
    deletes = [a for a in plan.actions if counts_as_deletion(a)]
    options = plan.options
    lines: list[str] = []
    for action in deletes:
        lost = action.impact is not None and action.impact.connection_count > 0
        if action.blocked and lost and action.name.lower() not in {n.lower() for n in options.allow_connection_loss}:
            lines.append(
                f"  {action.name}: {action.reasons[-1]}; for this run only: "
                f"pulumi config set --path 'connectorops:allowConnectionLoss[0]' {action.name}"
            )
    declares_any = bool(desired.custom_apis or desired.declared)
    if refuses_empty_desired(len(deletes), declares_any=declares_any, allow_empty=options.allow_empty):
        lines.append("  if that is really intended: pulumi config set connectorops:allowEmpty true")
    if exceeds_max_deletions(len(deletes), options.max_deletions):
        lines.append(f"  if intended: pulumi config set connectorops:maxDeletions {len(deletes)}")
    return ("\nIn this stack's config:\n" + "\n".join(lines)) if lines else ""


def _carried_custom_apis(apis: Iterable[DesiredCustomApi], may_drop: frozenset[str]) -> list[DesiredCustomApi]:
    """The connectors as azure-native will deploy them; stops when that would drop a field no one allowed."""
    refused: list[str] = []
    result: list[DesiredCustomApi] = []
    for api in apis:
        fields = uncarried_fields(api.body)
        if not fields:
            result.append(api)
        elif api.name in may_drop:
            pulumi.log.warn(
                f"connectorops: {api.name}: azure-native's CustomApi cannot carry {', '.join(fields)}; "
                "deployed without them (connectorops:dropUiDefinition)"
            )
            result.append(replace(api, body=without_uncarried(api.body)))
        else:
            refused.append(f"  {api.name}: {', '.join(fields)}")
    if refused:
        raise pulumi.RunError(
            "connectorops: azure-native's CustomApi cannot carry the connection dialog (labels, tooltips, tab "
            "order) of:\n" + "\n".join(refused) + "\ndeploy this environment with `connectorops apply`, which "
            "carries them, or accept losing them: pulumi config set --path 'connectorops:dropUiDefinition[0]' NAME"
        )
    return result


def _declare_custom_api(
    api: DesiredCustomApi, target: ResourceGroupTarget, protection: Protection, environ: Mapping[str, str]
) -> web.CustomApi:
    tags: dict[str, str] = dict(api.body.get("tags") or {})
    return web.CustomApi(
        api.name,
        api_name=api.name,
        resource_group_name=target.placement.resource_group,
        location=str(api.body.get("location") or target.placement.location),
        # The ARM JSON as rendered (camelCase keys pass through unchanged, like the swagger inside).
        properties=cast(Any, properties_with_secrets(api, environ)),
        tags=tags,
        opts=pulumi.ResourceOptions(protect=protection.protect, retain_on_delete=protection.retain_on_delete),
    )


def _declare_role_assignment(
    grant: DesiredRoleAssignment, custom_api: web.CustomApi, protection: Protection
) -> authorization.RoleAssignment:
    connector = connector_of_scope(grant.scope)
    return authorization.RoleAssignment(
        f"{connector}-share-{grant.principal_name}-{grant.role_name}",
        role_assignment_name=grant.name,
        # The customApi's own id output: Pulumi creates the connector before sharing it.
        scope=custom_api.id,
        principal_id=grant.principal_id,
        principal_type=grant.principal_type,
        role_definition_id=grant.role_definition_id,
        # An orphaned connector keeps its sharing too: removal from git leaves both in Azure.
        opts=pulumi.ResourceOptions(depends_on=[custom_api], retain_on_delete=protection.retain_on_delete),
    )


def declare_stack(
    settings: StackSettings,
    target: Target,
    *,
    repository: Repository | None = None,
    build: DesiredStateBuilder | None = None,
    environ: Mapping[str, str] | None = None,
    deletion_policies: DeletionPolicySource | None = None,
) -> DeclaredStack:
    """Load, check and render through the engine, then declare every resource. Raises pulumi.RunError.

    `deletion_policies` reads a removed connector's committed lifecycle.deletion (default: git at repo_root).
    """
    try:
        chosen_environ = os.environ if environ is None else environ
        builder = build or _default_builder()
        return _declare(settings, target, repository, builder, chosen_environ, deletion_policies)
    except ConnectoropsError as error:
        # People read this in `pulumi up` output: the engine's message, no Python traceback.
        raise pulumi.RunError("connectorops: " + "\n".join(str(p) for p in error.problems)) from None


def _declare(
    settings: StackSettings,
    target: Target,
    repository: Repository | None,
    build: DesiredStateBuilder,
    environ: Mapping[str, str],
    deletion_policies: DeletionPolicySource | None,
) -> DeclaredStack:
    from connectorops.spec.loader import select_environment

    repo = repository or _load_repository(settings.repo_root)
    name, environment = select_environment(repo, settings.environment)
    check_stack_matches(settings, name, environment)
    desired = build(
        repo,
        name,
        placement=target,
        commit=_commit(settings.repo_root),
        cache_dir=settings.cache_dir,
    )
    # plan's reading of Pulumi.<stack>.yaml; the running stack's own config decides below (_carried_custom_apis)
    desired = replace(desired, problems=tuple(p for p in desired.problems if p.code != UNCARRIED_CODE))
    problems = blocking_problems(desired)
    if problems:
        raise pulumi.RunError(blocked_message(name, problems))
    for problem in desired.problems:
        if problem.severity == Severity.WARNING:
            pulumi.log.warn(f"connectorops: {problem}")

    # The engine's plan over the same desired state: its actions and guards decide deletions and protection.
    # Pulumi diffs the definitions itself: the program reads the plan's deletions, guards and impact, so it
    # downloads no deployed definition (only an adoption's, whose verdict reads it): one list per collection.
    observed = observe(target, desired=[api for api in desired.custom_apis if api.adopt])
    options = PlanOptions(
        allow_connection_loss=settings.allow_connection_loss,
        allow_empty=settings.allow_empty,
        max_deletions=settings.max_deletions,
    )
    policies = deletion_policies or _git_deletion_policies(settings.repo_root)
    plan = make_plan(desired, observed, options, target=target.identity, deletion_policies=policies)
    plan = replace(plan, actions=tuple(_as_pulumi_runs_it(a, options) for a in plan.actions))
    if plan.blocked_actions:
        reasons = plan.blocked_reasons()
        raise pulumi.RunError(blocked_message(name, reasons) + _stack_config_hint(plan, desired))
    deleting = [a.name for a in plan.actions if counts_as_deletion(a)]
    if deleting:
        pulumi.log.warn(f"connectorops: git no longer declares {', '.join(deleting)}: this update deletes them")
    # A connector the plan creates has no impact of its own yet, but connections may already name its id.
    inventory = ImpactIndex(observed.connections, observed.workflows)
    impacts = {a.name.lower(): a.impact for a in plan.actions if kind_of(a).is_connector and a.impact}

    def impact_of(api: DesiredCustomApi) -> Impact:
        return impacts.get(api.name.lower()) or inventory.impact(target.connector_id(api.name))

    if target.identity.kind != ARM:
        opener = EnvironmentTarget(str(settings.repo_root), name)
        return _declare_powerplatform(name, desired, settings, target, opener, impact_of, environ)
    if not isinstance(target, ResourceGroupTarget):
        raise pulumi.RunError(f"connectorops: environment {name!r}: no Pulumi resources for this target")
    return _declare_azure_native(name, desired, settings, target, impact_of, environ)


def _protection(api: DesiredCustomApi, impact: Impact, settings: StackSettings) -> Protection:
    """The engine's protect rules for one connector, with its warning logged."""
    protection = decide_protection(
        api.deletion_policy,
        impact,
        allow_connection_loss=api.name.lower() in {n.lower() for n in settings.allow_connection_loss},
    )
    warning = protection.warning(api.name)
    if warning:
        pulumi.log.warn(f"connectorops: {warning}")
    return protection


def _declare_azure_native(
    name: str,
    desired: DesiredState,
    settings: StackSettings,
    target: ResourceGroupTarget,
    impact_of: Callable[[DesiredCustomApi], Impact],
    environ: Mapping[str, str],
) -> DeclaredStack:
    carried = _carried_custom_apis(desired.custom_apis, settings.drop_ui_definition)
    protections: dict[str, Protection] = {}
    custom_apis: dict[str, web.CustomApi] = {}
    for api in carried:
        protections[api.name] = _protection(api, impact_of(api), settings)
        custom_apis[api.name] = _declare_custom_api(api, target, protections[api.name], environ)

    by_scope = {target.connector_id(name).rstrip("/").lower(): name for name in custom_apis}
    role_assignments: dict[str, pulumi.CustomResource] = {}
    for grant in desired.role_assignments:
        owner = by_scope.get(grant.scope.rstrip("/").lower())
        if owner is None:  # the engine only shares connectors it rendered; guard against a mismatch anyway
            raise pulumi.RunError(f"connectorops: role assignment {grant.name} targets {grant.scope}, not a connector")
        role_assignments[grant.name] = _declare_role_assignment(grant, custom_apis[owner], protections[owner])
    return DeclaredStack(name, dict(custom_apis), role_assignments, protections)


def _declare_powerplatform(
    name: str,
    desired: DesiredState,
    settings: StackSettings,
    target: Target,
    opener: EnvironmentTarget,
    impact_of: Callable[[DesiredCustomApi], Impact],
    environ: Mapping[str, str],
) -> DeclaredStack:
    """One PowerPlatformConnector per connector and one PowerPlatformGrant per grant, deployed by the dynamic
    providers through the environment's Target (opened in Pulumi's provider process from connectorops.yaml)."""
    connectors = ConnectorProvider(opener)
    grants = GrantProvider(opener)
    protections: dict[str, Protection] = {}
    declared: dict[str, PowerPlatformConnector] = {}
    for api in desired.custom_apis:
        protection = _protection(api, impact_of(api), settings)
        protections[api.name] = protection
        secrets = secret_values(api, environ)
        props = {
            **connector_inputs(api, name),
            # Stored encrypted in the state's inputs; never an output (ConnectorProvider keeps it out).
            "secrets": pulumi.Output.secret(secrets) if secrets else {},
        }
        options = pulumi.ResourceOptions(protect=protection.protect, retain_on_delete=protection.retain_on_delete)
        declared[api.name] = PowerPlatformConnector(api.name, connectors, props, options)

    by_scope = {target.connector_id(n).rstrip("/").lower(): n for n in declared}
    shares: dict[str, pulumi.CustomResource] = {}
    for grant in desired.role_assignments:
        owner = by_scope.get(grant.scope.rstrip("/").lower())
        if owner is None:
            raise pulumi.RunError(f"connectorops: grant {grant.name} targets {grant.scope}, not a connector")
        shares[grant.name] = PowerPlatformGrant(
            f"{owner}-share-{grant.principal_name}-{grant.role_name}",
            grants,
            {"connector": owner, "name": grant.name, "body": grant.body()},
            pulumi.ResourceOptions(depends_on=[declared[owner]], retain_on_delete=protections[owner].retain_on_delete),
        )
    return DeclaredStack(name, dict(declared), shares, protections)


@contextmanager
def _target_for(settings: StackSettings, repo: Repository) -> Iterator[Target]:
    from connectorops.engine.pipeline import Inputs
    from connectorops.spec.loader import select_environment
    from connectorops.targets.connect import connect

    name, environment = select_environment(repo, settings.environment)
    check_stack_matches(settings, name, environment)
    with connect(Inputs(settings.repo_root, repo, name, None)) as target:
        yield target


def run(repo_root: Path) -> DeclaredStack:
    """Entry point of infra/__main__.py: the running stack's settings, a gateway, the resources."""
    try:
        settings = settings_from_config(repo_root)
        repo = _load_repository(repo_root)
        with _target_for(settings, repo) as target:
            declared = declare_stack(settings, target, repository=repo)
    except ConnectoropsError as error:
        raise pulumi.RunError("connectorops: " + "\n".join(str(p) for p in error.problems)) from None
    pulumi.export("environment", declared.environment)
    pulumi.export("customApis", {name: api.id for name, api in declared.custom_apis.items()})
    pulumi.export("protected", sorted(n for n, p in declared.protections.items() if p.protect))
    return declared
