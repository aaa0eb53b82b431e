"""The registry of resource kinds: adding a kind is one module and one line here."""

from __future__ import annotations

from connectorops.engine.actions import Action
from connectorops.engine.kinds.base import ResourceKind
from connectorops.engine.kinds.connector import CONNECTOR
from connectorops.engine.kinds.grant import GRANT

KINDS: dict[str, ResourceKind] = {kind.name: kind for kind in (CONNECTOR, GRANT)}


def kind_of(action: Action) -> ResourceKind:
    try:
        return KINDS[action.resource_type]
    except KeyError:
        raise ValueError(f"unknown resource type {action.resource_type!r} in the plan") from None
