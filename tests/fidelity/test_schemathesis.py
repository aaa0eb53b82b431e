"""A bounded schemathesis run (<= 500 requests, < 60 s) over Microsoft.Web 2016-06-01 customApis and
connections against the emulator: no server error, no response outside the spec (issue 14).

Before issue 14 the same run gave 11 response-schema violations (customApi responses carried
`provisioningState`, which CustomApiPropertiesDefinition does not define)."""

from __future__ import annotations

import time

import pytest
from schemathesis_run import run

from connectorops.emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

PER_OPERATION = 35  # 14 operations: 490 requests


def test_generated_requests_get_no_server_error_and_responses_match_the_spec() -> None:
    with EmulatorServer() as server:
        info = server.info
        assert info is not None
        server.ensure_resource_group(info.subscription_id, "rg-fuzz", "westeurope")
        started = time.monotonic()
        figures = run(info.base_url, info.token, info.ca_path, info.subscription_id, "rg-fuzz", PER_OPERATION)
        elapsed = time.monotonic() - started
        served = server.requests.snapshot()["total"]
    assert 0 < figures.requests <= 500 and served == figures.requests
    assert elapsed < 60
    assert (figures.server_errors, figures.schema_violations) == (0, 0), figures.examples
    # the conformance check only means something if successful writes were validated too
    assert figures.statuses.get("PUT 200", 0) > 0 and figures.statuses.get("GET 200", 0) > 0
