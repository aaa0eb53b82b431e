"""The connector kind (customApi): its plan (create, update, adopt, orphan, delete), execution, drift items,
guard hooks and wording."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectorops import tags
from connectorops.definitions.operations import operation_count
from connectorops.engine.actions import CUSTOM_API, Action, ActionKind, PlanOptions, Verdict
from connectorops.engine.breaking import BreakingChange, breaking_changes
from connectorops.engine.classify import ConnectorClass, ConnectorState, classify_connectors
from connectorops.engine.delete_check import delete_refusal
from connectorops.engine.deletion_policy import ORPHAN, DeletionPolicySource
from connectorops.engine.desired import DesiredState
from connectorops.engine.diff import FieldChange
from connectorops.engine.drift_items import INFO, DriftItem
from connectorops.engine.impact import ImpactIndex
from connectorops.engine.kinds.base import PHASE_DELETE_CONNECTORS, PHASE_WRITE_CONNECTORS, Refused, ResourceKind
from connectorops.engine.observe import ObservedState
from connectorops.errors import GatewayError
from connectorops.render import ADOPT_LABEL, DesiredCustomApi, definition_of

if TYPE_CHECKING:
    from connectorops.engine.target import Target

PRECONDITION_FAILED = 412


def _phase(action: Action) -> int:
    return PHASE_DELETE_CONNECTORS if action.kind == ActionKind.DELETE else PHASE_WRITE_CONNECTORS


def _execute(action: Action, body: dict[str, Any] | None, target: Target, environment: str) -> str:
    if action.kind == ActionKind.CREATE:
        # Create-only: a same-name connector made since the plan (perhaps not ours) is never overwritten.
        try:
            target.create_connector(action.name, body or {})
        except GatewayError as error:
            if error.status != PRECONDITION_FAILED:
                raise
            raise GatewayError(
                f"customApi {action.name!r} appeared meanwhile (created after the plan was made); it was not "
                "overwritten",
                status=PRECONDITION_FAILED,
                hint=f"plan again; if it is not ours, adopt it with `connectorops import --select {action.name}`",
            ) from None
        return "created"
    if action.kind == ActionKind.UPDATE:
        target.update_connector(action.name, body or {}, etag=action.observed_etag)
        return "updated"
    if action.kind == ActionKind.ADOPT:
        listed_as = action.listed_as or None
        if body and "properties" in body:
            target.update_connector(action.name, body, etag=action.observed_etag, listed_as=listed_as)
        else:
            target.write_markers(action.name, dict((body or {}).get("tags") or {}), listed_as=listed_as)
        return f"adopted (was {listed_as!r})" if listed_as else "adopted"
    if action.kind == ActionKind.ORPHAN:
        target.write_markers(action.name, dict((body or {}).get("tags") or {}))
        return "orphaned (left in Azure, no longer managed)"
    if action.kind == ActionKind.DELETE:
        refusal = delete_refusal(action, target, environment)
        if refusal is not None:
            raise Refused(refusal)
        existed = target.delete_connector(action.name)
        return "deleted" if existed else "already gone"
    raise AssertionError(f"no executor for {action.kind} of a connector")


def _describe(action: Action) -> str:
    return f"customApi {action.name!r}"


def _summary(action: Action) -> str:
    """The text report's details: fields changed, operations created, connections at stake."""
    if action.kind == ActionKind.UPDATE:
        breaking = f", {len(action.breaking)} breaking" if action.breaking else ""
        count = len(action.rotated_secrets)
        rotation = f"secret rotation ({count} secret(s) re-sent)" if count else ""
        if rotation and not action.changes:
            return rotation
        return f"{len(action.changes)} field(s) changed{breaking}" + (f", {rotation}" if rotation else "")
    if action.kind == ActionKind.CREATE and action.body and not action.blocked:
        props = action.body.get("properties") or {}
        count = operation_count(definition_of(action.body))
        return f"{props.get('displayName', action.name)}: {count} operation(s)"
    if action.kind in (ActionKind.DELETE, ActionKind.ORPHAN) and action.impact is not None:
        return f"{action.impact.connection_count} connection(s), {action.impact.consumer_count()}"
    return ""


# --- drift: the same classification as report items --------------------------------------------


def _connector_item(entry: ConnectorClass, place: str) -> DriftItem | None:
    """The drift item for one connector's classification (None: in sync); `place` names the target."""
    state, name, found = entry.state, entry.name, entry.found
    if state == ConnectorState.MISSING:
        return DriftItem(
            "deleted", name, entry.resource_id,
            f"declared in git but absent in {place} (deleted out of band, or never applied)",
        )  # fmt: skip
    if state == ConnectorState.ADOPT_TAKEN:
        return DriftItem(
            "conflict", name, entry.resource_id,
            f"git adopts {entry.listed_as!r} under this name, but it is managed by connectorops as {entry.listed_as!r}",
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


def _drift(desired: DesiredState, observed: ObservedState, classes: list[ConnectorClass]) -> list[DriftItem]:
    items = (_connector_item(entry, observed.place) for entry in classes)
    return [item for item in items if item is not None]


# --- planning --------------------------------------------------------------------------------


def _is_our_tag(key: str) -> bool:
    return key == tags.MANAGED_BY or key.startswith("connectorops-")


def _keeping_foreign_tags(body: dict[str, Any], found: dict[str, str]) -> dict[str, Any]:
    """The PUT body with tags others put on the resource (Azure Policy, cost centres) kept: PUT replaces tags."""
    foreign = {k: v for k, v in found.items() if not _is_our_tag(k)}
    if not foreign:
        return body
    return {**body, "tags": {**foreign, **(body.get("tags") or {})}}


def _plan(
    desired: DesiredState,
    observed: ObservedState,
    options: PlanOptions,
    deletion_policies: DeletionPolicySource,
    earlier: list[Action],
) -> list[Action]:
    """Actions from the one classification of each connector (engine/classify.py)."""
    actions: list[Action] = []
    impacts = ImpactIndex(observed.connections, observed.workflows, consumer_kind=observed.consumer_kind)
    env = desired.environment
    for entry in classify_connectors(desired, observed):
        if entry.want is not None and entry.want.adopt_from and not observed.adopts_under_another_name:
            actions.append(_not_here(entry))
        elif entry.want is not None:
            actions.append(_declared_action(entry, env, options, impacts))
        elif entry.state == ConnectorState.UNDECLARED:
            actions.append(_undeclared_action(entry, env, deletion_policies, impacts))
    return actions


def _declared_action(entry: ConnectorClass, env: str, options: PlanOptions, impacts: ImpactIndex) -> Action:
    """Create, update or adopt what git declares; block what is not ours to write."""
    want, have, found = entry.want, entry.have, entry.found
    assert want is not None
    common: dict[str, Any] = {
        "resource_type": CUSTOM_API,
        "name": want.name,
        "connector": want.name,
        "resource_id": entry.resource_id,
        "body": want.body,
        "secret_refs": want.secret_refs,
        "desired_fingerprint": want.fingerprint,
        "source_path": want.source_path,
    }
    if have is None and want.adopt_from:
        return Action(kind=ActionKind.ADOPT, verdict=Verdict.BLOCK, reasons=_absent(want), **common)
    if have is None:
        return Action(kind=ActionKind.CREATE, **common)
    common.update(
        observed_etag=have.get("etag"),
        observed_fingerprint=found.get(tags.FINGERPRINT),
        observed_commit=found.get(tags.SOURCE_COMMIT),
        observed_deletion_policy=found.get(tags.DELETION_POLICY),
        body=_keeping_foreign_tags(want.body, found),
    )
    impact = impacts.impact(entry.resource_id)
    changes = entry.changes
    if entry.state == ConnectorState.ADOPT_TAKEN:
        return Action(kind=ActionKind.ADOPT, verdict=Verdict.BLOCK, reasons=_taken(entry), **common)
    if entry.listed_as:
        common["listed_as"] = entry.listed_as
    if entry.state == ConnectorState.NOT_OURS:
        if want.adopt:
            if not [c for c in changes if not c.path.startswith("tags.")]:
                # Already what git says: adopting only adds our tags, keeping the ones it has.
                common["body"] = {"tags": {**found, **(want.body.get("tags") or {})}}
                common["secret_refs"] = {}
            return Action(kind=ActionKind.ADOPT, changes=changes, impact=impact, **common)
        return Action(
            kind=ActionKind.CREATE,
            verdict=Verdict.BLOCK,
            reasons=(
                f"a customApi named {want.name!r} already exists in the resource group and is not "
                "managed by connectorops; we never modify what we do not own",
                f"run `connectorops import --select {want.name}` to adopt it, or rename the connector",
            ),
            **common,
        )
    if entry.state == ConnectorState.OTHER_ENVIRONMENT:
        other = found.get(tags.ENVIRONMENT, "?")
        return Action(
            kind=ActionKind.CREATE,
            verdict=Verdict.BLOCK,
            reasons=(f"{want.name!r} is managed by connectorops for environment {other!r}, not {env!r}",),
            **common,
        )
    if not changes and entry.fingerprint_differs:
        # Only what the fingerprint covers but ARM cannot show us changed (e.g. a secret reference).
        changes = (FieldChange(f"tags.{tags.FINGERPRINT}", found.get(tags.FINGERPRINT), want.fingerprint),)
    # A rotated value behind an unchanged reference is invisible to any diff: only the operator knows.
    rotated = tuple(sorted(want.secret_refs)) if want.secret_refs and options.rotates(want.name) else ()
    fixed = tuple(_create_only_warning(c) for c in entry.create_only)
    if not changes and not rotated:
        return Action(kind=ActionKind.NOOP, warnings=fixed, **{**common, "body": None, "secret_refs": {}})
    old_swagger = entry.swagger
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
            impact=impact,
        )
    warnings: tuple[str, ...] = fixed
    if old_swagger is None and entry.fingerprint_differs:
        warnings += ("the deployed swagger could not be read: its differences and breaking changes are unknown",)
    return Action(
        kind=ActionKind.UPDATE,
        changes=changes,
        impact=impact,
        breaking=breaking,
        warnings=warnings,
        rotated_secrets=rotated,
        **common,
    )


def _not_here(entry: ConnectorClass) -> Action:
    """An adopt label naming another connector, on a target whose names are resource names: never a create."""
    want = entry.want
    assert want is not None
    return Action(
        kind=ActionKind.ADOPT,
        resource_type=CUSTOM_API,
        name=want.name,
        connector=want.name,
        resource_id=entry.resource_id,
        source_path=want.source_path,
        verdict=Verdict.BLOCK,
        reasons=(
            f"{_label_at(want)}metadata.labels.{ADOPT_LABEL} names {want.adopt_from!r}, but here a connector's "
            "name is its resource name: it cannot be adopted as another",
            f'name the connector {want.adopt_from!r} (metadata.name) with the label "true", or remove the label',
        ),
    )


def _label_at(want: DesiredCustomApi) -> str:
    """`connectors/x/connector.yaml:5: ` (where the adopt label is), or "" when the plan does not know."""
    if not want.source_path:
        return ""
    return f"{want.source_path}:{want.adopt_line}: " if want.adopt_line else f"{want.source_path}: "


def _absent(want: DesiredCustomApi) -> tuple[str, ...]:
    where = _label_at(want)
    return (
        f"{where}metadata.labels.{ADOPT_LABEL} names {want.adopt_from!r}, but no connector is listed by that name "
        f"(so {want.name!r} is neither created nor adopted)",
        "set it to a name `connectorops drift` reports as unmanaged (or re-run `connectorops import --select "
        f"NAME --name {want.name}`), or remove the label to create {want.name!r}",
    )


def _taken(entry: ConnectorClass) -> tuple[str, ...]:
    want = entry.want
    assert want is not None
    where = _label_at(want)
    owner = entry.found.get(tags.SOURCE_PATH) or "another connector"
    return (
        f"{where}metadata.labels.{ADOPT_LABEL} names {want.adopt_from!r}, which is managed by connectorops as "
        f"{entry.listed_as!r} ({owner}); we never take over what another record owns",
        f"remove the label, or manage the connector as {entry.listed_as!r} (its own connector.yaml)",
    )


def _create_only_warning(change: FieldChange) -> str:
    field = change.path.removeprefix("properties.")
    return (
        f"{field} is set only when the connector is created: the deployed {field} {change.before!r} stays, "
        f"git's {change.after!r} is not applied (delete and re-create the connector to change it)"
    )


def _undeclared_action(
    entry: ConnectorClass, env: str, deletion_policies: DeletionPolicySource, impacts: ImpactIndex
) -> Action:
    """Delete or orphan what we manage and git no longer declares."""
    name, found = entry.name, entry.found
    tagged = found.get(tags.DELETION_POLICY, "protect")
    git = deletion_policies(
        name=name, source_path=found.get(tags.SOURCE_PATH), commit=found.get(tags.SOURCE_COMMIT), environment=env
    )
    common: dict[str, Any] = {
        "resource_type": CUSTOM_API,
        "name": name,
        "connector": name,
        "resource_id": entry.resource_id,
        "observed_etag": (entry.have or {}).get("etag"),
        "observed_fingerprint": found.get(tags.FINGERPRINT),
        "observed_commit": found.get(tags.SOURCE_COMMIT),
        "observed_deletion_policy": tagged,
        "deletion_policy": git.value,
        "deletion_policy_origin": git.origin,
        "source_path": found.get(tags.SOURCE_PATH),
        "impact": impacts.impact(entry.resource_id),
    }
    # Orphaning deletes nothing, so either git or the tag asking for it is enough.
    if ORPHAN in (git.value, tagged):
        kept = {k: v for k, v in found.items() if not _is_our_tag(k)}
        return Action(kind=ActionKind.ORPHAN, body={"tags": kept}, **common)
    return Action(kind=ActionKind.DELETE, **common)


CONNECTOR = ResourceKind(
    name=CUSTOM_API,
    is_connector=True,
    plan=_plan,
    phase=_phase,
    execute=_execute,
    describe=_describe,
    noun="customApi",
    counts_deletions=True,
    loses_connections=True,
    drift=_drift,
    summary=_summary,
)
