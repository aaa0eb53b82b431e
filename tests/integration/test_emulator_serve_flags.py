"""`connectorops emulator serve --throttle / --faults RATE[,SEED]` (issue 14, item 9) and the request
counts a benchmark reads from GET /_emulator/requests."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration

Serve = Callable[..., dict[str, Any]]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    started: list[subprocess.Popen[str]] = []

    def start(*flags: str) -> dict[str, Any]:
        command = ["--repo", str(tmp_path), "emulator", "serve", "--db", str(tmp_path / f"e{len(started)}.db")]
        process = subprocess.Popen(
            [sys.executable, "-m", "connectorops.cli", *command, *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        return dict(json.loads(process.stdout.readline()))

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def get(info: dict[str, Any], path: str, method: str = "GET") -> requests.Response:
    return requests.request(
        method,
        f"{info['base_url']}{path}",
        params={"api-version": "2021-04-01"},
        headers={"Authorization": f"Bearer {info['token']}"},
        verify=info["ca_path"],
        timeout=10,
    )


def test_throttle_flag_sends_arm_ratelimit_headers(serve: Serve) -> None:
    info = serve("--throttle")
    groups = f"/subscriptions/{info['subscription_id']}/resourcegroups"
    first, *rest = [get(info, groups) for _ in range(5)]
    assert first.status_code == 200
    assert first.headers["x-ms-ratelimit-remaining-subscription-reads"] == "249"  # ARM's bucket of 250
    # each read takes a token; the bucket refills 25 a second, so on a slow machine one may be back already
    later = [int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]) for r in rest]
    assert all(240 <= remaining <= 249 for remaining in later) and min(later) < 249
    unthrottled = serve()
    assert "x-ms-ratelimit-remaining-subscription-reads" not in get(unthrottled, groups).headers


def test_faults_flag_injects_seeded_faults_and_requests_are_counted(serve: Serve) -> None:
    info = serve("--faults", "1,7")  # every request faulted
    groups = f"/subscriptions/{info['subscription_id']}/resourcegroups"
    outcomes = []
    for _ in range(6):
        try:
            outcomes.append(get(info, groups).status_code)
        except requests.ConnectionError:
            outcomes.append("reset")
    assert outcomes and all(o in (500, 503, "reset") for o in outcomes)
    again = serve("--faults", "1,7")
    replay = []
    for _ in range(6):
        try:
            replay.append(get(again, groups).status_code)
        except requests.ConnectionError:
            replay.append("reset")
    assert replay == outcomes  # the seed makes the sequence reproducible
    counts = get(info, "/_emulator/requests").json()
    assert counts["byVerbAndType"] == {"GET Microsoft.Resources/resourceGroups": 6}
    assert counts["total"] == 6 and counts["byVerb"] == {"GET": 6}
    assert get(info, "/_emulator/requests", "DELETE").status_code == 204
    assert get(info, "/_emulator/requests").json()["total"] == 0


def test_request_counts_need_the_token_and_count_per_type(serve: Serve) -> None:
    info = serve()
    sub = f"/subscriptions/{info['subscription_id']}"
    get(info, f"{sub}/resourcegroups/rg-a")
    get(info, f"{sub}/resourceGroups/rg-a/providers/Microsoft.Web/customApis")
    get(info, f"{sub}/providers/Microsoft.Web")
    counts = get(info, "/_emulator/requests").json()["byType"]
    assert counts == {
        "Microsoft.Resources/providers": 1,
        "Microsoft.Resources/resourceGroups": 1,
        "Microsoft.Web/customApis": 1,
    }
    anonymous = requests.get(f"{info['base_url']}/_emulator/requests", verify=info["ca_path"], timeout=10)
    assert anonymous.status_code == 401


def test_a_bad_faults_value_is_one_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "connectorops.cli", "--repo", str(tmp_path), "emulator", "serve", "--faults", "lots"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "--faults 'lots' is not RATE[,SEED]" in result.stderr and "--faults 0.05,42" in result.stderr
    assert "Traceback" not in result.stderr
