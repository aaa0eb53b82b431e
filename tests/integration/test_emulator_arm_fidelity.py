"""The emulator answers like ARM where a local run would otherwise pass and Azure fail (issue 14, items 1-8, 10):
resource groups, locations, HEAD, closed property sets, connection status, role definitions, 405s."""

from __future__ import annotations

import json
import socket
import ssl
import uuid
from typing import Any

import pytest
from azure.core.rest import HttpRequest

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration

WEB = "2016-06-01"
RESOURCES = "2021-04-01"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ALICE = "0d4a8a8e-5a52-4a77-9a0f-0b8a4b6c1a01"
SWAGGER = {"swagger": "2.0", "info": {"title": "Orders", "version": "1.0"}, "paths": {}}


def call(gateway: ArmGateway, method: str, path: str, version: str, body: Any = None) -> tuple[int, Any, Any]:
    response = gateway.send_request(HttpRequest(method, path, params={"api-version": version}, json=body))
    text = response.text()
    return response.status_code, json.loads(text) if text else None, response.headers


def api_body(location: str = "westeurope", **properties: Any) -> dict[str, Any]:
    return {"location": location, "properties": {"displayName": "Orders", "swagger": SWAGGER, **properties}}


def group_path(gateway: ArmGateway, name: str) -> str:
    return f"/subscriptions/{gateway.target.subscription_id}/resourcegroups/{name}"


def custom_api_in(gateway: ArmGateway, group: str, name: str) -> str:
    return f"{group_path(gateway, group)}/providers/Microsoft.Web/customApis/{name}"


# 1. resource groups -------------------------------------------------------------------------------
def test_anything_in_a_missing_resource_group_is_resource_group_not_found(gateway: ArmGateway) -> None:
    for method, body in (("PUT", api_body()), ("GET", None)):
        status, answer, _ = call(gateway, method, custom_api_in(gateway, "rg-missing", "orders"), WEB, body)
        assert (status, answer["error"]["code"]) == (404, "ResourceGroupNotFound")
        assert answer["error"]["message"] == "Resource group 'rg-missing' could not be found."
    listing = f"{group_path(gateway, 'rg-missing')}/providers/Microsoft.Web/connections"
    assert call(gateway, "GET", listing, WEB)[1]["error"]["code"] == "ResourceGroupNotFound"


def test_resource_groups_are_created_read_listed_and_deleted_with_their_contents(gateway: ArmGateway) -> None:
    path = group_path(gateway, "rg-new")
    status, created, _ = call(gateway, "PUT", path, RESOURCES, {"location": "West Europe", "tags": {"a": "b"}})
    assert status == 201
    assert created["location"] == "westeurope" and created["type"] == "Microsoft.Resources/resourceGroups"
    assert call(gateway, "PUT", path, RESOURCES, {"location": "westeurope"})[0] == 200
    assert call(gateway, "GET", path, RESOURCES)[1]["properties"] == {"provisioningState": "Succeeded"}
    names = [g["name"] for g in call(gateway, "GET", group_path(gateway, "")[:-1], RESOURCES)[1]["value"]]
    assert names == ["rg-new", "rg-test"]
    api = custom_api_in(gateway, "rg-new", "orders")
    assert call(gateway, "PUT", api, WEB, api_body())[0] == 200
    assignment = f"{api}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    role = f"/subscriptions/{gateway.target.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    body = {"properties": {"roleDefinitionId": role, "principalId": ALICE, "principalType": "User"}}
    assert call(gateway, "PUT", assignment, "2022-04-01", body)[0] == 201
    assert call(gateway, "DELETE", path, RESOURCES)[0] == 200
    assert call(gateway, "GET", path, RESOURCES)[1]["error"]["code"] == "ResourceGroupNotFound"
    # re-created empty: the customApi and the role assignment on it went with the group
    assert call(gateway, "PUT", path, RESOURCES, {"location": "westeurope"})[0] == 201
    assert call(gateway, "GET", api, WEB)[0] == 404
    assert call(gateway, "GET", assignment, "2022-04-01")[0] == 404
    assert call(gateway, "DELETE", path.replace("rg-new", "rg-never"), RESOURCES)[0] == 404


# 2. locations ---------------------------------------------------------------------------------------
def test_locations_are_required_and_checked_against_azure_regions(gateway: ArmGateway) -> None:
    api = gateway.custom_api_id("orders")
    status, answer, _ = call(gateway, "PUT", api, WEB, {"properties": {"displayName": "Orders"}})
    assert (status, answer["error"]["code"]) == (400, "LocationRequired")
    status, answer, _ = call(gateway, "PUT", api, WEB, api_body("atlantis"))
    assert (status, answer["error"]["code"]) == (400, "LocationNotAvailableForResourceType")
    assert "'atlantis' is not available for resource type 'Microsoft.Web/customApis'" in answer["error"]["message"]
    status, answer, _ = call(gateway, "PUT", group_path(gateway, "rg-x"), RESOURCES, {"location": "atlantis"})
    assert (status, answer["error"]["code"]) == (400, "LocationNotAvailableForResourceGroup")
    assert call(gateway, "PUT", api, WEB, api_body("West Europe"))[1]["location"] == "westeurope"


def test_a_connection_lives_in_the_location_of_its_api(gateway: ArmGateway) -> None:
    gateway.put_custom_api("orders", api_body())
    connection = {"properties": {"api": {"id": gateway.custom_api_id("orders")}}}
    status, answer, _ = call(gateway, "PUT", gateway.connection_id("c1"), WEB, {**connection, "location": "eastus"})
    assert (status, answer["error"]["code"]) == (400, "LocationMismatch")
    assert call(gateway, "PUT", gateway.connection_id("c1"), WEB, connection)[1]["error"]["code"] == "LocationRequired"
    assert call(gateway, "PUT", gateway.connection_id("c1"), WEB, {**connection, "location": "westeurope"})[0] == 200


# 3. HEAD ----------------------------------------------------------------------------------------------
def test_head_on_resource_groups_answers_204_or_404(gateway: ArmGateway) -> None:
    assert call(gateway, "HEAD", group_path(gateway, "rg-test"), RESOURCES)[0] == 204
    assert call(gateway, "HEAD", group_path(gateway, "rg-none"), RESOURCES)[0] == 404


# 5. closed property sets ----------------------------------------------------------------------------------------
def test_unknown_custom_api_fields_are_dropped_and_unknown_api_types_refused(gateway: ArmGateway) -> None:
    parameters = {"key": {"type": "securestring", "uiDefinition": {"displayName": "Key", "tabIndex": 2}}}
    body = api_body(
        bogus=1,
        connectionParameters=parameters,
        backendService={"serviceUrl": "https://x.example", "extra": True},
        apiDefinitions={"originalSwaggerUrl": "https://x.example/s.json", "other": "y"},
    )
    body["kind"] = "unknown"
    created = gateway.put_custom_api("orders", body)
    fetched = gateway.get_custom_api("orders")
    for answer in (created, fetched):
        assert answer is not None
        assert "bogus" not in answer["properties"] and "kind" not in answer
        assert answer["properties"]["backendService"] == {"serviceUrl": "https://x.example"}
        assert "other" not in answer["properties"]["apiDefinitions"]
        assert answer["properties"]["connectionParameters"] == parameters  # ConnectionParameter is open
    status, answer, _ = call(gateway, "PUT", gateway.custom_api_id("q"), WEB, api_body(apiType="Graphql"))
    assert status == 400 and "apiType 'Graphql'" in answer["error"]["message"]


# 6. connection status and parameters ------------------------------------------------------------------------
def test_oauth_connection_without_consent_is_not_connected(gateway: ArmGateway) -> None:
    oauth = {"token": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "aad", "clientId": "app"}}}
    gateway.put_custom_api("crm", api_body(connectionParameters=oauth))
    gateway.put_custom_api("orders", api_body(connectionParameters={"api_key": {"type": "securestring"}}))
    crm = gateway.put_connection(
        "crm-1", {"location": "westeurope", "properties": {"api": {"id": gateway.custom_api_id("crm")}}}
    )
    assert crm["properties"]["statuses"] == [
        {
            "status": "Error",
            "target": "token",
            "error": {"code": "Unauthenticated", "message": "This connection is not authenticated."},
        }
    ]
    keyed = {"api": {"id": gateway.custom_api_id("orders")}, "parameterValues": {"api_key": "k-123"}}
    assert gateway.put_connection("o-1", {"location": "westeurope", "properties": keyed})["properties"]["statuses"] == [
        {"status": "Connected"}
    ]
    wrong = {"api": {"id": gateway.custom_api_id("orders")}, "parameterValues": {"password": "p-123"}}
    status, answer, _ = call(
        gateway, "PUT", gateway.connection_id("o-2"), WEB, {"location": "westeurope", "properties": wrong}
    )
    assert (status, answer["error"]["code"]) == (400, "ParameterNotDefined")
    assert "p-123" not in json.dumps(answer)


# 7. role assignments and custom roles ---------------------------------------------------------------------------
def test_custom_role_definitions_can_be_created_listed_and_assigned(gateway: ArmGateway) -> None:
    sub = f"/subscriptions/{gateway.target.subscription_id}"
    role_id = str(uuid.uuid4())
    path = f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"
    definition = {
        "properties": {
            "roleName": "Connector User",
            "description": "use connectors",
            "type": "CustomRole",
            "permissions": [{"actions": ["Microsoft.Web/connections/*"]}],
            "assignableScopes": [sub],
        }
    }
    status, created, _ = call(gateway, "PUT", path, "2022-04-01", definition)
    assert status == 201 and created["properties"]["type"] == "CustomRole"
    listed = call(gateway, "GET", f"{sub}/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01")[1]
    assert {"Connector User", "Reader", "Logic App Operator"} <= {r["properties"]["roleName"] for r in listed["value"]}
    gateway.put_custom_api("orders", api_body())
    assignment = gateway.put_role_assignment(
        gateway.custom_api_id("orders"),
        str(uuid.uuid4()),
        {"properties": {"roleDefinitionId": path, "principalId": ALICE, "principalType": "User"}},
    )
    assert assignment["properties"]["roleDefinitionId"].endswith(role_id)
    clash = dict(definition)
    status, answer, _ = call(gateway, "PUT", path.replace(role_id, str(uuid.uuid4())), "2022-04-01", clash)
    assert (status, answer["error"]["code"]) == (409, "RoleDefinitionWithSameNameExists")


def test_assignment_on_a_scope_that_does_not_exist_is_refused(gateway: ArmGateway) -> None:
    role = f"/subscriptions/{gateway.target.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    body = {"properties": {"roleDefinitionId": role, "principalId": ALICE, "principalType": "User"}}
    missing_api = f"{gateway.custom_api_id('absent')}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    status, answer, _ = call(gateway, "PUT", missing_api, "2022-04-01", body)
    assert (status, answer["error"]["code"]) == (404, "ResourceNotFound")
    missing_group = f"{group_path(gateway, 'rg-gone')}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    assert call(gateway, "PUT", missing_group, "2022-04-01", body)[1]["error"]["code"] == "ResourceGroupNotFound"


# 8. 405, TRACE, OPTIONS, unknown methods ---------------------------------------------------------------------------
def test_method_not_allowed_has_allow_and_a_json_envelope(gateway: ArmGateway) -> None:
    collection = f"{gateway.resource_group_id()}/providers/Microsoft.Web/customApis"
    for method, path, allowed in (
        ("POST", collection, "GET, HEAD"),
        ("OPTIONS", gateway.custom_api_id("orders"), "GET, HEAD, PUT, PATCH, DELETE"),
        ("TRACE", gateway.custom_api_id("orders"), "GET, HEAD, PUT, PATCH, DELETE"),
    ):
        status, answer, headers = call(gateway, method, path, WEB)
        assert (status, answer["error"]["code"], headers["Allow"]) == (405, "MethodNotAllowed", allowed)


def test_a_method_http_server_does_not_know_still_gets_json(emulator: EmulatorServer) -> None:
    assert emulator.info is not None
    host, port = emulator.info.base_url.removeprefix("https://").rsplit(":", 1)
    context = ssl.create_default_context(cafile=emulator.info.ca_path)
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as conn,
    ):
        conn.sendall(b"BREW /subscriptions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        reply = b""
        while b"}}" not in reply:
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD, PUT, PATCH, POST, DELETE" in head
    assert json.loads(payload)["error"]["code"] == "MethodNotAllowed"


# 10. workflows, /resources, providers --------------------------------------------------------------------------
def test_workflows_patch_enable_and_disable(gateway: ArmGateway) -> None:
    created = gateway.put_workflow("flow", {"location": "westeurope", "properties": {"definition": {}}})
    assert created["properties"]["state"] == "Enabled"
    workflow = gateway.workflow_id("flow")
    status, patched, _ = call(gateway, "PATCH", workflow, "2019-05-01", {"tags": {"t": "1"}, "properties": {}})
    assert status == 200 and patched["tags"] == {"t": "1"} and patched["properties"]["definition"] == {}
    assert call(gateway, "POST", f"{workflow}/disable", "2019-05-01")[0] == 200
    assert call(gateway, "GET", workflow, "2019-05-01")[1]["properties"]["state"] == "Disabled"
    assert call(gateway, "POST", f"{workflow}/enable", "2019-05-01")[0] == 200
    assert call(gateway, "GET", workflow, "2019-05-01")[1]["properties"]["state"] == "Enabled"
    assert call(gateway, "POST", f"{gateway.workflow_id('none')}/enable", "2019-05-01")[0] == 404


def test_generic_resources_list_and_providers(gateway: ArmGateway) -> None:
    gateway.put_custom_api("orders", api_body())
    gateway.put_workflow("flow", {"location": "westeurope", "properties": {"definition": {}}})
    sub = f"/subscriptions/{gateway.target.subscription_id}"
    listed = call(gateway, "GET", f"{gateway.resource_group_id()}/resources", RESOURCES)[1]["value"]
    assert sorted(r["type"] for r in listed) == ["Microsoft.Logic/workflows", "Microsoft.Web/customApis"]
    assert set(listed[0]) <= {"id", "name", "type", "location", "tags"}
    only = gateway.send_request(
        HttpRequest(
            "GET",
            f"{sub}/resources",
            params={"api-version": RESOURCES, "$filter": "resourceType eq 'Microsoft.Web/customApis'"},
        )
    ).json()["value"]
    assert [r["name"] for r in only] == ["orders"]
    status, provider, _ = call(gateway, "GET", f"{sub}/providers/Microsoft.Web", RESOURCES)
    assert status == 200 and provider["registrationState"] == "Registered"
    types = {t["resourceType"]: t for t in provider["resourceTypes"]}
    assert "2016-06-01" in types["customApis"]["apiVersions"] and "westeurope" in types["connections"]["locations"]
    assert call(gateway, "GET", f"{sub}/providers/Microsoft.Nothing", RESOURCES)[0] == 404
