"""What a resource kind is to apply: how one of its actions is executed and where it runs in the order.

A kind is a value in the registry (engine/kinds/__init__.py); apply loops over the registry instead of
testing kind names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectorops.engine.actions import Action

if TYPE_CHECKING:
    from connectorops.engine.target import Target

# Apply order: a failure part-way never deletes before what replaces it exists, and a connector's
# dependents (grants) are removed after the connector only when its deletion really ran.
PHASE_WRITE_CONNECTORS = 0
PHASE_GRANT = 1
PHASE_REVOKE = 2
PHASE_DELETE_CONNECTORS = 3
PHASE_AFTER_CONNECTOR_DELETES = 4

Executor = Callable[[Action, "dict[str, Any] | None", "Target", str], str]


class Refused(Exception):
    """An action not started because what is live now does not allow it (status blocked)."""


@dataclass(frozen=True)
class ResourceKind:
    name: str  # Action.resource_type, as stored in plan files
    is_connector: bool  # the connector itself; other kinds hang off a connector and go when it goes
    phase: Callable[[Action], int]  # its place in the apply order (PHASE_*)
    execute: Executor  # runs one change against the target; returns the result wording ("created", ...)
    describe: Callable[[Action], str]  # the resource in messages: "customApi 'orders'"
