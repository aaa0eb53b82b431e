"""Connection-loss safety for `pulumi up`: which customApis get `protect` or `retain_on_delete`.

A connector with live connections is protected, so removing it from git makes `pulumi up` fail
instead of silently deleting every connection (Azure deletes them with the customApi).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connectorops.engine.impact import Impact, ImpactIndex
from connectorops.engine.target import Target


@dataclass(frozen=True)
class Protection:
    protect: bool
    retain_on_delete: bool
    impact: Impact
    reason: str

    def warning(self, connector: str) -> str | None:
        """The `pulumi.log.warn` line for this connector, or None when nothing depends on it."""
        if self.impact.is_empty:
            return None
        usage = (
            f"connector {connector!r} has {self.impact.connection_count} connection(s) "
            f"used by {self.impact.logic_app_count} Logic App(s)"
        )
        return f"{usage}: {self.reason}"


def decide_protection(deletion_policy: str, impact: Impact, *, allow_connection_loss: bool) -> Protection:
    """lifecycle.deletion + live connections -> resource options (see docs/pulumi.md)."""
    if deletion_policy == "orphan":
        return Protection(False, True, impact, "lifecycle.deletion orphan: removing it from git keeps it in Azure")
    if impact.is_empty:
        return Protection(False, False, impact, "no connections: removing it from git deletes it")
    if allow_connection_loss:
        return Protection(False, False, impact, "allowConnectionLoss: removing it from git deletes them too")
    if deletion_policy == "allow-connection-loss":
        return Protection(
            False, False, impact, "lifecycle.deletion allow-connection-loss: removing it from git deletes them too"
        )
    return Protection(
        True,
        False,
        impact,
        "protected; removing it from git makes `pulumi up` fail until lifecycle.deletion says allow-connection-loss",
    )


def observe_impacts(target: Target, names: Iterable[str]) -> dict[str, Impact]:
    """Connections and Logic Apps per connector: one list of connections, one of workflows."""
    wanted = list(names)
    if not wanted:
        return {}
    connections = target.list_connections()
    # Consumers (Logic Apps) matter only through connections; skip the second listing when there are none.
    consumers = target.list_consumers() if connections else []
    index = ImpactIndex(connections, consumers)
    return {name: index.impact(target.connector_id(name)) for name in wanted}
