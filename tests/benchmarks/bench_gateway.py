"""Requests per second through the gateway (full azure-core pipeline, HTTPS) against the emulator.

Prints numbers only; no timing assertions. Run: `pytest -q -s tests/benchmarks/bench_gateway.py`
or `python tests/benchmarks/bench_gateway.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from connectorops.emulator.server import EmulatorServer
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
from connectorops.targets.transport.credentials import StaticTokenCredential

PUTS = 300
GETS = 600
THREADS = 4
BODY = {
    "location": "westeurope",
    "tags": {"managed-by": "connectorops"},
    "properties": {
        "displayName": "Bench",
        "swagger": {"swagger": "2.0", "info": {"title": "Bench", "version": "1"}, "paths": {}},
    },
}


def _rate(label: str, count: int, work: Callable[[int], object], threads: int = 1) -> float:
    started = time.perf_counter()
    if threads == 1:
        for i in range(count):
            work(i)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(count)))
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"{label:<38} {count:>5} calls in {elapsed:6.2f} s = {rate:8.1f} calls/s")
    return rate


def run_benchmark() -> tuple[dict[str, float], dict[str, int]]:
    with EmulatorServer() as emulator:
        info = emulator.info
        assert info is not None
        emulator.ensure_resource_group(info.subscription_id, "rg-bench", "westeurope")
        target = ArmTarget(
            base_url=info.base_url,
            subscription_id=info.subscription_id,
            resource_group="rg-bench",
            location="westeurope",
            credential=StaticTokenCredential(info.token),
            ca_bundle=info.ca_path,
        )
        with ArmGateway(target) as gateway:
            rates = {
                "put": _rate("PUT customApis (1 thread)", PUTS, lambda i: gateway.put_custom_api(f"api-{i}", BODY)),
                "get": _rate("GET customApis (1 thread)", GETS, lambda i: gateway.get_custom_api(f"api-{i % PUTS}")),
                "get_parallel": _rate(
                    f"GET customApis ({THREADS} threads)",
                    GETS,
                    lambda i: gateway.get_custom_api(f"api-{i % PUTS}"),
                    THREADS,
                ),
                "list": _rate("list customApis (300 items = 3 GETs)", 20, lambda i: gateway.list_custom_apis()),
            }
            counted = gateway.requests.snapshot()
            print("requests counted:", counted)
    return rates, counted


def test_gateway_throughput() -> None:
    rates, counted = run_benchmark()
    assert all(rate > 0 for rate in rates.values())
    # one HTTP request per call (no hidden retries), three pages per list of 300
    assert counted == {"GET Microsoft.Web/customApis": 2 * GETS + 20 * 3, "PUT Microsoft.Web/customApis": PUTS}


if __name__ == "__main__":
    run_benchmark()
