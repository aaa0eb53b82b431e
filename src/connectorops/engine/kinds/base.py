"""What a resource kind is to the engine: its diff, how one of its actions is executed, where it runs in
the apply order, and how it is named in messages.

A kind is a value in the registry (engine/kinds/__init__.py); plan and apply loop over the registry instead
of testing kind names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectorops.engine.actions import Action

if TYPE_CHECKING:
    from connectorops.engine.actions import PlanOptions
    from connectorops.engine.deletion_policy import DeletionPolicySource
    from connectorops.engine.desired import DesiredState
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


class Refused(Exception):
    """An action not started because what is live now does not allow it (status blocked)."""


@dataclass(frozen=True)
class ResourceKind:
    name: str  # Action.resource_type, as stored in plan files
    is_connector: bool  # the connector itself; other kinds hang off a connector and go when it goes
    plan: Planner  # its diff of desired against observed
    phase: Callable[[Action], int]  # its place in the apply order (PHASE_*)
    execute: Executor  # runs one change against the target; returns the result wording ("created", ...)
    describe: Callable[[Action], str]  # the resource in messages: "customApi 'orders'"
