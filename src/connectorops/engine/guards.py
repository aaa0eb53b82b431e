"""Guards: the rules that block dangerous actions until git or the operator says so explicitly.

A blocked action stays in the plan with its reasons (so reports show it); a plan with any blocked
action cannot be applied.
"""

from __future__ import annotations

from dataclasses import replace

from connectorops.engine.actions import Action, ActionKind, PlanOptions, Verdict
from connectorops.engine.deletion_policy import ALLOW_CONNECTION_LOSS
from connectorops.engine.desired import DesiredState
from connectorops.engine.kinds import kind_of


def _block(action: Action, *reasons: str) -> Action:
    return replace(action, verdict=Verdict.BLOCK, reasons=action.reasons + reasons)


def _warn(action: Action, *warnings: str) -> Action:
    return replace(action, warnings=action.warnings + warnings)


def connection_loss_guard(action: Action, options: PlanOptions) -> Action:
    """Deleting a customApi deletes all its connections: blocked unless git or the operator allows it.

    Git allows any number (lifecycle.deletion read from git, never from the tag); --allow-connection-loss
    acknowledges exactly the connections shown here, which apply checks again just before the DELETE.
    Applies to the kinds whose deletion loses connections (`ResourceKind.loses_connections`).
    """
    if action.kind != ActionKind.DELETE or not kind_of(action).loses_connections:
        return action
    origin = action.deletion_policy_origin or "unknown"
    if action.observed_deletion_policy == ALLOW_CONNECTION_LOSS and action.deletion_policy != ALLOW_CONNECTION_LOSS:
        action = _warn(
            action,
            f"the connectorops-deletion tag says {ALLOW_CONNECTION_LOSS}, but git says {action.deletion_policy} "
            f"({origin}): a tag edited outside git authorizes nothing",
        )
    impact = action.impact
    acknowledged = action.name.lower() in {n.lower() for n in options.allow_connection_loss}
    if acknowledged and impact is not None:
        action = replace(action, acknowledged_connections=tuple(c.name for c in impact.connections))
    if impact is None or impact.connection_count == 0:
        return action
    loss = f"deleting {action.name!r} deletes its {impact.connection_count} connection(s)" + (
        f", breaking {impact.consumer_count()}: {impact.consumer_names()}" if impact.consumers else ""
    )
    if action.deletion_policy == ALLOW_CONNECTION_LOSS:
        return _warn(action, loss + f" (allowed: lifecycle.deletion is {ALLOW_CONNECTION_LOSS} in {origin})")
    if acknowledged:
        shown = ", ".join(action.acknowledged_connections)
        return _warn(action, loss + f" (allowed by --allow-connection-loss for these connections only: {shown})")
    return _block(
        action,
        loss,
        f"to delete it, first merge `lifecycle.deletion: allow-connection-loss` for {action.name!r} and apply, then "
        f"remove the folder; or pass --allow-connection-loss {action.name}; or use `deletion: orphan` to keep it",
        f"lifecycle.deletion is {action.deletion_policy or 'protect'} ({origin})",
    )


def counts_as_deletion(action: Action) -> bool:
    """A deletion --max-deletions and the empty-desired refusal count (`ResourceKind.counts_deletions`)."""
    return action.kind == ActionKind.DELETE and kind_of(action).counts_deletions


def refuses_empty_desired(deletions: int, *, declares_any: bool, allow_empty: bool) -> bool:
    """Git declares no connector while managed ones would go: a broken checkout looks exactly like this.

    The plan-wide rule of `connectorops plan`, which the Pulumi program runs too (through make_plan).
    """
    return deletions > 0 and not declares_any and not allow_empty


def exceeds_max_deletions(deletions: int, max_deletions: int) -> bool:
    """More connector deletions in one run than the operator allows (--max-deletions, maxDeletions)."""
    return deletions > max_deletions


def apply_guards(actions: list[Action], desired: DesiredState, options: PlanOptions) -> list[Action]:
    """Connection loss per delete, then the plan-wide guards: empty desired state and max deletions."""
    guarded = [connection_loss_guard(action, options) for action in actions]
    deletes = [a for a in guarded if counts_as_deletion(a)]
    declares_any = bool(desired.custom_apis or desired.declared)
    if refuses_empty_desired(len(deletes), declares_any=declares_any, allow_empty=options.allow_empty):
        reason = (
            "git declares no connectors for this environment while managed connectors exist; "
            "refusing to delete everything (pass --allow-empty if that is really intended)"
        )
        guarded = [_block(a, reason) if a in deletes else a for a in guarded]
    if exceeds_max_deletions(len(deletes), options.max_deletions):
        reason = (
            f"the plan deletes {len(deletes)} connectors, more than --max-deletions {options.max_deletions}; "
            "raise the limit if intended"
        )
        deletes_now = {a.key for a in deletes}
        guarded = [_block(a, reason) if a.key in deletes_now else a for a in guarded]
    # What hangs off a connector whose deletion is blocked stays: it goes with the connector.
    blocked_deletes = {
        a.connector.lower() for a in guarded if a.blocked and a.kind == ActionKind.DELETE and kind_of(a).is_connector
    }
    return [
        _block(a, f"the deletion of connector {a.connector!r} is blocked")
        if not kind_of(a).is_connector
        and a.kind == ActionKind.DELETE
        and a.connector.lower() in blocked_deletes
        and not a.blocked
        else a
        for a in guarded
    ]
