"""The Power Platform target's transport against the emulator: throttling answered with 429 + Retry-After is
retried by the shared azure-core pipeline, a refused token is an AuthenticationError with a hint."""

from __future__ import annotations

import pytest
from conftest import FAST_RETRIES, MakeEmulator

from connectorops.azure.credentials import StaticTokenCredential
from connectorops.emulator.server import EmulatorInfo
from connectorops.emulator.throttle import BucketSpec, ThrottleConfig
from connectorops.errors import AuthenticationError
from connectorops.targets.powerplatform import PowerPlatformClient, PowerPlatformLocation, PowerPlatformTarget

pytestmark = pytest.mark.integration


def _client(info: EmulatorInfo, token: str | None = None) -> PowerPlatformClient:
    location = PowerPlatformLocation(
        info.environment_id, info.powerapps_url, info.flow_url, StaticTokenCredential(token or info.token),
        ca_bundle=info.ca_path,
    )  # fmt: skip
    return PowerPlatformClient(location, settings=FAST_RETRIES)


def test_throttled_lists_are_retried_after_retry_after(make_emulator: MakeEmulator) -> None:
    server = make_emulator(throttle=ThrottleConfig(reads=BucketSpec(2, 2.0)))
    assert server.info is not None
    with _client(server.info) as client:
        target = PowerPlatformTarget(client)
        assert target.list_connectors() == []
        assert target.list_connections() == [] and target.list_consumers() == [] and target.list_grants() == []
        sent = client.requests.total("GET")
    assert sent > 3  # three lists (grants come from the apis list), plus the throttled attempts sent again


def test_a_refused_token_is_an_authentication_error_with_a_hint(make_emulator: MakeEmulator) -> None:
    server = make_emulator()
    assert server.info is not None
    with _client(server.info, token="not-the-emulator-token") as client, pytest.raises(AuthenticationError) as refused:
        PowerPlatformTarget(client).list_connectors()
    assert refused.value.status == 401 and "Power Apps answered 401" in str(refused.value)
    assert "CONNECTOROPS_POWERPLATFORM_TOKEN" in (refused.value.problem.hint or "")
    assert "not-the-emulator-token" not in str(refused.value)
