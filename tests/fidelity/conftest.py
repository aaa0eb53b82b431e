"""The emulator as the official Azure SDK clients see it: one in-memory emulator per test, its CA
trusted through `connection_verify`, the emulator token as a static bearer credential."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.transport.credentials import StaticTokenCredential


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sdk(emulator: EmulatorServer) -> dict[str, Any]:
    """Keyword arguments every management client takes to talk to the emulator."""
    info = emulator.info
    assert info is not None
    return {
        "credential": StaticTokenCredential(info.token),
        "subscription_id": info.subscription_id,
        "base_url": info.base_url,
        "connection_verify": info.ca_path,
        "retry_total": 0,  # a fidelity failure must show, not be retried away
    }
