"""Names the integration tests and their conftest share (tests import these, never conftest itself:
which conftest `from conftest import` finds depends on collection order)."""

from __future__ import annotations

from collections.abc import Callable

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway
from connectorops.targets.transport.pipeline import RetrySettings

TEST_RESOURCE_GROUP = "rg-test"
TEST_LOCATION = "westeurope"
# Small backoffs keep retry tests fast; Retry-After from the server is still honoured as sent.
FAST_RETRIES = RetrySettings(
    backoff_factor=0.02,
    backoff_max=0.2,
    connection_timeout=5,
    read_timeout=30,
    operation_wait_initial=0.02,
    operation_wait_max=0.1,
)

MakeEmulator = Callable[..., EmulatorServer]
MakeGateway = Callable[..., ArmGateway]
