"""Contract: every example request of Azure's REST spec (corpus/azure-rest-api-specs) sent through
the gateway to the emulator yields a response of the example's shape and status code.

Shape = every key the example's response has is present with the same JSON type, recursively
(lists: their first items). Maps whose keys are the caller's data (tags, parameter values,
workflow definitions) are compared by type only. Examples for operations the emulator
deliberately does not implement are skipped with the reason, and those routes are checked to
answer ARM's 404 envelope instead of something that looks like success.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.rest import HttpRequest

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

# A copy of shared/corpus/azure-rest-api-specs/*/examples (MIT), so CI needs nothing outside the repo.
CORPUS = Path(__file__).resolve().parent / "gateway_contract_examples"
EXAMPLES = sorted(CORPUS.glob("*/examples/*.json"))

READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
EXAMPLE_PRINCIPAL = "ce2ce14e-85d7-4629-bdbc-454d0519d987"
FREE_FORM = {
    "tags",
    "nonSecretParameterValues",
    "customParameterValues",
    "parameterValues",
    "definition",
    "parameters",
    "accessControl",
    "swagger",
}
NOT_IMPLEMENTED = {
    "customApisMove.json": "moving a customApi between resource groups: connectorops never moves connectors",
    "customApisListWsdlInterfaces.json": "WSDL (SOAP) import: connectorops deploys OpenAPI 2.0 only",
    "customApisExtractApiDefinitionFromWsdl.json": "WSDL (SOAP) import: connectorops deploys OpenAPI 2.0 only",
    "connectionsListConsentLinks.json": "OAuth consent needs a real identity provider",
    "connectionsConfirmConsentCode.json": "OAuth consent needs a real identity provider",
    "connectionsListConnectionKeys.json": "connection keys are secrets; not in the current spec either",
}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(next(p for p in EXAMPLES if p.name == name).read_text())
    return data


def response_body(data: dict[str, Any], status: str) -> Any:
    answer = data["responses"][status]
    # Workflows_ListByResourceGroup puts "value" straight under the status (no "body").
    return answer.get("body", answer if "value" in answer else None)


def assert_same_shape(actual: Any, expected: Any, where: str = "$") -> None:
    if expected is None:
        return
    assert type(actual) is type(expected), f"{where}: {type(actual).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        missing = sorted(set(expected) - set(actual))
        assert not missing, f"{where}: missing keys {missing}"
        for key, value in expected.items():
            if key not in FREE_FORM:
                assert_same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list) and expected and actual:
        assert_same_shape(actual[0], expected[0], f"{where}[0]")


def send(gateway: ArmGateway, method: str, path: str, api_version: str, body: Any = None) -> tuple[int, Any]:
    request = HttpRequest(method, path, params={"api-version": api_version}, json=body)
    response = gateway.send_request(request)
    text = response.text()
    return response.status_code, json.loads(text) if text else None


def scope_in(gateway: ArmGateway, example_scope: str) -> str:
    """The example's scope with our subscription and resource group swapped in."""
    parts = example_scope.strip("/").split("/")
    parts[1] = gateway.target.subscription_id
    if len(parts) > 3 and parts[2].lower() == "resourcegroups":
        parts[3] = gateway.target.resource_group
    return "/" + "/".join(parts)


def role_body(gateway: ArmGateway, data: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(data["parameters"]["parameters"])
    # The examples' role 0b5fe924-... is not a built-in the emulator knows; Reader stands in.
    body["properties"]["roleDefinitionId"] = (
        f"/subscriptions/{gateway.target.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{READER_ROLE}"
    )
    return body


def located(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The example's request body with the location its response shows: the examples leave out the
    location ARM requires (LocationRequired), as Azure's would-be caller cannot."""
    body: dict[str, Any] = dict(data["parameters"][key])
    body.setdefault("location", response_body(data, "200")["location"])
    return body


def put_example_custom_api(gateway: ArmGateway) -> dict[str, Any]:
    data = example("customApisCreateOrUpdate.json")
    return gateway.put_custom_api(data["parameters"]["apiName"], located(data, "customApi"))


def put_example_connection(gateway: ArmGateway) -> dict[str, Any]:
    data = example("connectionsCreateOrUpdate.json")
    return gateway.put_connection(data["parameters"]["connectionName"], located(data, "apiConnection"))


def put_example_workflow(gateway: ArmGateway, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    shown = response_body(data, "200")
    shown = shown["value"][0] if "value" in shown else shown
    writable = (
        "definition",
        "parameters",
        "state",
        "integrationAccount",
        "integrationServiceEnvironment",
        "accessControl",
    )
    body = {
        "location": shown["location"],
        "tags": shown["tags"],
        "properties": {k: v for k, v in shown["properties"].items() if k in writable},
    }
    return shown["name"], gateway.put_workflow(shown["name"], body)


def run_example(name: str, gateway: ArmGateway, emulator: EmulatorServer) -> None:
    data = example(name)
    params = data["parameters"]
    if name == "customApisCreateOrUpdate.json":
        status, body = send(
            gateway, "PUT", gateway.custom_api_id(params["apiName"]), params["api-version"], located(data, "customApi")
        )
        assert status == 200
        assert_same_shape(body, response_body(data, "200"))
        assert "swagger" not in body["properties"]["apiDefinitions"]
    elif name == "customApisGet.json":
        put_example_custom_api(gateway)
        got = gateway.get_custom_api(params["apiName"])
        assert_same_shape(got, response_body(data, "200"))
    elif name in ("customApisList.json", "customApisListByResourceGroup.json"):
        put_example_custom_api(gateway)
        if name == "customApisList.json":  # the subscription-wide list: not wrapped by the gateway
            status, page = send(
                gateway,
                "GET",
                f"/subscriptions/{gateway.target.subscription_id}/providers/Microsoft.Web/customApis",
                params["api-version"],
            )
            assert status == 200
        else:
            page = {"value": gateway.list_custom_apis()}
        assert_same_shape(page, response_body(data, "200"))
    elif name == "customApisUpdate.json":
        put_example_custom_api(gateway)
        updated = gateway.patch_custom_api_tags(params["apiName"], params["customApi"]["tags"])
        assert_same_shape(updated, response_body(data, "200"))
        assert updated["tags"] == params["customApi"]["tags"]
    elif name in ("customApisDelete.json", "connectionsDelete.json"):
        if name == "customApisDelete.json":
            put_example_custom_api(gateway)
            resource_id = gateway.custom_api_id(params["apiName"])
        else:
            put_example_connection(gateway)
            resource_id = gateway.connection_id(params["connectionName"])
        assert sorted(data["responses"]) == ["200", "204"]
        assert send(gateway, "DELETE", resource_id, params["api-version"])[0] == 200
        assert send(gateway, "DELETE", resource_id, params["api-version"])[0] == 204
    elif name == "connectionsCreateOrUpdate.json":
        status, body = send(
            gateway,
            "PUT",
            gateway.connection_id(params["connectionName"]),
            params["api-version"],
            located(data, "apiConnection"),
        )
        assert status == 200
        assert_same_shape(body, response_body(data, "200"))
        assert "parameterValues" not in body["properties"]
    elif name == "connectionsGet.json":
        put_example_connection(gateway)
        assert_same_shape(gateway.get_connection(params["connectionName"]), response_body(data, "200"))
    elif name == "connectionsList.json":
        put_example_connection(gateway)
        assert_same_shape({"value": gateway.list_connections()}, response_body(data, "200"))
    elif name == "connectionsUpdate.json":
        put_example_connection(gateway)
        status, body = send(
            gateway,
            "PATCH",
            gateway.connection_id(params["connectionName"]),
            params["api-version"],
            params["connection"],
        )
        assert status == 200
        assert_same_shape(body, response_body(data, "200"))
    elif name.startswith("RoleAssignments_Create"):
        emulator.add_principal(EXAMPLE_PRINCIPAL, "User", "Example User")
        scope = scope_in(gateway, params["scope"])
        if "/providers/" in scope:  # the resource scope must exist; a customApi stands in for the example's
            put_example_custom_api(gateway)
            scope = gateway.custom_api_id(example("customApisCreateOrUpdate.json")["parameters"]["apiName"])
        path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{params['roleAssignmentName']}"
        first = send(gateway, "PUT", path, params["api-version"], role_body(gateway, data))
        again = send(gateway, "PUT", path, params["api-version"], role_body(gateway, data))
        assert (first[0], again[0]) == (201, 200)
        assert_same_shape(first[1], response_body(data, "201"))
        assert_same_shape(again[1], response_body(data, "200"))
        assert first[1]["properties"]["scope"] == scope and first[1]["id"] == path
    elif name in ("RoleAssignments_Get.json", "RoleAssignments_Delete.json", "RoleAssignments_ListForScope.json"):
        emulator.add_principal(EXAMPLE_PRINCIPAL, "User", "Example User")
        scope = scope_in(gateway, params["scope"])
        assignment = params.get("roleAssignmentName", "b0f43c54-e787-4862-89b1-a653fa9cf747")
        created = gateway.put_role_assignment(
            scope, assignment, role_body(gateway, example("RoleAssignments_CreateForSubscription.json"))
        )
        if name == "RoleAssignments_Get.json":  # the example uses api-version 2020-10-01-preview
            status, body = send(gateway, "GET", created["id"], params["api-version"])
            assert status == 200
            assert_same_shape(body, response_body(data, "200"))
        elif name == "RoleAssignments_Delete.json":
            status, body = send(gateway, "DELETE", created["id"], params["api-version"])
            assert status == 200
            assert_same_shape(body, response_body(data, "200"))
            assert send(gateway, "DELETE", created["id"], params["api-version"])[0] == 204
        else:
            listed = gateway.list_role_assignments(scope)
            assert_same_shape({"value": listed}, response_body(data, "200"))
            assert [a["id"] for a in listed] == [created["id"]]
    elif name == "Workflows_Get.json":
        workflow_name, _ = put_example_workflow(gateway, data)
        status, body = send(gateway, "GET", gateway.workflow_id(workflow_name), params["api-version"])
        assert status == 200
        assert_same_shape(body, response_body(data, "200"))
    elif name == "Workflows_ListByResourceGroup.json":
        put_example_workflow(gateway, data)
        assert_same_shape({"value": gateway.list_workflows()}, response_body(data, "200"))
    else:
        pytest.fail(f"no replay written for example {name}")


@pytest.mark.integration
@pytest.mark.parametrize("name", [p.name for p in EXAMPLES if p.name not in NOT_IMPLEMENTED])
def test_example_replays_with_the_example_shape(name: str, gateway: ArmGateway, emulator: EmulatorServer) -> None:
    run_example(name, gateway, emulator)


@pytest.mark.integration
@pytest.mark.parametrize(("name", "reason"), sorted(NOT_IMPLEMENTED.items()))
def test_unimplemented_example_operations_answer_arm_404(name: str, reason: str, gateway: ArmGateway) -> None:
    data = example(name)
    params = data["parameters"]
    sub = gateway.target.subscription_id
    rg_id = gateway.resource_group_id()
    paths = {
        "customApisMove.json": f"{gateway.custom_api_id(params.get('apiName', 'x'))}/move",
        "customApisListWsdlInterfaces.json": f"/subscriptions/{sub}/providers/Microsoft.Web/locations/westus/"
        "listWsdlInterfaces",
        "customApisExtractApiDefinitionFromWsdl.json": f"/subscriptions/{sub}/providers/Microsoft.Web/locations/"
        "westus/extractApiDefinitionFromWsdl",
        "connectionsListConsentLinks.json": f"{rg_id}/providers/Microsoft.Web/connections/c/listConsentLinks",
        "connectionsConfirmConsentCode.json": f"{rg_id}/providers/Microsoft.Web/connections/c/confirmConsentCode",
        "connectionsListConnectionKeys.json": f"{rg_id}/providers/Microsoft.Web/connections/c/listConnectionKeys",
    }
    status, body = send(gateway, "POST", paths[name], params["api-version"], {})
    assert status == 404, reason
    assert set(body["error"]) >= {"code", "message"}


def test_every_example_in_the_corpus_is_replayed_or_listed_as_skipped() -> None:
    assert len(EXAMPLES) >= 20
    handled = {p.name for p in EXAMPLES}
    assert set(NOT_IMPLEMENTED) <= handled
