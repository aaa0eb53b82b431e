"""apply_plan against an in-memory gateway: order, idempotency, partial failure, secrets."""

from __future__ import annotations

import pytest
from engine_support import InMemoryTarget, connector, desired_api, desired_state, grant, resolved

from connectorops.definitions.model import ResolvedConnector
from connectorops.engine.apply import apply_plan, phases
from connectorops.engine.observe import observe
from connectorops.engine.plan import PlanOptions, make_plan
from connectorops.engine.secrets import SecretError
from connectorops.errors import PlanBlocked
from connectorops.targets.arm.render import render_custom_api


def test_applies_in_safe_order_and_second_run_writes_nothing() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("old", desired_api("old").body)
    desired = desired_state(desired_api("orders"), desired_api("billing"), grants=(grant("orders"),))
    plan = make_plan(desired, observe(gw), PlanOptions())
    order = [[a.key for a in group] for group in phases(plan)]
    assert order == [["customApi:billing", "customApi:orders"], [f"roleAssignment:{grant('orders').name}"],
                     ["customApi:old"]]  # fmt: skip
    writes_before = gw.requests.writes()
    report = apply_plan(plan, gw, max_workers=2)
    assert report.exit_code == 0 and len(report.done) == 4
    assert gw.requests.writes() - writes_before == 4
    assert set(gw.custom_apis) == {"orders", "billing"}
    again = make_plan(desired, observe(gw, desired=desired.custom_apis), PlanOptions())
    writes_after = gw.requests.writes()
    assert apply_plan(again, gw).results == ()
    assert gw.requests.writes() == writes_after


def test_partial_failure_reports_done_and_not_done() -> None:
    gw = InMemoryTarget(fail_on={"billing"})
    gw.put_custom_api("old", desired_api("old").body)
    plan = make_plan(desired_state(desired_api("orders"), desired_api("billing")), observe(gw))
    report = apply_plan(plan, gw)
    status = {r.name: r.status for r in report.results}
    assert status == {"orders": "done", "billing": "failed", "old": "skipped"}
    assert report.exit_code == 1
    assert "old" in gw.custom_apis  # deletion never ran after a failed earlier phase


def test_blocked_plan_is_refused_before_any_write() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("orders", desired_api("orders").body)
    gw.add_connection("c", "orders")
    plan = make_plan(desired_state(desired_api("billing")), observe(gw))
    writes = gw.requests.writes()
    with pytest.raises(PlanBlocked, match="connection"):
        apply_plan(plan, gw)
    assert gw.requests.writes() == writes


def test_secret_is_sent_but_never_in_plan_or_report() -> None:
    secret = "Sup3r-S3cret-Value-42"
    params = {"token": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "aad", "clientId": "app"}}}
    definition = resolved(connection_parameters=params,
                          secret_refs={"/token/oAuthSettings/clientSecret": {"env": "ORDERS_SECRET"}})  # fmt: skip
    api = render_custom_api(
        ResolvedConnector.from_definition(connector(), "dev", definition), location="westeurope", commit=None
    )
    gw = InMemoryTarget(fail_on={"orders"})
    plan = make_plan(desired_state(api), observe(gw))
    with pytest.raises(SecretError, match="ORDERS_SECRET"):
        apply_plan(plan, gw, secrets={})
    assert gw.sent_bodies == []
    report = apply_plan(plan, gw, secrets={"ORDERS_SECRET": secret})
    sent = gw.sent_bodies[-1]["properties"]["connectionParameters"]["token"]["oAuthSettings"]
    assert sent["clientSecret"] == secret
    assert report.failed and "InternalServerError" in report.failed[0].message
    assert secret not in str(plan.to_dict()) and secret not in str(report.to_dict())


def test_a_connection_made_after_the_plan_blocks_its_delete_and_the_rest_goes_on() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("old", desired_api("old").body)
    gw.put_custom_api("gone", desired_api("gone").body)
    plan = make_plan(desired_state(desired_api("orders")), observe(gw), PlanOptions(max_deletions=5))
    assert not plan.is_blocked  # the plan showed no connection on either
    conn = gw.add_connection("late-conn", "old")
    gw.add_workflow("la-late", conn)
    report = apply_plan(plan, gw)
    status = {r.name: r.status for r in report.results}
    assert status == {"orders": "done", "gone": "done", "old": "blocked"}
    (blocked,) = report.blocked
    assert "late-conn" in blocked.message and "la-late" in blocked.message and "the plan showed 0" in blocked.message
    assert "old" in gw.custom_apis and [c["name"] for c in gw.connections] == ["late-conn"]
    assert report.exit_code == 1 and report.to_dict()["summary"]["blocked"] == 1


def test_an_allowance_covers_only_the_connections_the_plan_showed() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("old", desired_api("old").body)
    gw.add_connection("shown-conn", "old")
    allow = PlanOptions(allow_connection_loss=frozenset({"old"}))
    plan = make_plan(desired_state(desired_api("orders")), observe(gw), allow)
    gw.add_connection("second-conn", "old")
    report = apply_plan(plan, gw)
    (blocked,) = report.blocked
    assert "second-conn" in blocked.message and "shown-conn" in blocked.message  # new one named, shown one quoted
    assert "old" in gw.custom_apis and len(gw.connections) == 2
    again = make_plan(desired_state(desired_api("orders")), observe(gw), allow)
    assert apply_plan(again, gw).exit_code == 0 and "old" not in gw.custom_apis


def test_grants_of_a_connector_whose_delete_is_refused_are_kept() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("old", desired_api("old").body)
    out_of_band = grant("old")
    gw.put_role_assignment(out_of_band.scope, out_of_band.name, out_of_band.body())
    plan = make_plan(desired_state(desired_api("orders")), observe(gw))
    assert [[a.key for a in group] for group in phases(plan)][-2:] == [
        ["customApi:old"],
        [f"roleAssignment:{out_of_band.name}"],
    ]  # the revoke waits for the delete and its check
    gw.add_connection("late-conn", "old")
    report = apply_plan(plan, gw)
    assert {r.name: r.status for r in report.results}[out_of_band.name] == "skipped"
    assert "old" in gw.custom_apis and len(gw.role_assignments) == 1  # exactly as it was


def test_the_check_at_the_delete_costs_one_get_and_one_connection_list() -> None:
    gw = InMemoryTarget()
    for name in ("a", "b", "c"):
        gw.put_custom_api(name, desired_api(name).body)
    plan = make_plan(desired_state(desired_api("orders")), observe(gw))
    before = dict(gw.requests.counts)
    assert apply_plan(plan, gw).exit_code == 0
    sent = {key: n - before.get(key, 0) for key, n in gw.requests.counts.items() if n != before.get(key, 0)}
    assert sent == {
        ("PUT", "Microsoft.Web/customApis"): 1,
        ("GET", "Microsoft.Web/customApis"): 3,  # one per delete: still ours, same etag
        ("GET", "Microsoft.Web/connections"): 3,  # one per delete; workflows only when one is refused
        ("DELETE", "Microsoft.Web/customApis"): 3,
    }


def test_a_stop_request_starts_nothing_new_even_when_the_interrupt_itself_was_lost() -> None:
    # A signal handler's KeyboardInterrupt is swallowed when it lands in a __del__; the stop flag is not.
    gw = InMemoryTarget()
    plan = make_plan(desired_state(*(desired_api(f"c{i}") for i in range(6))), observe(gw))
    started: list[str] = []
    create = gw.create_connector

    def counting_create(name: str, body: dict) -> dict:
        started.append(name)
        return create(name, body)

    gw.create_connector = counting_create  # type: ignore[method-assign]
    report = apply_plan(plan, gw, max_workers=1, should_stop=lambda: len(started) >= 2)
    assert report.interrupted and report.exit_code == 130
    assert len(started) == 2 and len(report.done) == 2
    assert {r.status for r in report.not_done} == {"skipped"} and len(report.not_done) == 4
    assert set(gw.custom_apis) == set(started)
