"""The check at the moment of deletion: a connector goes only if every live connection to it is acknowledged.

A plan, a prompt or a saved file may be minutes old, so the connector and its connections are read again
right before each DELETE. Git's `allow-connection-loss` acknowledges any number; --allow-connection-loss
exactly the connections the plan showed. Anything else leaves the connector as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectorops.engine.actions import Action
from connectorops.engine.deletion_policy import ALLOW_CONNECTION_LOSS
from connectorops.engine.impact import NOUNS, ImpactIndex
from connectorops.engine.observe import belongs_to

if TYPE_CHECKING:
    from connectorops.engine.target import Target


def delete_refusal(action: Action, target: Target, environment: str) -> str | None:
    """Why `action` (a connector delete) must not run now, or None when it may.

    Requests: one GET of the connector, one list of its connections, and the consumers (Logic Apps, flows)
    only when something is refused (to name them).
    """
    live = target.get_connector(action.name)
    if live is None:
        return None  # already gone: the DELETE answers "already gone"
    if not belongs_to(live, environment):
        return (
            f"{action.name!r} is no longer managed by connectorops for environment {environment!r}: "
            "it is never deleted; plan again"
        )
    if action.observed_etag and live.get("etag") != action.observed_etag:
        return (
            f"{action.name!r} changed since the plan was made (etag {action.observed_etag} -> {live.get('etag')}): "
            "nothing was deleted; plan again and review"
        )
    resource_id = str(live.get("id") or action.resource_id)
    connections = target.connections_of(resource_id)
    if not connections or action.deletion_policy == ALLOW_CONNECTION_LOSS:
        return None
    acknowledged = {name.lower() for name in action.acknowledged_connections}
    unacknowledged = [c for c in connections if str(c.get("name", "")).lower() not in acknowledged]
    if not unacknowledged:
        return None
    consumers = ImpactIndex(unacknowledged, target.list_consumers(), consumer_kind=target.capabilities.consumers)
    impact = consumers.impact(resource_id)
    names = ", ".join(c.name for c in impact.connections)
    used_by = impact.consumer_names()
    noun = NOUNS[impact.consumer_kind][0]
    shown = ", ".join(action.acknowledged_connections) or "none"
    policy = f"{action.deletion_policy or 'protect'} ({action.deletion_policy_origin or 'unknown'})"
    why = (
        f"--allow-connection-loss {action.name} acknowledged only the connection(s) the plan showed ({shown})"
        if action.acknowledged_connections
        else f"the plan showed {action.impact.connection_count if action.impact else 0} connection(s)"
        f" and lifecycle.deletion is {policy}"
    )
    return (
        f"not deleted: {len(impact.connections)} live connection(s) to {action.name!r} are not acknowledged: {names}"
        + (f" (used by {noun}(s): {used_by})" if used_by else "")
        + f"; {why}. The connector was left as it was: run `connectorops plan` to see them, then pass "
        f"--allow-connection-loss {action.name} or merge `lifecycle.deletion: allow-connection-loss` to delete anyway"
    )
