"""The rest of the emulator's Power Platform surface: environments, blob uploads with a SAS,
validateApiSwagger, and the server-wide parts it shares with ARM (429 + Retry-After, injected
faults, request counts, state that survives a restart)."""

from __future__ import annotations

from pathlib import Path

import requests
from conftest import MakeEmulator
from powerplatform_support import APIS, PowerPlatformHttp, openapi

from connectorops.emulator.faults import FaultConfig
from connectorops.emulator.throttle import BucketSpec, ThrottleConfig


def test_environments_exist_from_the_start_and_can_be_added(powerplatform: PowerPlatformHttp) -> None:
    environments = f"{powerplatform.info.flow_url}/providers/Microsoft.ProcessSimple/environments"
    first = powerplatform.session.get(environments, params={"api-version": APIS}).json()["value"]
    assert [e["name"] for e in first] == [powerplatform.env] and first[0]["properties"]["isDefault"] is True
    added = powerplatform.session.put(
        f"{powerplatform.info.powerapps_url}/_emulator/powerplatform/environments/makers-two",
        json={"properties": {"displayName": "Makers two"}},
    )
    assert added.status_code == 201 and added.json()["properties"]["displayName"] == "Makers two"
    again = powerplatform.session.put(
        f"{powerplatform.info.powerapps_url}/_emulator/powerplatform/environments/makers-two"
    )
    assert again.status_code == 200
    listed = powerplatform.session.get(environments, params={"api-version": APIS}).json()["value"]
    assert sorted(e["name"] for e in listed) == sorted([powerplatform.env, "makers-two"])
    one = powerplatform.session.get(f"{environments}/makers-two", params={"api-version": APIS})
    assert one.status_code == 200 and one.json()["id"].endswith("/environments/makers-two")
    bad = powerplatform.session.put(f"{powerplatform.info.powerapps_url}/_emulator/powerplatform/environments/a b")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidName"


def test_blob_upload_is_authorized_by_the_sas_only(powerplatform: PowerPlatformHttp) -> None:
    blob = powerplatform.upload(b"\x00icon-bytes\xff", "icon.png")
    ca = powerplatform.info.ca_path
    assert requests.get(blob, verify=ca).content == b"\x00icon-bytes\xff"
    unsigned = blob.split("?")[0]
    refused = requests.put(unsigned, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, verify=ca)
    assert refused.status_code == 401
    forged = requests.put(unsigned + "?sig=" + "0" * 64, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, verify=ca)
    assert forged.status_code == 401
    no_type = requests.put(blob, data=b"x", verify=ca)
    assert no_type.status_code == 400 and "x-ms-blob-type" in no_type.json()["error"]["message"]
    no_env = powerplatform.session.post(
        powerplatform.powerapps("objectIds/me/generateResourceStorage"),
        params={"api-version": APIS},
        json={"environment": {"name": "no-such-env"}},
    )
    assert no_env.status_code == 404 and no_env.json()["error"]["code"] == "EnvironmentNotFound"


def test_icon_uri_from_an_upload_is_kept(powerplatform: PowerPlatformHttp) -> None:
    icon = powerplatform.upload(b"PNG", "icon.png")
    created = powerplatform.create_api({"openApiDefinition": openapi(), "iconUri": icon})
    assert created["properties"]["iconUri"] == icon
    assert requests.get(created["properties"]["iconUri"], verify=powerplatform.info.ca_path).content == b"PNG"


def test_validate_api_swagger_reports_structural_errors(powerplatform: PowerPlatformHttp) -> None:
    url = powerplatform.powerapps("objectIds/me/validateApiSwagger")
    good = powerplatform.session.post(url, params={"api-version": APIS}, json=openapi())
    assert good.status_code == 200 and good.json()["errors"] == []
    duplicate = openapi("Orders", ("ListOrders",))
    duplicate["paths"]["/other"] = {"get": {"operationId": "ListOrders", "responses": {"200": {"description": "ok"}}}}
    bad = powerplatform.session.post(url, params={"api-version": APIS}, json=duplicate)
    assert bad.status_code == 400
    assert any("ListOrders" in e["message"] for e in bad.json()["errors"])
    openapi3 = powerplatform.session.post(url, params={"api-version": APIS}, json={"openapi": "3.0.0", "paths": {}})
    assert openapi3.status_code == 400 and "OpenAPI 2.0" in openapi3.json()["errors"][0]["message"]


def test_throttling_answers_429_with_retry_after(make_emulator: MakeEmulator) -> None:
    server = make_emulator(throttle=ThrottleConfig(reads=BucketSpec(2, 0.01)))
    assert server.info is not None
    client = PowerPlatformHttp(server.info)
    answers = [client.session.get(client.powerapps("apis"), params=client.query()) for _ in range(3)]
    client.close()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["code"] == "TooManyRequests"
    assert int(answers[2].headers["Retry-After"]) >= 1


def test_injected_faults_apply_to_this_surface(make_emulator: MakeEmulator) -> None:
    server = make_emulator(faults=FaultConfig(scripted={"POST": ["error_503"]}))
    assert server.info is not None
    client = PowerPlatformHttp(server.info)
    failed = client.session.post(client.powerapps("apis"), params=client.query(), json={"properties": {}})
    assert failed.status_code == 503 and failed.json()["error"]["code"] == "ServiceUnavailable"
    created = client.create_api({"openApiDefinition": openapi()})  # the next POST is served
    assert created["name"].startswith("shared_orders-")
    client.close()


def test_requests_are_counted_per_kind(powerplatform: PowerPlatformHttp) -> None:
    counter = f"{powerplatform.info.base_url}/_emulator/requests"
    assert powerplatform.session.delete(counter).status_code == 204
    name = powerplatform.create_api({"openApiDefinition": openapi()})["name"]
    powerplatform.session.get(powerplatform.powerapps("apis"), params=powerplatform.query())
    powerplatform.session.get(
        powerplatform.powerapps(f"apis/{name}/permissions"), params=powerplatform.query(version="2017-06-01")
    )
    powerplatform.session.get(powerplatform.flows(), params={"api-version": APIS})
    powerplatform.upload(b"x", "script.csx")
    counts = powerplatform.session.get(counter).json()["byVerbAndType"]
    assert counts == {
        "GET Microsoft.PowerApps/apis": 1,
        "GET Microsoft.PowerApps/apis/permissions": 1,
        "GET Microsoft.ProcessSimple/flows": 1,
        "POST Microsoft.PowerApps/apis": 1,
        "POST Microsoft.PowerApps/generateresourcestorage": 1,
        "PUT blobs": 1,
    }


def test_environment_and_connectors_survive_a_restart(make_emulator: MakeEmulator, tmp_path: Path) -> None:
    first = make_emulator(tmp_path / "state.db")
    assert first.info is not None
    client = PowerPlatformHttp(first.info)
    environment = first.info.environment_id
    name = client.create_api({"openApiDefinition": openapi()})["name"]
    client.close()
    first.stop()
    second = make_emulator(tmp_path / "state.db")
    assert second.info is not None and second.info.environment_id == environment
    again = PowerPlatformHttp(second.info)
    assert again.get_api(name).status_code == 200
    again.close()
