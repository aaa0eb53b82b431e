"""The registry of resource kinds: adding a kind is one module and one line here (plus the target's methods).

Registry order is planning order, and the order a connector's resources are listed in plans and reports.
"""

from __future__ import annotations

from connectorops.engine.actions import Action
from connectorops.engine.kinds.base import ResourceKind
from connectorops.engine.kinds.connector import CONNECTOR
from connectorops.engine.kinds.grant import GRANT

KINDS: dict[str, ResourceKind] = {kind.name: kind for kind in (CONNECTOR, GRANT)}


def kind_order(resource_type: str) -> int:
    """A kind's place in the registry (an unregistered one sorts last)."""
    names = list(KINDS)
    return names.index(resource_type) if resource_type in KINDS else len(names)


def kind_of(action: Action) -> ResourceKind:
    try:
        return KINDS[action.resource_type]
    except KeyError:
        raise ValueError(f"unknown resource type {action.resource_type!r} in the plan") from None
