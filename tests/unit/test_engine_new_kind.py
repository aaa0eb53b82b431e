"""A new resource kind is one module and one registry line: a throwaway kind, registered here and nowhere
else, is planned, guarded, ordered, reported, applied, saved and drift-reported with no other edit."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from engine_support import InMemoryTarget, desired_api, desired_state
from rich.console import Console

from connectorops.engine.actions import Action, ActionKind, PlanOptions
from connectorops.engine.apply import apply_plan
from connectorops.engine.classify import ConnectorClass
from connectorops.engine.deletion_policy import DeletionPolicySource
from connectorops.engine.desired import DesiredState
from connectorops.engine.drift import detect_drift
from connectorops.engine.drift_items import INFO, DriftItem
from connectorops.engine.kinds import KINDS
from connectorops.engine.kinds.base import PHASE_GRANT, PHASE_REVOKE, ResourceKind
from connectorops.engine.observe import ObservedState, observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.planfile import load_plan, save_plan
from connectorops.engine.target import Target
from connectorops.report.markdown import plan_markdown
from connectorops.report.text import render_plan

NOTE = "connectorNote"
EXECUTED: list[str] = []


def _plan(
    desired: DesiredState,
    observed: ObservedState,
    options: PlanOptions,
    policies: DeletionPolicySource,
    earlier: list[Action],
) -> list[Action]:
    """A note follows its connector: made with it, deleted with it (as grants are)."""
    return [
        Action(kind=a.kind, resource_type=NOTE, name=f"{a.name}-note", connector=a.connector, resource_id=f"n/{a.name}")
        for a in earlier
        if a.kind in (ActionKind.CREATE, ActionKind.DELETE)
    ]


def _execute(action: Action, body: dict[str, Any] | None, target: Target, environment: str) -> str:
    EXECUTED.append(f"{action.kind} {action.name}")
    return "noted"


def _drift(desired: DesiredState, observed: ObservedState, classes: list[ConnectorClass]) -> list[DriftItem]:
    return [DriftItem("note", c.name, f"n/{c.name}", "a note on every connector", INFO) for c in classes]


NOTE_KIND = ResourceKind(
    name=NOTE,
    is_connector=False,
    plan=_plan,
    phase=lambda a: PHASE_GRANT if a.kind == ActionKind.CREATE else PHASE_REVOKE,
    execute=_execute,
    describe=lambda a: f"note {a.name!r}",
    noun="connector note",
    drift=_drift,
    summary=lambda a: f"note on {a.connector}",
)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> ResourceKind:
    """The one registry line."""
    monkeypatch.setitem(KINDS, NOTE, NOTE_KIND)
    EXECUTED.clear()
    return NOTE_KIND


def _target_with_orders_in_use() -> InMemoryTarget:
    target = InMemoryTarget()
    for api in (desired_api("orders"), desired_api("billing")):
        target.put_custom_api(api.name, api.body)
    target.add_workflow("la-orders", target.add_connection("orders-conn", "orders"))
    return target


def _planned(target: InMemoryTarget, desired: DesiredState, options: PlanOptions | None = None) -> Plan:
    return make_plan(desired, observe(target, desired=desired.custom_apis), options)


def test_a_new_kind_is_planned_in_registry_order_and_guarded_with_its_connector(registered: ResourceKind) -> None:
    # git: billing stays, shipping is new, orders (with a live connection) is gone
    plan = _planned(_target_with_orders_in_use(), desired_state(desired_api("billing"), desired_api("shipping")))

    assert [a.key for a in plan.actions if a.is_change] == [
        "customApi:orders", "connectorNote:orders-note", "customApi:shipping", "connectorNote:shipping-note",
    ]  # fmt: skip
    note = next(a for a in plan.actions if a.name == "orders-note")
    # the connection-loss guard is the connector's; the note is held back because its connector's deletion is
    assert note.blocked and note.reasons == ("the deletion of connector 'orders' is blocked",)
    assert any(p.message.startswith("connectorNote:orders-note") for p in plan.blocked_reasons())


def test_the_guards_count_a_new_kinds_deletions_only_when_it_says_so(
    registered: ResourceKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target_with_orders_in_use()
    desired = desired_state(desired_api("billing"))
    options = PlanOptions(allow_connection_loss=frozenset({"orders"}), max_deletions=1)

    plan = _planned(target, desired, options)
    assert not plan.blocked_actions  # one connector deletion; the note's deletion does not count

    monkeypatch.setitem(KINDS, NOTE, replace(NOTE_KIND, counts_deletions=True))
    counted = _planned(target, desired, options)
    assert {a.key for a in counted.blocked_actions} == {"customApi:orders", "connectorNote:orders-note"}
    assert "more than --max-deletions 1" in counted.blocked_actions[0].reasons[-1]


def test_reports_word_a_new_kind_in_its_own_words(registered: ResourceKind) -> None:
    plan = _planned(InMemoryTarget(), desired_state(desired_api("shipping")))

    buffer = io.StringIO()
    render_plan(plan, Console(file=buffer, width=200))
    row = next(line for line in buffer.getvalue().splitlines() if "connectorNote" in line)
    assert "shipping" in row and "create" in row and "note on shipping" in row
    markdown = plan_markdown(plan)
    assert "- **create** connector note `shipping-note`" in markdown
    assert markdown.index("customApi `shipping`") < markdown.index("connector note `shipping-note`")


def test_a_new_kind_is_applied_in_its_phase_and_survives_the_plan_file(
    registered: ResourceKind, tmp_path: Path
) -> None:
    target = InMemoryTarget()
    plan = _planned(target, desired_state(desired_api("shipping")))
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan

    report = apply_plan(load_plan(path), target)

    assert EXECUTED == ["create shipping-note"]
    assert [(r.key, r.status) for r in report.results] == [
        ("customApi:shipping", "done"), ("connectorNote:shipping-note", "done"),
    ]  # fmt: skip
    assert target.get_connector("shipping") is not None  # written before the note (its phase comes later)


def test_drift_reports_a_new_kinds_items(registered: ResourceKind) -> None:
    target = InMemoryTarget()
    api = desired_api("orders")
    target.put_custom_api(api.name, api.body)
    desired = desired_state(api)

    report = detect_drift(desired, observe(target, desired=desired.custom_apis, drift=True))

    assert [(i.kind, i.connector, i.severity) for i in report.items] == [("note", "orders", INFO)]
    assert report.exit_code == 0
