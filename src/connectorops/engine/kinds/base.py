"""What a resource kind is to the engine: its diff, how one of its actions is executed, where it runs in
the apply order, what the guards count of it, its drift items, and how it is worded in messages and reports.

A kind is a value in the registry (engine/kinds/__init__.py); plan, guards, apply, drift and the reports loop
over the registry instead of testing kind names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectorops.engine.actions import Action

if TYPE_CHECKING:
    from connectorops.engine.actions import PlanOptions
    from connectorops.engine.classify import ConnectorClass
    from connectorops.engine.deletion_policy import DeletionPolicySource
    from connectorops.engine.desired import DesiredState
    from connectorops.engine.drift_items import DriftItem
    from connectorops.engine.observe import ObservedState
    from connectorops.engine.target import Target

# Apply order: a failure part-way never deletes before what replaces it exists, and a connector's
# dependents (grants) are removed after the connector only when its deletion really ran.
PHASE_WRITE_CONNECTORS = 0
PHASE_GRANT = 1
PHASE_REVOKE = 2
PHASE_DELETE_CONNECTORS = 3
PHASE_AFTER_CONNECTOR_DELETES = 4

Executor = Callable[[Action, "dict[str, Any] | None", "Target", str], str]
# (desired, observed, options, deletion policies from git, the actions of the kinds planned before) -> actions
Planner = Callable[
    ["DesiredState", "ObservedState", "PlanOptions", "DeletionPolicySource", "list[Action]"], "list[Action]"
]

# (desired, observed, the one classification of connectors) -> this kind's drift items
DriftView = Callable[["DesiredState", "ObservedState", "list[ConnectorClass]"], "list[DriftItem]"]
CodeSpan = Callable[[str], str]  # how a report marks a name: `orders` in Markdown


class Refused(Exception):
    """An action not started because what is live now does not allow it (status blocked)."""


def no_drift(desired: DesiredState, observed: ObservedState, connectors: list[ConnectorClass]) -> list[DriftItem]:
    return []


def no_summary(action: Action) -> str:
    return ""


@dataclass(frozen=True)
class ResourceKind:
    name: str  # Action.resource_type, as stored in plan files
    # The connector itself; other kinds hang off a connector: they go when it goes (a blocked connector
    # deletion blocks theirs), and reports show them in its section, after it.
    is_connector: bool
    plan: Planner  # its diff of desired against observed
    phase: Callable[[Action], int]  # its place in the apply order (PHASE_*)
    execute: Executor  # runs one change against the target; returns the result wording ("created", ...)
    describe: Callable[[Action], str]  # the resource in messages: "customApi 'orders'"
    noun: str = ""  # what one is called in reports: "customApi" (default: the kind's name)
    # guards (engine/guards.py)
    counts_deletions: bool = False  # its deletions count toward --max-deletions and the empty-desired refusal
    loses_connections: bool = False  # deleting one deletes its connections: the connection-loss guard applies
    # views
    drift: DriftView = no_drift  # its drift items, read from the plan's classification
    summary: Callable[[Action], str] = no_summary  # the text report's details column
    # one Markdown line for an action (`code` marks names); None: "**kind** noun `name`"
    bullet: Callable[[Action, CodeSpan], str] | None = None

    @property
    def called(self) -> str:
        return self.noun or self.name

    def markdown_line(self, action: Action, code: CodeSpan) -> str:
        if self.bullet is not None:
            return self.bullet(action, code)
        return f"**{action.kind}** {self.called} {code(action.name)}"
