"""Connections and flows on the emulator's Power Platform surface: a maker's connection, the
environment-wide list, flows with connectionReferences and a derived definitionSummary, and the
dangling references a connector deletion leaves behind."""

from __future__ import annotations

from typing import Any

from powerplatform_support import PowerPlatformHttp, openapi

SECRET = "connection-api-key-value"


def _connector(client: PowerPlatformHttp) -> str:
    properties = {
        "openApiDefinition": openapi("Orders", ("ListOrders", "GetOrder")),
        "connectionParameters": {"api_key": {"type": "securestring"}, "region": {"type": "string"}},
    }
    return str(client.create_api(properties)["name"])


def _flow(api_name: str, operation: str = "ListOrders") -> dict[str, Any]:
    api = f"/providers/Microsoft.PowerApps/apis/{api_name}"
    return {
        "properties": {
            "displayName": "Nightly orders",
            "state": "Started",
            "connectionReferences": {"shared_orders": {"connectionName": "conn-1", "id": api, "apiName": api_name}},
            "definition": {
                "triggers": {"Recurrence": {"type": "Recurrence", "recurrence": {"frequency": "Day", "interval": 1}}},
                "actions": {
                    "List": {
                        "type": "OpenApiConnection",
                        "inputs": {
                            "host": {"connectionName": "shared_orders", "operationId": operation, "apiId": api},
                            "parameters": {},
                        },
                    },
                    "Each": {
                        "type": "Foreach",
                        "actions": {
                            "Get": {
                                "type": "OpenApiConnection",
                                "inputs": {"host": {"connectionName": "shared_orders", "operationId": "GetOrder"}},
                            }
                        },
                    },
                },
            },
        }
    }


def test_connections_of_an_api_and_of_the_environment(powerplatform: PowerPlatformHttp) -> None:
    name = _connector(powerplatform)
    url = powerplatform.powerapps(f"apis/{name}/connections/conn-1")
    body = {"properties": {"displayName": "Mine", "connectionParameters": {"api_key": SECRET, "region": "eu"}}}
    created = powerplatform.session.put(url, params=powerplatform.query(), json=body)
    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["id"] == f"/providers/Microsoft.PowerApps/apis/{name}/connections/conn-1"
    assert connection["properties"]["apiId"] == f"/providers/Microsoft.PowerApps/apis/{name}"
    assert connection["properties"]["statuses"] == [{"status": "Connected"}]
    assert powerplatform.session.put(url, params=powerplatform.query(), json=body).status_code == 200  # update
    got = powerplatform.session.get(url, params=powerplatform.query())
    of_api = powerplatform.session.get(
        powerplatform.powerapps(f"apis/{name}/connections"), params=powerplatform.query()
    )
    of_env = powerplatform.session.get(powerplatform.powerapps("connections"), params=powerplatform.query())
    assert [c["name"] for c in of_api.json()["value"]] == [c["name"] for c in of_env.json()["value"]] == ["conn-1"]
    assert all(SECRET not in r.text for r in (created, got, of_api, of_env))
    assert got.json()["properties"]["displayName"] == "Mine"
    deleted = powerplatform.session.delete(url, params=powerplatform.query())
    assert deleted.status_code == 200
    gone = powerplatform.session.get(url, params=powerplatform.query())
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ConnectionNotFound"


def test_a_connection_parameter_the_connector_lacks_is_refused(powerplatform: PowerPlatformHttp) -> None:
    name = _connector(powerplatform)
    response = powerplatform.session.put(
        powerplatform.powerapps(f"apis/{name}/connections/conn-1"),
        params=powerplatform.query(),
        json={"properties": {"connectionParameters": {"password": "x"}}},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "ParameterNotDefined"


def test_flows_keep_references_and_summarise_the_operations_they_call(powerplatform: PowerPlatformHttp) -> None:
    name = _connector(powerplatform)
    put = powerplatform.session.put(
        powerplatform.flows("flow-1"), params={"api-version": "2016-11-01"}, json=_flow(name)
    )
    assert put.status_code == 201, put.text
    got = powerplatform.session.get(powerplatform.flows("flow-1"), params={"api-version": "2016-11-01"}).json()
    assert got["properties"]["definition"] == _flow(name)["properties"]["definition"]
    listed = powerplatform.session.get(powerplatform.flows(), params={"api-version": "2016-11-01"}).json()["value"]
    assert [f["name"] for f in listed] == ["flow-1"] and "definition" not in listed[0]["properties"]
    summary = listed[0]["properties"]["definitionSummary"]
    api = {"name": name, "id": f"/providers/Microsoft.PowerApps/apis/{name}"}
    called = [
        (a.get("swaggerOperationId"), a.get("api")) for a in summary["actions"] if a["type"] == "OpenApiConnection"
    ]
    assert called == [("ListOrders", api), ("GetOrder", api)]  # the nested one via its connection reference
    assert listed[0]["properties"]["connectionReferences"]["shared_orders"]["connectionName"] == "conn-1"


def test_deleting_the_connector_leaves_flows_with_dangling_references(powerplatform: PowerPlatformHttp) -> None:
    name = _connector(powerplatform)
    powerplatform.session.put(powerplatform.flows("flow-1"), params={"api-version": "2016-11-01"}, json=_flow(name))
    assert powerplatform.session.delete(powerplatform.powerapps(f"apis/{name}"), params=powerplatform.query()).ok
    flow = powerplatform.session.get(powerplatform.flows("flow-1"), params={"api-version": "2016-11-01"})
    assert flow.status_code == 200
    assert flow.json()["properties"]["connectionReferences"]["shared_orders"]["id"].endswith(name)


def test_flow_errors(powerplatform: PowerPlatformHttp) -> None:
    version = {"api-version": "2016-11-01"}
    missing = powerplatform.session.get(powerplatform.flows("nope"), params=version)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "FlowNotFound"
    no_env = powerplatform.session.get(powerplatform.flows(env="no-such-env"), params=version)
    assert no_env.status_code == 404 and no_env.json()["error"]["code"] == "EnvironmentNotFound"
    bad_reference = {"properties": {"connectionReferences": {"x": {"connectionName": "c"}}}}
    refused = powerplatform.session.put(powerplatform.flows("f"), params=version, json=bad_reference)
    assert refused.status_code == 400 and "connectionReferences.x needs an 'id'" in refused.json()["error"]["message"]
    assert powerplatform.session.delete(powerplatform.flows("nope"), params=version).status_code == 404
