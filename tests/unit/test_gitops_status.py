"""The /healthz, /status and /metrics endpoints, the JSON-lines log format and the backoff maths."""

from __future__ import annotations

import io
import json
import logging
import random
import urllib.error
import urllib.request

import pytest

from connectorops.errors import ConnectoropsError
from connectorops.gitops.backoff import CircuitBreaker, CircuitState, jittered_backoff
from connectorops.gitops.logs import JsonLineFormatter, mask
from connectorops.gitops.status import ControllerStatus, ReconcileOutcome
from connectorops.gitops.status_server import parse_listen, start_status_server


def make_status() -> ControllerStatus:
    return ControllerStatus(environment="dev", mode="apply", branch="main", repo_url="/srv/r.git", interval=60)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_endpoints_serve_status_metrics_and_health() -> None:
    status = make_status()
    status.record(
        ReconcileOutcome(
            "abc123", "success", 100.0, 102.5, changes=2, applied=2, drift={"total": 1, "changed": ["orders"]}
        )
    )
    server = start_status_server("127.0.0.1:0", status)
    try:
        code, ctype, body = get(server.url + "/status")
        doc = json.loads(body)
        assert code == 200 and ctype == "application/json"
        assert doc["revision"] == "abc123"
        assert doc["lastReconcile"]["result"] == "success"
        assert doc["lastReconcile"]["durationSeconds"] == 2.5
        assert doc["drift"] == {"total": 1, "changed": ["orders"]}

        code, ctype, body = get(server.url + "/metrics")
        assert code == 200 and ctype.startswith("text/plain; version=0.0.4")
        assert 'connectorops_reconcile_total{environment="dev",result="success"} 1' in body
        assert 'connectorops_applied_actions_total{environment="dev"} 2' in body
        assert 'connectorops_drift_resources{environment="dev"} 1' in body
        assert 'connectorops_reconcile_duration_seconds_sum{environment="dev"} 2.5' in body
        assert "# TYPE connectorops_reconcile_total counter" in body

        assert get(server.url + "/healthz")[0] == 200
        assert get(server.url + "/nope")[0] == 404
        status.heartbeat -= 3600  # the loop hung
        assert get(server.url + "/healthz")[0] == 503
    finally:
        server.stop()


def test_failure_sets_last_error_but_keeps_last_drift() -> None:
    status = make_status()
    status.record(ReconcileOutcome("a", "success", 1, 2, drift={"total": 3}))
    status.record(ReconcileOutcome("a", "failure", 3, 4, message="ARM unavailable"))
    doc = status.to_dict()
    assert doc["drift"] == {"total": 3}
    assert doc["lastError"] == "ARM unavailable"
    assert 'result="failure"} 1' in status.metrics_text()


@pytest.mark.parametrize(("text", "expected"), [("127.0.0.1:9090", ("127.0.0.1", 9090)), (":0", ("127.0.0.1", 0))])
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9090", "host:", "host:99999", "host:http"])
def test_parse_listen_rejects(text: str) -> None:
    with pytest.raises(ConnectoropsError, match="--listen"):
        parse_listen(text)


def test_port_in_use_is_a_user_error() -> None:
    server = start_status_server("127.0.0.1:0", make_status())
    try:
        port = server.server_address[1]
        with pytest.raises(ConnectoropsError, match="cannot listen"):
            start_status_server(f"127.0.0.1:{port}", make_status())
    finally:
        server.stop()


def test_json_log_lines_carry_extra_fields_and_mask_secrets() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("connectorops.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info(
            "fetch https://bot:hunter2@git.example.com/r.git",
            extra={"event": "x", "client_secret": "s3cr3t", "url": "https://t0k@h/r", "n": 3, "auth": "Bearer abc.def"},
        )
        try:
            raise ValueError("Bearer eyJhbGci")
        except ValueError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "x" and first["n"] == 3 and first["level"] == "info"
    assert first["client_secret"] == "***"
    assert "hunter2" not in json.dumps(first) and "t0k" not in json.dumps(first) and "abc.def" not in json.dumps(first)
    assert second["error_type"] == "ValueError" and "eyJhbGci" not in json.dumps(second)
    assert mask("see https://u:p@h/x") == "see https://***@h/x"


def test_jittered_backoff_grows_and_is_capped() -> None:
    rng = random.Random(7)
    samples = [[jittered_backoff(n, initial=1, maximum=10, rng=rng) for _ in range(200)] for n in (1, 2, 3, 6)]
    assert max(samples[0]) <= 1 and max(samples[1]) <= 2 and max(samples[2]) <= 4
    assert max(samples[3]) <= 10 and min(min(s) for s in samples) >= 0.5
    assert sum(samples[2]) / 200 > sum(samples[0]) / 200  # grows on average
    assert jittered_backoff(0, initial=1, maximum=10) == 0


def test_circuit_breaker_opens_half_opens_and_doubles_cooldown() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown=10, max_cooldown=25)
    breaker.record_failure(0)
    assert breaker.state(0) == CircuitState.CLOSED
    breaker.record_failure(1)
    assert breaker.state(5) == CircuitState.OPEN and not breaker.allows(5)
    assert breaker.state(11) == CircuitState.HALF_OPEN and breaker.allows(11)
    breaker.record_failure(11)  # trial failed: open again, twice as long
    assert breaker.opened_until == 31
    breaker.record_failure(40)
    assert breaker.opened_until == 65  # capped at max_cooldown
    breaker.record_success()
    assert breaker.state(41) == CircuitState.CLOSED and breaker.failures == 0
