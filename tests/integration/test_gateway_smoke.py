"""First end-to-end checks of the gateway against the emulator over HTTPS."""

from __future__ import annotations

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway

SWAGGER = {"swagger": "2.0", "info": {"title": "Orders", "version": "1.0"}, "paths": {}}


def test_custom_api_round_trip_and_swagger_download(gateway: ArmGateway) -> None:
    assert gateway.get_custom_api("orders") is None
    created = gateway.put_custom_api(
        "orders", {"location": "westeurope", "properties": {"displayName": "Orders", "swagger": SWAGGER}}
    )
    assert created["id"] == gateway.custom_api_id("orders")
    # CustomApiPropertiesDefinition has no provisioningState (neither have ARM's examples)
    assert "provisioningState" not in created["properties"]
    fetched = gateway.get_custom_api("orders")
    assert fetched is not None and "swagger" not in fetched["properties"]
    assert gateway.download_swagger(fetched) == SWAGGER
    assert [api["name"] for api in gateway.list_custom_apis()] == ["orders"]
    assert gateway.requests.counts[("PUT", "Microsoft.Web/customApis")] == 1
    assert gateway.requests.counts[("GET", "Microsoft.Web/customApis/apiDefinitions")] == 1


def test_fixture_emulator_is_running_in_memory(emulator: EmulatorServer) -> None:
    assert emulator.db_path is None
    assert emulator.info is not None and emulator.info.base_url.startswith("https://127.0.0.1:")
