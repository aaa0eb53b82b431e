"""Reports: JSON schema, Markdown marker/summary/cap, terminal text; all views of the same Plan value."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from engine_support import InMemoryTarget, desired_api, desired_state, swagger
from rich.console import Console

from connectorops.engine.apply import apply_plan
from connectorops.engine.drift import detect_drift
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.target import TargetId
from connectorops.report.json import apply_json, drift_json, plan_json
from connectorops.report.markdown import drift_markdown, plan_markdown
from connectorops.report.redact import redact
from connectorops.report.text import render_apply, render_drift, render_plan


def _plan() -> Plan:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    gw.put_custom_api("legacy", desired_api("legacy").body)
    gw.add_workflow("la-orders", gw.add_connection("orders-conn", "orders"))
    gw.add_connection("legacy-conn", "legacy")
    doc = swagger()
    del doc["paths"]["/orders/{id}"]
    desired = desired_state(desired_api("orders", doc=doc), desired_api("billing"))
    return make_plan(desired, observe(gw, desired=desired.custom_apis))


def test_json_is_the_plan_value_with_schema_version() -> None:
    plan = _plan()
    data = json.loads(plan_json(plan))
    assert data["schemaVersion"] == 1
    assert data["exitCode"] == 1 and data["summary"]["blocked"] == 1
    assert data["fingerprint"] == plan.fingerprint
    assert Plan.from_dict(data) == plan


def test_markdown_starts_with_marker_and_puts_impact_first() -> None:
    text = plan_markdown(_plan())
    lines = text.splitlines()
    assert lines[0] == "<!-- connectorops-plan:dev -->"
    impact_at = text.index("### ⚠️ Impact")
    first_details = text.index("<details>")
    assert text.index("### ⛔ Blocked") < impact_at < first_details
    assert "operation `DeleteOrder` (DELETE /orders/{id}) removed — 1 Logic App(s): la-orders" in text
    assert text.count("<details>") == 3  # billing, legacy, orders


def test_markdown_is_capped_with_a_note() -> None:
    gw = InMemoryTarget()
    desired = desired_state(*(desired_api(f"c{i:03d}", description="x" * 400) for i in range(60)))
    plan = make_plan(desired, observe(gw))
    for name in [f"c{i:03d}" for i in range(60)]:
        gw.put_custom_api(name, desired_api(name).body)
    plan = make_plan(desired, observe(gw, desired=desired.custom_apis))
    text = plan_markdown(plan, max_bytes=8_000)
    assert len(text.encode()) <= 8_000
    assert "Truncated:" in text and "connector section(s) left out" in text


def test_terminal_text_has_no_colour_codes_when_not_a_tty() -> None:
    buffer = io.StringIO()
    render_plan(_plan(), Console(file=buffer, width=200))
    text = buffer.getvalue()
    assert "\x1b[" not in text
    assert "BLOCKED" in text and "BREAKING (high)" in text and "Plan: 1 create, 1 update, 1 delete" in text


def test_power_platform_plans_say_connector_and_permission_where_azure_ones_say_customapi() -> None:
    azure = _plan()
    power_platform = replace(azure, target=TargetId("powerplatform", (("environmentId", "Default-1"),)))

    def text(plan: Plan) -> str:
        buffer = io.StringIO()
        render_plan(plan, Console(file=buffer, width=200))
        return buffer.getvalue()

    assert "│ delete │ customApi │" in text(azure).replace("  ", " ").replace("  ", " ")
    rows = text(power_platform).replace("  ", " ").replace("  ", " ")
    assert "customApi" not in rows and "│ delete │ connector │" in rows
    assert "create customApi billing:" not in text(power_platform)
    blocked = [line for line in plan_markdown(power_platform).splitlines() if line.startswith("- `legacy` delete")]
    assert blocked and blocked[0].startswith("- `legacy` delete connector: ")
    assert json.loads(plan_json(power_platform))["actions"][0]["resourceType"] == "customApi"  # the file format stays


def test_drift_views() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    gw.custom_apis["orders"]["properties"]["displayName"] = "Edited"
    desired = desired_state(desired_api("orders"))
    report = detect_drift(desired, observe(gw, desired=desired.custom_apis, drift=True), gw)
    assert json.loads(drift_json(report))["summary"]["byKind"] == {"modified": 1}
    assert drift_markdown(report).startswith("<!-- connectorops-drift:dev -->")
    buffer = io.StringIO()
    render_drift(report, Console(file=buffer, width=200))
    assert "properties.displayName" in buffer.getvalue()


def test_redaction_keeps_references_and_urls() -> None:
    value = {"clientSecret": "abc", "password": "p", "tokenUrl": "https://t", "ref": {"clientSecret": {"env": "X"}}}
    assert redact(value) == {
        "clientSecret": "***",
        "password": "***",
        "tokenUrl": "https://t",
        "ref": {"clientSecret": {"env": "X"}},
    }


def test_apply_report_summarises_partial_failure() -> None:
    gw = InMemoryTarget(fail_on={"billing"})
    gw.put_custom_api("old", desired_api("old").body)
    plan = make_plan(desired_state(desired_api("orders"), desired_api("billing")), observe(gw))
    report = apply_plan(plan, gw)
    buffer = io.StringIO()
    render_apply(report, Console(file=buffer, width=200))
    assert "Apply incomplete: 1 done, 1 failed, 1 not attempted." in buffer.getvalue()
    data = json.loads(apply_json(report, plan))
    assert data["summary"] == {"done": 1, "failed": 1, "blocked": 0, "notDone": 2} and data["exitCode"] == 1
    assert {r["name"]: r["status"] for r in data["results"]} == {
        "orders": "done",
        "billing": "failed",
        "old": "skipped",
    }
