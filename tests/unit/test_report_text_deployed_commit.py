"""The terminal plan names the commit a live connector was deployed from exactly once per action.

Regression: two overlapping conditions printed "deployed from commit" twice for every update.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from connectorops.engine.plan import Action, ActionKind, Plan
from connectorops.engine.target import TargetId
from connectorops.report.text import render_plan

COMMIT = "a006c74ab7c9" + "0" * 28


def _rendered(action: Action) -> str:
    out = io.StringIO()
    render_plan(Plan(environment="local", target=TargetId("arm"), actions=(action,)), Console(file=out, width=200))
    return out.getvalue()


@pytest.mark.parametrize("kind", [ActionKind.UPDATE, ActionKind.DELETE])
def test_a_change_names_its_deployed_commit_once(kind: ActionKind) -> None:
    action = Action(kind, "customApi", "orders", "orders", "/x/orders", observed_commit=COMMIT)
    assert _rendered(action).count("deployed from commit a006c74ab7c9") == 1


def test_a_noop_with_a_warning_names_its_deployed_commit_once() -> None:
    action = Action(
        ActionKind.NOOP, "customApi", "orders", "orders", "/x/orders", warnings=("w",), observed_commit=COMMIT
    )
    assert _rendered(action).count("deployed from commit a006c74ab7c9") == 1


def test_a_quiet_noop_says_nothing_about_its_commit() -> None:
    action = Action(ActionKind.NOOP, "customApi", "orders", "orders", "/x/orders", observed_commit=COMMIT)
    assert "deployed from commit" not in _rendered(action)
