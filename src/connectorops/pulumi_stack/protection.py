"""Connection-loss safety for `pulumi up`: which customApis get `protect` or `retain_on_delete`.

A connector with live connections is protected, so removing it from git makes `pulumi up` fail
instead of silently deleting every connection (Azure deletes them with the customApi). The impact
(connections and the Logic Apps using them) is the one the engine's plan attached to the connector's action.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectorops.engine.impact import Impact


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
            f"used by {self.impact.consumer_count()}"
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
