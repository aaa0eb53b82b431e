"""Connection-loss guard for `pulumi up`: a removed connector with live connections needs git's word.

`protect` is decided when a connector is declared, so connections made after the last `pulumi up`
are not covered by it. Every run therefore reads the live connections of each managed connector git
no longer declares, and fails before anything is declared unless the loss is acknowledged: by the
connector's committed lifecycle.deletion (read from git at the commit in its tag, never from the
`connectorops-deletion` tag, which the portal can edit) or by `connectorops:allowConnectionLoss`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectorops import tags
from connectorops.engine.impact import Impact
from connectorops.engine.observe import belongs_to
from connectorops.errors import Problem

# (connector, commit tag, source tag) -> lifecycle.deletion committed there; None when git cannot say.
PolicyLookup = Callable[[str, str | None, str | None], str | None]
# Git policies that let Pulumi remove the connector: its connections may go, or Pulumi retains it
# (retainOnDelete was declared with the orphan policy at the last `pulumi up`).
ACKNOWLEDGING = ("allow-connection-loss", "orphan")


@dataclass(frozen=True)
class UnacknowledgedLoss:
    connector: str
    impact: Impact
    commit: str | None
    policy: str | None  # git's lifecycle.deletion at `commit`; None: unknown

    def problem(self) -> Problem:
        connections = ", ".join(f"{c.name} ({c.status})" for c in self.impact.connections)
        apps = ", ".join(w.name for w in self.impact.logic_apps) or "none"
        if self.commit is None:
            why = "it carries no connectorops-commit tag, so git cannot acknowledge the loss"
        elif self.policy is None:
            why = (
                f"its commit {self.commit[:12]} (connectorops-commit tag) or its connector.yaml there is not in "
                "this clone, so git cannot acknowledge the loss (in CI, fetch the full history: fetch-depth: 0)"
            )
        else:
            why = f"lifecycle.deletion at its commit {self.commit[:12]} is {self.policy!r}"
        return Problem(
            f"connector {self.connector!r} is no longer declared in git but has {self.impact.connection_count} live "
            f"connection(s): {connections}; Logic Apps using them: {apps}. Deleting it deletes them, and {why}",
            field=f"connectors/{self.connector}",
            hint=(
                "merge `lifecycle.deletion: allow-connection-loss` for it and `pulumi up` once before removing it, "
                f"or `pulumi config set --path 'connectorops:allowConnectionLoss[0]' {self.connector}` for this run, "
                "or restore its folder"
            ),
            code="pulumi.connection_loss",
        )


def removed_connectors(
    custom_apis: Iterable[Mapping[str, Any]], environment: str, declared: Iterable[str]
) -> list[str]:
    """Ours in `environment` (the engine's rule) that git no longer declares, whatever their deletion tag says."""
    wanted = {name.lower() for name in declared}
    return sorted(
        str(api.get("name") or "")
        for api in custom_apis
        if belongs_to(dict(api), environment) and str(api.get("name") or "").lower() not in wanted
    )


def unacknowledged_losses(
    custom_apis: Iterable[Mapping[str, Any]],
    removed: Iterable[str],
    impacts: Mapping[str, Impact],
    lookup: PolicyLookup,
    allow_connection_loss: Iterable[str],
) -> list[UnacknowledgedLoss]:
    by_name = {str(api.get("name") or "").lower(): api for api in custom_apis}
    allowed = {name.lower() for name in allow_connection_loss}
    losses = []
    for name in removed:
        impact = impacts.get(name)
        if impact is None or impact.is_empty or name.lower() in allowed:
            continue
        found = by_name.get(name.lower(), {}).get("tags") or {}
        commit, source = found.get(tags.SOURCE_COMMIT), found.get(tags.SOURCE_PATH)
        policy = lookup(name, commit, source)
        if policy not in ACKNOWLEDGING:
            losses.append(UnacknowledgedLoss(name, impact, commit, policy))
    return losses
