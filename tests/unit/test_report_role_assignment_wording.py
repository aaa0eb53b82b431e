"""Plan views say "grant ROLE to PRINCIPAL" and "revoke ROLE from PRINCIPAL".

Regression: revocations read "revoke use to alice (User)" in the terminal and in the PR comment.
"""

from __future__ import annotations

import io

from rich.console import Console

from connectorops.engine.plan import Action, ActionKind, Plan
from connectorops.engine.target import TargetId
from connectorops.report.markdown import plan_markdown
from connectorops.report.text import render_plan


def _plan(kind: ActionKind) -> Plan:
    action = Action(
        kind, "roleAssignment", "c9bd7228", "orders", "/x/orders/ra/c9bd7228", role="use", principal="alice (User)"
    )
    return Plan(environment="local", target=TargetId("arm"), actions=(action,))


def _text(plan: Plan) -> str:
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=200))
    return out.getvalue()


def test_terminal_plan_grants_to_and_revokes_from() -> None:
    assert "grant use to alice (User)" in _text(_plan(ActionKind.CREATE))
    revoked = _text(_plan(ActionKind.DELETE))
    assert "revoke use from alice (User)" in revoked and "revoke use to" not in revoked


def test_markdown_plan_grants_to_and_revokes_from() -> None:
    assert "**grant** role `use` to `alice (User)`" in plan_markdown(_plan(ActionKind.CREATE))
    revoked = plan_markdown(_plan(ActionKind.DELETE))
    assert "**revoke** role `use` from `alice (User)`" in revoked and " to `alice" not in revoked
