"""The Power Platform target's transport against the emulator: throttling answered with 429 + Retry-After is
retried by the shared azure-core pipeline, a refused token is an AuthenticationError with a hint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from emulator_support import FAST_RETRIES, MakeEmulator

from connectorops.emulator.server import EmulatorInfo
from connectorops.emulator.throttle import BucketSpec, ThrottleConfig
from connectorops.errors import AuthenticationError
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.powerplatform import PowerPlatformClient, PowerPlatformLocation, PowerPlatformTarget
from connectorops.targets.powerplatform.connect import open_powerplatform
from connectorops.targets.transport.credentials import StaticTokenCredential

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


class _RecordingCredential(StaticTokenCredential):
    """The emulator's token, remembering the scopes it was asked for."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:  # type: ignore[override]
        self.scopes += scopes
        return super().get_token(*scopes)


@pytest.mark.parametrize("scope", [None, "https://gov.service.powerapps.us/.default"])
def test_the_token_is_asked_for_the_environment_s_scope(
    scope: str | None, make_emulator: MakeEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_emulator()
    info = server.info
    assert info is not None
    text = (
        "default: makers\nenvironments:\n  makers:\n    target: powerplatform\n"
        f"    environmentId: {info.environment_id}\n    apiEndpoint: {info.powerapps_url}\n"
        f"    flowEndpoint: {info.flow_url}\n    caBundle: {info.ca_path}\n    credential: token-env\n"
        + (f"    tokenScope: {scope}\n" if scope else "")
    )
    (tmp_path / "connectorops.yaml").write_text(text)
    config = load_repository(FileSystemTree(tmp_path)).config
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", info.token)
    with open_powerplatform(tmp_path, config, "makers") as target:
        location = target.client.location
        assert location.credential_scope == (scope or "https://service.powerapps.com/.default")
    recording = _RecordingCredential(info.token)
    with PowerPlatformClient(replace(location, credential=recording), settings=FAST_RETRIES) as client:
        assert PowerPlatformTarget(client).list_connectors() == []
    assert set(recording.scopes) == {location.credential_scope}
    # flows are read from the Power Automate API, whose token has its own audience (the connectors' list
    # that maps their references to our connectors still asks for the Power Apps one)
    flows = _RecordingCredential(info.token)
    with PowerPlatformClient(replace(location, credential=flows), settings=FAST_RETRIES) as client:
        assert PowerPlatformTarget(client).list_consumers() == []
    assert set(flows.scopes) == {location.credential_scope, "https://service.flow.microsoft.com/.default"}
