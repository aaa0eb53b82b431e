"""Create-only fields (Power Platform's displayName): a difference is said in every plan format, never planned
as an update that the service would silently not carry out, and never left as a change forever."""

from __future__ import annotations

import copy
import json
from io import StringIO
from typing import Any

from engine_support import PLACEMENT as ARM
from engine_support import connector, resolved
from rich.console import Console

from connectorops.definitions.model import ResolvedConnector
from connectorops.engine.actions import ActionKind
from connectorops.engine.desired import DesiredState
from connectorops.engine.observe import ObservedState
from connectorops.engine.plan import Plan, make_plan
from connectorops.render import DesiredCustomApi
from connectorops.report.markdown import plan_markdown
from connectorops.report.text import render_plan
from connectorops.targets.powerplatform import PowerPlatformPlacement

PLACEMENT = PowerPlatformPlacement("11111111-2222-3333-4444-555555555555")


def _desired(display_name: str) -> DesiredCustomApi:
    return PLACEMENT.render_connector(
        ResolvedConnector.from_definition(connector(displayName=display_name), "makers", resolved()), commit=None
    )


def _deployed(want: DesiredCustomApi, **changes: Any) -> dict[str, Any]:
    """What the target's observe returns for `want` once applied (its envelope), with `changes` to properties."""
    properties = copy.deepcopy(want.body["properties"])
    properties["swagger"] = properties.pop("openApiDefinition")
    properties.update(changes, apiName="shared_orders-0123456789abcdef", changedTime="2026-01-01T00:00:00Z")
    return {
        "name": want.name,
        "id": PLACEMENT.connector_id(want.name),
        "etag": "2026-01-01T00:00:00Z",
        "tags": dict(want.body["tags"]),
        "properties": properties,
    }


def _plan(want: DesiredCustomApi, deployed: dict[str, Any]) -> Plan:
    desired = DesiredState(environment="makers", custom_apis=(want,), declared=frozenset({want.name}))
    observed = ObservedState(scope_id=PLACEMENT.scope_id(), custom_apis=(deployed,))
    return make_plan(desired, observed, target=PLACEMENT.identity)


def test_a_deployed_connector_as_rendered_plans_no_changes_and_no_warning() -> None:
    want = _desired("Orders")
    (action,) = _plan(want, _deployed(want)).actions
    assert action.kind == ActionKind.NOOP and action.warnings == ()


def test_a_new_display_name_is_a_warning_on_a_noop_not_an_update() -> None:
    applied = _desired("Orders")
    renamed = _desired("Orders (new)")
    # The fingerprint moved, so the first plan writes (the record, and any other change) and warns.
    (first,) = _plan(renamed, _deployed(applied)).actions
    assert first.kind == ActionKind.UPDATE
    assert not [c for c in first.changes if c.path == "properties.displayName"]
    assert any("displayName is set only when the connector is created" in w for w in first.warnings)
    # After that apply the service still shows the old name: no change is planned again, the warning stays.
    after = _deployed(renamed, displayName="Orders")
    plan = _plan(renamed, after)
    (action,) = plan.actions
    assert action.kind == ActionKind.NOOP and plan.exit_code == 0
    (warning,) = action.warnings
    assert "'Orders'" in warning and "'Orders (new)'" in warning and "re-create" in warning
    assert warning in json.dumps(plan.to_dict())
    assert warning in plan_markdown(plan)
    out = StringIO()
    render_plan(plan, Console(file=out, width=400))
    assert warning in out.getvalue()


def test_an_arm_connector_has_no_create_only_field() -> None:
    want = ARM.render_connector(
        ResolvedConnector.from_definition(connector(displayName="Orders"), "local", resolved()), commit=None
    )
    assert want.create_only == ()
