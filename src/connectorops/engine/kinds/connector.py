"""The connector kind (customApi): create, update, adopt, orphan and the checked delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectorops.engine.actions import CUSTOM_API, Action, ActionKind
from connectorops.engine.delete_check import delete_refusal
from connectorops.engine.kinds.base import PHASE_DELETE_CONNECTORS, PHASE_WRITE_CONNECTORS, Refused, ResourceKind
from connectorops.errors import GatewayError

if TYPE_CHECKING:
    from connectorops.engine.target import Target

PRECONDITION_FAILED = 412


def _phase(action: Action) -> int:
    return PHASE_DELETE_CONNECTORS if action.kind == ActionKind.DELETE else PHASE_WRITE_CONNECTORS


def _execute(action: Action, body: dict[str, Any] | None, target: Target, environment: str) -> str:
    if action.kind == ActionKind.CREATE:
        # Create-only: a same-name connector made since the plan (perhaps not ours) is never overwritten.
        try:
            target.create_connector(action.name, body or {})
        except GatewayError as error:
            if error.status != PRECONDITION_FAILED:
                raise
            raise GatewayError(
                f"customApi {action.name!r} appeared meanwhile (created after the plan was made); it was not "
                "overwritten",
                status=PRECONDITION_FAILED,
                hint=f"plan again; if it is not ours, adopt it with `connectorops import --select {action.name}`",
            ) from None
        return "created"
    if action.kind == ActionKind.UPDATE:
        target.update_connector(action.name, body or {}, etag=action.observed_etag)
        return "updated"
    if action.kind == ActionKind.ADOPT:
        if body and "properties" in body:
            target.update_connector(action.name, body, etag=action.observed_etag)
        else:
            target.write_markers(action.name, dict((body or {}).get("tags") or {}))
        return "adopted"
    if action.kind == ActionKind.ORPHAN:
        target.write_markers(action.name, dict((body or {}).get("tags") or {}))
        return "orphaned (left in Azure, no longer managed)"
    if action.kind == ActionKind.DELETE:
        refusal = delete_refusal(action, target, environment)
        if refusal is not None:
            raise Refused(refusal)
        existed = target.delete_connector(action.name)
        return "deleted" if existed else "already gone"
    raise AssertionError(f"no executor for {action.kind} of a connector")


def _describe(action: Action) -> str:
    return f"customApi {action.name!r}"


CONNECTOR = ResourceKind(name=CUSTOM_API, is_connector=True, phase=_phase, execute=_execute, describe=_describe)
