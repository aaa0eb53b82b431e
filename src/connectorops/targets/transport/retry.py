"""Operation-level retries (tenacity) for what the transport cannot know is transient.

Only two cases, both bounded and jittered: 409 "another operation in progress" on a resource,
and a role assignment's PrincipalNotFound right after the principal was created (replication).
429 and 5xx are the transport's job (azure-core RetryPolicy, honouring Retry-After): never here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from connectorops.errors import GatewayError
from connectorops.targets.transport.pipeline import RetrySettings

T = TypeVar("T")

IN_PROGRESS_CODES = frozenset(
    {"anotheroperationinprogress", "operationinprogress", "conflictingoperationinprogress", "concurrentoperation"}
)


def is_operation_in_progress(error: BaseException) -> bool:
    return (
        isinstance(error, GatewayError) and error.status == 409 and (error.arm_code or "").lower() in IN_PROGRESS_CODES
    )


def is_principal_not_found(error: BaseException) -> bool:
    return isinstance(error, GatewayError) and error.status == 400 and error.arm_code == "PrincipalNotFound"


def with_retries(call: Callable[[], T], settings: RetrySettings, *, retry_on: Callable[[BaseException], bool]) -> T:
    """`call()`, retried while `retry_on(error)`; the last error is re-raised unchanged."""
    # imported here: tenacity imports asyncio (~40 ms), and a read-only plan never retries an operation
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

    retrying = Retrying(
        stop=stop_after_attempt(max(1, settings.operation_attempts)),
        wait=wait_random_exponential(multiplier=settings.operation_wait_initial, max=settings.operation_wait_max),
        retry=retry_if_exception(retry_on),
        reraise=True,
    )
    return retrying(call)
