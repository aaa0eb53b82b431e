"""The grant kind (roleAssignment): sharing a connector with a principal, and revoking it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectorops.engine.actions import ROLE_ASSIGNMENT, Action, ActionKind
from connectorops.engine.kinds.base import PHASE_GRANT, PHASE_REVOKE, ResourceKind

if TYPE_CHECKING:
    from connectorops.engine.target import Target


def _phase(action: Action) -> int:
    return PHASE_GRANT if action.kind == ActionKind.CREATE else PHASE_REVOKE


def _execute(action: Action, body: dict[str, Any] | None, target: Target, environment: str) -> str:
    if action.kind == ActionKind.CREATE:
        target.grant(action.connector, action.name, body or {})
        return "granted"
    target.revoke(action.resource_id)
    return "revoked"


def _describe(action: Action) -> str:
    return f"role assignment {action.name} on {action.connector!r}"


GRANT = ResourceKind(name=ROLE_ASSIGNMENT, is_connector=False, phase=_phase, execute=_execute, describe=_describe)
