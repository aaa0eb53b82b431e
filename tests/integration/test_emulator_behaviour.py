"""Emulator behaviour the engine relies on: auth, etags, If-Match, cascade deletes, errors, restarts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from azure.core.rest import HttpRequest

from connectorops.emulator.server import EmulatorServer
from connectorops.errors import AuthenticationError, GatewayError
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = pytest.mark.integration

SWAGGER = {"swagger": "2.0", "info": {"title": "Orders", "version": "1.0"}, "paths": {}}


def custom_api(display_name: str = "Orders") -> dict[str, object]:
    # api_key: the parameter connection_to() gives a value for (ARM refuses undefined ones)
    return {
        "location": "westeurope",
        "properties": {
            "displayName": display_name,
            "swagger": SWAGGER,
            "connectionParameters": {"api_key": {"type": "securestring"}},
        },
    }


def connection_to(gateway: ArmGateway, api_name: str) -> dict[str, object]:
    return {
        "location": "westeurope",
        "properties": {
            "displayName": f"to {api_name}",
            "api": {"id": gateway.custom_api_id(api_name)},
            "parameterValues": {"api_key": "s3cr3t-value"},
        },
    }


def test_requests_without_or_with_a_wrong_token_get_401_with_the_arm_envelope(
    emulator: EmulatorServer, gateway: ArmGateway, make_gateway
) -> None:
    info = emulator.info
    assert info is not None
    url = f"{info.base_url}{gateway.custom_api_id('x')}?api-version=2016-06-01"
    bare = requests.get(url, verify=info.ca_path, timeout=10)
    assert bare.status_code == 401
    assert bare.json()["error"]["code"] == "AuthenticationFailed"
    wrong = make_gateway(emulator, token="not-the-token")
    with pytest.raises(AuthenticationError) as caught:
        wrong.get_custom_api("x")
    assert caught.value.status == 401 and caught.value.arm_code == "InvalidAuthenticationToken"
    assert "not-the-token" not in str(caught.value) and info.token not in str(caught.value)


def test_https_only_and_the_certificate_is_checked_against_the_ca_bundle(emulator: EmulatorServer) -> None:
    info = emulator.info
    assert info is not None
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(info.base_url, timeout=10)  # system trust store: the emulator's CA is not in it
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(info.base_url.replace("https://", "http://"), timeout=10)


def test_etag_changes_on_every_write_and_if_match_guards_updates(gateway: ArmGateway) -> None:
    first = gateway.put_custom_api("orders", custom_api())
    second = gateway.put_custom_api("orders", custom_api("Orders v2"), if_match=first["etag"])
    tagged = gateway.patch_custom_api_tags("orders", {"team": "sales"})
    assert len({first["etag"], second["etag"], tagged["etag"]}) == 3
    with pytest.raises(GatewayError) as caught:
        gateway.put_custom_api("orders", custom_api("stale"), if_match=first["etag"])
    assert (caught.value.status, caught.value.arm_code) == (412, "PreconditionFailed")
    current = gateway.get_custom_api("orders")
    assert current is not None and current["properties"]["displayName"] == "Orders v2"
    assert current["tags"] == {"team": "sales"}


def test_if_none_match_star_only_creates(gateway: ArmGateway) -> None:
    gateway.put_custom_api("lease", custom_api(), if_none_match="*")
    with pytest.raises(GatewayError) as caught:  # another body: the gateway's read-back finds no match
        gateway.put_custom_api("lease", custom_api("Other"), if_none_match="*")
    assert caught.value.status == 412
    assert (gateway.get_custom_api("lease") or {})["properties"]["displayName"] == "Orders"
    with pytest.raises(GatewayError):
        gateway.put_custom_api("absent", custom_api(), if_match='"any-etag"')
    assert gateway.get_custom_api("absent") is None


def test_connection_needs_an_existing_custom_api_and_never_returns_secrets(gateway: ArmGateway) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway.put_connection("orders-1", connection_to(gateway, "orders"))
    assert (caught.value.status, caught.value.arm_code) == (400, "InvalidRequestContent")
    gateway.put_custom_api("orders", custom_api())
    created = gateway.put_connection("orders-1", connection_to(gateway, "orders"))
    fetched = gateway.get_connection("orders-1")
    assert fetched == created
    assert "parameterValues" not in created["properties"]
    assert "s3cr3t-value" not in json.dumps(gateway.list_connections())
    assert created["properties"]["statuses"] == [{"status": "Connected"}]
    assert created["properties"]["api"]["id"] == gateway.custom_api_id("orders")


def test_deleting_a_custom_api_deletes_its_connections_but_workflows_keep_dead_ids(gateway: ArmGateway) -> None:
    gateway.put_custom_api("orders", custom_api())
    gateway.put_custom_api("billing", custom_api("Billing"))
    for name, api in (("orders-1", "orders"), ("orders-2", "orders"), ("billing-1", "billing")):
        gateway.put_connection(name, connection_to(gateway, api))
    connections_param = {
        "$connections": {
            "value": {
                "orders": {
                    "id": gateway.custom_api_id("orders"),
                    "connectionId": gateway.connection_id("orders-1"),
                    "connectionName": "orders-1",
                }
            }
        }
    }
    gateway.put_workflow(
        "nightly",
        {"location": "westeurope", "properties": {"definition": {"actions": {}}, "parameters": connections_param}},
    )
    assert gateway.delete_custom_api("orders") is True
    assert sorted(c["name"] for c in gateway.list_connections()) == ["billing-1"]
    assert gateway.get_connection("orders-1") is None
    (workflow,) = gateway.list_workflows()
    assert workflow["properties"]["parameters"] == connections_param  # still the dead connection id
    assert gateway.delete_custom_api("orders") is False


def test_unsupported_api_version_and_unknown_routes_answer_like_arm(gateway: ArmGateway) -> None:
    def status_and_code(path: str, api_version: str | None) -> tuple[int, str]:
        params = {"api-version": api_version} if api_version else {}
        response = gateway.send_request(HttpRequest("GET", path, params=params))
        return response.status_code, response.json()["error"]["code"]

    api = gateway.custom_api_id("orders")
    assert status_and_code(api, "2099-01-01") == (400, "NoRegisteredProviderFound")
    assert status_and_code(api, "yesterday") == (400, "InvalidApiVersionParameter")
    assert status_and_code(api, None) == (400, "MissingApiVersionParameter")
    assert status_and_code(api, "2016-06-01") == (404, "ResourceNotFound")
    assert status_and_code(gateway.workflow_id("w"), "2016-06-01")[0] == 404  # 2016-06-01 is a Logic version too
    assert status_and_code(gateway.workflow_id("w"), "2018-07-01-preview")[1] == "NoRegisteredProviderFound"
    rg = gateway.resource_group_id()
    assert status_and_code(f"{rg}/providers/Microsoft.Web/sites/x", "2016-06-01") == (404, "InvalidResourceType")
    assert status_and_code("/nothing/here", "2016-06-01") == (404, "NotFound")


def test_bad_json_is_invalid_request_content(gateway: ArmGateway) -> None:
    request = HttpRequest(
        "PUT",
        gateway.custom_api_id("orders"),
        params={"api-version": "2016-06-01"},
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    response = gateway.send_request(request)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestContent"


def test_swagger_url_needs_its_signature_and_no_bearer_token(gateway: ArmGateway, emulator: EmulatorServer) -> None:
    created = gateway.put_custom_api("orders", custom_api())
    url = created["properties"]["apiDefinitions"]["originalSwaggerUrl"]
    info = emulator.info
    assert info is not None
    assert requests.get(url, verify=info.ca_path, timeout=10).json() == SWAGGER
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert requests.get(tampered, verify=info.ca_path, timeout=10).status_code == 403


def test_restart_on_the_same_state_file_keeps_state_token_subscription_and_ca(
    tmp_path: Path, make_emulator, make_gateway
) -> None:
    db = tmp_path / "state" / "emulator.db"
    first = make_emulator(db)
    before = first.info
    assert before is not None
    gateway = make_gateway(first)
    created = gateway.put_custom_api("orders", custom_api())
    gateway.put_connection("orders-1", connection_to(gateway, "orders"))
    ca_text = Path(before.ca_path).read_text()
    first.stop()

    second = make_emulator(db)
    after = second.info
    assert after is not None
    assert (after.token, after.subscription_id, after.ca_path) == (before.token, before.subscription_id, before.ca_path)
    assert Path(after.ca_path).read_text() == ca_text
    again = make_gateway(second)
    fetched = again.get_custom_api("orders")
    assert fetched is not None and fetched["etag"] == created["etag"]
    assert again.download_swagger(fetched) == SWAGGER  # swagger URLs follow the new port
    assert [c["name"] for c in again.list_connections()] == ["orders-1"]


def test_emulator_refuses_non_loopback_hosts() -> None:
    from connectorops.errors import ConnectoropsError

    with pytest.raises(ConnectoropsError):
        EmulatorServer(host="0.0.0.0")


def test_swagger_download_sends_no_bearer_token_and_is_size_capped(
    gateway: ArmGateway, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, str]] = []
    real_answer = emulator.answer

    def recording(request):  # type: ignore[no-untyped-def]
        if request.path.startswith("/emulator/apiDefinitions/"):
            seen.append(dict(request.headers))
        return real_answer(request)

    monkeypatch.setattr(emulator, "answer", recording)
    created = gateway.put_custom_api("orders", custom_api())
    assert gateway.download_swagger(created) == SWAGGER
    assert len(seen) == 1 and "authorization" not in seen[0]

    huge = {**SWAGGER, "x-padding": "x" * (5 * 1024 * 1024)}
    big = gateway.put_custom_api("big", {"location": "westeurope", "properties": {"swagger": huge}})
    with pytest.raises(GatewayError) as caught:
        gateway.download_swagger(big)
    assert "MiB" in str(caught.value)
    assert gateway.download_swagger({"name": "none", "properties": {}}) is None


def test_a_next_link_to_another_host_is_refused(
    gateway: ArmGateway, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectorops.emulator.protocol import ArmResponse

    monkeypatch.setattr(
        emulator,
        "answer",
        lambda request: ArmResponse(200, {"value": [], "nextLink": "https://attacker.example/steal?api-version=1"}),
    )
    with pytest.raises(GatewayError) as caught:
        gateway.list_custom_apis()
    assert "another host" in str(caught.value)
    assert gateway.requests.total() == 1


def test_concurrent_use_of_one_gateway_counts_every_request(gateway: ArmGateway) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: gateway.put_custom_api(f"api-{i}", custom_api()), range(40)))
        list(pool.map(lambda i: gateway.get_custom_api(f"api-{i}"), range(40)))
    assert gateway.requests.counts[("PUT", "Microsoft.Web/customApis")] == 40
    assert gateway.requests.counts[("GET", "Microsoft.Web/customApis")] == 40
    assert len(gateway.list_custom_apis()) == 40


def test_a_busy_port_or_a_corrupt_state_file_is_a_user_error_not_a_traceback(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    from connectorops.errors import ConnectoropsError

    info = emulator.info
    assert info is not None
    port = int(info.base_url.rsplit(":", 1)[1])
    with pytest.raises(ConnectoropsError) as busy:
        EmulatorServer(port=port).start()
    assert busy.value.problem.field == "--port"
    corrupt = tmp_path / "emulator.db"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConnectoropsError) as broken:
        EmulatorServer(corrupt)
    assert broken.value.problem.file == str(corrupt) and broken.value.problem.hint


def test_head_answers_204_or_404_like_arm_existence_checks(gateway: ArmGateway) -> None:
    gateway.put_custom_api("orders", custom_api())
    response = gateway.send_request(
        HttpRequest("HEAD", gateway.custom_api_id("orders"), params={"api-version": "2016-06-01"})
    )
    assert response.status_code == 204 and response.text() == ""
    missing = gateway.send_request(
        HttpRequest("HEAD", gateway.custom_api_id("absent"), params={"api-version": "2016-06-01"})
    )
    assert missing.status_code == 404


def test_oauth_client_secret_is_write_only_and_parameter_types_are_checked(
    gateway: ArmGateway, emulator: EmulatorServer
) -> None:
    parameters = {
        "token": {
            "type": "oauthSetting",
            "oAuthSettings": {"identityProvider": "aad", "clientId": "app-1", "clientSecret": "very-secret-1"},
        },
        "api_key": {"type": "securestring", "uiDefinition": {"displayName": "API key"}},
    }
    body = {"location": "westeurope", "properties": {"connectionParameters": parameters, "swagger": SWAGGER}}
    created = gateway.put_custom_api("orders", body)
    fetched = gateway.get_custom_api("orders")
    assert fetched is not None
    for answer in (created, fetched):
        settings = answer["properties"]["connectionParameters"]["token"]["oAuthSettings"]
        assert settings == {"identityProvider": "aad", "clientId": "app-1"}
        assert answer["properties"]["connectionParameters"]["api_key"]["uiDefinition"] == {"displayName": "API key"}
    stored = emulator.store.get(gateway.custom_api_id("orders"))
    assert stored is not None and "very-secret-1" not in json.dumps(stored.body)
    bad = {"location": "westeurope", "properties": {"connectionParameters": {"x": {"type": "password"}}}}
    with pytest.raises(GatewayError) as caught:
        gateway.put_custom_api("orders", bad)
    assert (caught.value.status, caught.value.arm_code) == (400, "InvalidRequestContent")
