"""The gateway under ARM's hard parts: paging, throttling (429 + Retry-After) and injected faults."""

from __future__ import annotations

import time
import uuid

import pytest
from azure.core.rest import HttpRequest

from connectorops.emulator.faults import FaultConfig, VerbFaults
from connectorops.emulator.throttle import BucketSpec, ThrottleConfig
from connectorops.targets.arm.gateway import ArmGateway
from connectorops.targets.transport.pipeline import RetrySettings

pytestmark = pytest.mark.integration

API = {"location": "westeurope", "properties": {"displayName": "x"}}


def test_listing_250_with_page_size_100_takes_three_gets(make_emulator, make_gateway) -> None:
    gateway: ArmGateway = make_gateway(make_emulator(page_size=100))
    names = sorted(f"api-{i:03d}" for i in range(250))
    for name in names:
        gateway.put_custom_api(name, API)
    before = gateway.requests.counts[("GET", "Microsoft.Web/customApis")]
    listed = gateway.list_custom_apis()
    assert sorted(a["name"] for a in listed) == names
    assert gateway.requests.counts[("GET", "Microsoft.Web/customApis")] - before == 3


def test_top_limits_the_page_and_next_link_keeps_it(make_emulator, make_gateway) -> None:
    gateway: ArmGateway = make_gateway(make_emulator(page_size=100))
    for i in range(5):
        gateway.put_custom_api(f"api-{i}", API)
    first = gateway.send_request(
        HttpRequest(
            "GET",
            f"{gateway.resource_group_id()}/providers/Microsoft.Web/customApis",
            params={"api-version": "2016-06-01", "$top": "2"},
        )
    ).json()
    assert [a["name"] for a in first["value"]] == ["api-0", "api-1"]
    second = gateway.send_request(HttpRequest("GET", first["nextLink"])).json()
    assert [a["name"] for a in second["value"]] == ["api-2", "api-3"]


def test_a_burst_beyond_the_write_bucket_gets_429_and_the_gateway_finishes_by_waiting(
    make_emulator, make_gateway
) -> None:
    emulator = make_emulator(throttle=ThrottleConfig(writes=BucketSpec(capacity=5, refill_per_second=10)))
    gateway: ArmGateway = make_gateway(emulator)
    started = time.monotonic()
    results = [gateway.put_custom_api(f"api-{i}", API) for i in range(12)]
    elapsed = time.monotonic() - started
    assert emulator.throttle is not None and emulator.throttle.refused >= 1
    assert [r["name"] for r in results] == [f"api-{i}" for i in range(12)]
    assert len(gateway.list_custom_apis()) == 12
    # every 429 was a request on the wire and was followed by a retry
    assert gateway.requests.counts[("PUT", "Microsoft.Web/customApis")] == 12 + emulator.throttle.refused
    assert elapsed >= 1.0  # Retry-After (whole seconds) was honoured, not ignored


def test_a_429_carries_retry_after_and_remaining_headers(make_emulator, make_gateway) -> None:
    emulator = make_emulator(throttle=ThrottleConfig(reads=BucketSpec(capacity=2, refill_per_second=0.5)))
    no_retries = RetrySettings(total=0, status=0, connect=0, read=0)
    gateway: ArmGateway = make_gateway(emulator, settings=no_retries)
    path = gateway.custom_api_id("x")
    answers = [gateway.send_request(HttpRequest("GET", path, params={"api-version": "2016-06-01"})) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert answers[0].headers["x-ms-ratelimit-remaining-subscription-reads"] == "1"
    assert answers[2].headers["Retry-After"] == "2"
    assert answers[2].headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
    assert answers[2].json()["error"]["code"] == "TooManyRequests"


def test_injected_5xx_and_connection_resets_are_retried_by_the_transport(make_emulator, make_gateway) -> None:
    faults = FaultConfig(
        seed=3,
        per_verb={
            "GET": VerbFaults(error_503=0.2, reset=0.1, latency=0.2, latency_seconds=0.01),
            "PUT": VerbFaults(error_500=0.2, reset=0.1),
            "DELETE": VerbFaults(error_503=0.2),
        },
    )
    emulator = make_emulator(faults=faults)
    gateway: ArmGateway = make_gateway(emulator)
    for i in range(20):
        gateway.put_custom_api(f"api-{i}", API)
    for i in range(20):
        assert gateway.get_custom_api(f"api-{i}") is not None
    for i in range(10):
        assert gateway.delete_custom_api(f"api-{i}") is True
    assert emulator.faults is not None
    injected = emulator.faults.injected
    assert injected["error_500"] + injected["error_503"] + injected["reset"] > 0
    assert gateway.requests.total() == 50 + injected["error_500"] + injected["error_503"] + injected["reset"]


def test_409_operation_in_progress_is_retried_by_tenacity(
    gateway: ArmGateway, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectorops.emulator.protocol import ArmError

    real_answer = emulator.answer
    conflicts = {"left": 2}

    def busy_twice(request):  # type: ignore[no-untyped-def]
        if request.method == "PUT" and conflicts["left"]:
            conflicts["left"] -= 1
            return ArmError(409, "AnotherOperationInProgress", "Another operation is in progress.").to_response()
        return real_answer(request)

    monkeypatch.setattr(emulator, "answer", busy_twice)
    created = gateway.put_custom_api(f"api-{uuid.uuid4().hex[:6]}", API)
    assert created["id"].endswith(f"/customApis/{created['name']}") and created["etag"]
    assert gateway.requests.counts[("PUT", "Microsoft.Web/customApis")] == 3


def test_persistent_409_gives_a_gateway_error_after_bounded_attempts(
    gateway: ArmGateway, emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectorops.emulator.protocol import ArmError
    from connectorops.errors import GatewayError

    monkeypatch.setattr(
        emulator, "answer", lambda request: ArmError(409, "AnotherOperationInProgress", "busy").to_response()
    )
    with pytest.raises(GatewayError) as caught:
        gateway.put_custom_api("api", API)
    assert caught.value.arm_code == "AnotherOperationInProgress" and caught.value.problem.hint
    assert gateway.requests.counts[("PUT", "Microsoft.Web/customApis")] == gateway.settings.operation_attempts
