"""The target contract: the same tests against every Target implementation.

`harness` is parametrized over the implementations: the in-memory fake the unit tests use, and the ARM
resource group target over the real emulator (HTTPS + SQLite), and the Power Platform environment target over
the emulator's Power Platform surface (harnesses.py seeds a maker's connection and flow, and a grant body).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from harnesses import (
    PRINCIPAL,
    ArmEmulatorHarness,
    Harness,
    InMemoryPowerPlatform,
    InMemoryTarget,
    MemoryHarness,
    MemoryPowerPlatformHarness,
    PowerPlatformHarness,
)

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
from connectorops.targets.powerplatform import PowerPlatformClient, PowerPlatformLocation, PowerPlatformTarget
from connectorops.targets.transport.credentials import StaticTokenCredential


@pytest.fixture(params=["in-memory", "in-memory-powerplatform", "arm-emulator", "powerplatform-emulator"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "in-memory":
        yield MemoryHarness(InMemoryTarget())
        return
    if request.param == "in-memory-powerplatform":
        yield MemoryPowerPlatformHarness(InMemoryPowerPlatform())
        return
    if request.param == "powerplatform-emulator":
        with EmulatorServer() as server:
            info = server.info
            assert info is not None
            location = PowerPlatformLocation(
                info.environment_id, info.powerapps_url, info.flow_url, StaticTokenCredential(info.token),
                ca_bundle=info.ca_path,
            )  # fmt: skip
            with PowerPlatformClient(location) as client:
                yield PowerPlatformHarness(PowerPlatformTarget(client))
        return
    with EmulatorServer() as server:
        info = server.info
        assert info is not None
        server.add_principal(PRINCIPAL, "Group", "sales-team")
        group = f"rg-contract-{uuid.uuid4().hex[:8]}"
        server.ensure_resource_group(info.subscription_id, group, "westeurope")  # as `az group create` would
        location = ArmTarget(
            info.base_url, info.subscription_id, group, "westeurope",
            StaticTokenCredential(info.token), ca_bundle=info.ca_path,
        )  # fmt: skip
        with ArmGateway(location) as gateway:
            yield ArmEmulatorHarness(ResourceGroupTarget(gateway), gateway)
