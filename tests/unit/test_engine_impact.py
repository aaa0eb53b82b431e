"""impact_of: connections of a connector and the Logic Apps using them."""

from __future__ import annotations

from engine_support import InMemoryTarget

from connectorops.engine.impact import Impact, impact_of


def test_connections_and_logic_apps_are_found_case_insensitively() -> None:
    gw = InMemoryTarget()
    first = gw.add_connection("orders-1", "orders")
    gw.add_connection("orders-2", "orders", status="Error")
    gw.add_connection("billing-1", "billing")
    gw.add_workflow("la-sync", first.upper())
    gw.add_workflow("la-unrelated", gw.connections[2]["id"])
    impact = impact_of(gw.custom_api_id("ORDERS"), gw.connections, gw.workflows)
    assert [(c.name, c.status) for c in impact.connections] == [("orders-1", "Connected"), ("orders-2", "Error")]
    assert [(w.name, w.connections) for w in impact.logic_apps] == [("la-sync", ("orders-1",))]
    assert (impact.connection_count, impact.logic_app_count) == (2, 1)


def test_no_connections_means_empty_impact_and_round_trip() -> None:
    gw = InMemoryTarget()
    assert impact_of(gw.custom_api_id("orders"), [], []).is_empty
    gw.add_workflow("la", gw.add_connection("c", "orders"))
    impact = impact_of(gw.custom_api_id("orders"), gw.connections, gw.workflows)
    assert Impact.from_dict(impact.to_dict()) == impact


def test_workflow_calls_are_read_from_nested_actions_through_our_connection_only() -> None:
    gw = InMemoryTarget()
    conn = gw.add_connection("orders-1", "orders")
    gw.add_workflow("la", conn, "/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/connections/other")
    host = {"connection": {"name": "@parameters('$connections')['c0']['connectionId']"}}
    other = {"connection": {"name": "@parameters('$connections')['c1']['connectionId']"}}
    gw.workflows[0]["properties"]["definition"] = {
        "triggers": {},
        "actions": {
            "Scope": {"type": "Scope", "actions": {
                "Cancel": {"type": "ApiConnection", "inputs": {"host": host, "method": "delete", "path": "/orders/1"}},
            }},
            "Elsewhere": {"type": "ApiConnection", "inputs": {"host": other, "method": "get", "path": "/x"}},
        },
    }  # fmt: skip
    (use,) = impact_of(gw.custom_api_id("orders"), gw.connections, gw.workflows).logic_apps
    assert use.calls == frozenset({("delete", "/orders/1")})
    assert Impact.from_dict(Impact((), (use,)).to_dict()).logic_apps[0].calls == use.calls
