"""Fixtures for tests against the real emulator over HTTPS.

`emulator`: a started EmulatorServer with an in-memory DB and the resource group "rg-test"
(westeurope) created, as `az group create` would. `gateway`: an ArmGateway on it
(resource group "rg-test", location "westeurope", fast retry backoff); `gateway.requests`
counts requests per (verb, resource type). `make_emulator` / `make_gateway` start others
(throttling, faults, a state file, small pages); everything is stopped at teardown.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_support import FAST_RETRIES, TEST_LOCATION, TEST_RESOURCE_GROUP, MakeEmulator, MakeGateway
from powerplatform_support import PowerPlatformHttp

from connectorops.emulator.server import EmulatorInfo, EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
from connectorops.targets.transport.credentials import StaticTokenCredential
from connectorops.targets.transport.pipeline import RetrySettings

# Support modules of tests/unit (e.g. minimal_repo) serve integration tests too: one copy of each.
UNIT_TESTS = str(Path(__file__).resolve().parents[1] / "unit")
if UNIT_TESTS not in sys.path:
    sys.path.append(UNIT_TESTS)


@pytest.fixture
def make_emulator() -> Iterator[MakeEmulator]:
    """Start EmulatorServer(db_path=None, throttle=..., faults=..., page_size=...) with "rg-test" in it;
    stopped at teardown."""
    started: list[EmulatorServer] = []

    def start(db_path: Path | None = None, **options: Any) -> EmulatorServer:
        server = EmulatorServer(db_path, **options)
        info = server.start()
        started.append(server)
        server.ensure_resource_group(info.subscription_id, TEST_RESOURCE_GROUP, TEST_LOCATION)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def make_gateway() -> Iterator[MakeGateway]:
    """ArmGateway for an EmulatorInfo (or a running server, in which its resource group is created);
    closed at teardown."""
    opened: list[ArmGateway] = []

    def open_(
        emulator: EmulatorServer | EmulatorInfo,
        *,
        resource_group: str = TEST_RESOURCE_GROUP,
        settings: RetrySettings = FAST_RETRIES,
        token: str | None = None,
    ) -> ArmGateway:
        info = emulator.info if isinstance(emulator, EmulatorServer) else emulator
        assert info is not None, "start the emulator first"
        if isinstance(emulator, EmulatorServer):  # its group exists, as after `az group create`
            emulator.ensure_resource_group(info.subscription_id, resource_group, TEST_LOCATION)
        target = ArmTarget(
            base_url=info.base_url,
            subscription_id=info.subscription_id,
            resource_group=resource_group,
            location=TEST_LOCATION,
            credential=StaticTokenCredential(token or info.token),
            ca_bundle=info.ca_path,
        )
        gateway = ArmGateway(target, settings=settings)
        opened.append(gateway)
        return gateway

    yield open_
    for gateway in opened:
        gateway.close()


@pytest.fixture
def emulator(make_emulator: MakeEmulator) -> EmulatorServer:
    return make_emulator()


@pytest.fixture
def gateway(emulator: EmulatorServer, make_gateway: MakeGateway) -> ArmGateway:
    return make_gateway(emulator)


@pytest.fixture
def powerplatform(emulator: EmulatorServer) -> Iterator[PowerPlatformHttp]:
    """A PowerPlatformHttp (plain HTTP on the Power Platform surface) on the `emulator`."""
    assert emulator.info is not None
    client = PowerPlatformHttp(emulator.info)
    yield client
    client.close()
