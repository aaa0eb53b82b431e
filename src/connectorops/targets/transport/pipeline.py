"""The HTTP pipeline under the gateway: azure-core's ARM pipeline with transport retries,
bearer-token auth, a CA bundle for private endpoints, and a counter of every request sent.

Policy order: ... ArmRetryPolicy -> ARMChallengeAuthenticationPolicy -> RequestCountingPolicy ->
AttemptsPolicy -> transport, so each retry attempt is counted (it is a request the server saw) and
the gateway can tell whether one operation was sent more than once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core import PipelineClient
from azure.core.configuration import Configuration
from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    CustomHookPolicy,
    HeadersPolicy,
    NetworkTraceLoggingPolicy,
    ProxyPolicy,
    RedirectPolicy,
    RetryPolicy,
    SansIOHTTPPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

from connectorops import __name__ as package_name


@dataclass(frozen=True)
class RetrySettings:
    """Transport retries (429/5xx/connection errors, honouring Retry-After) and operation-level retries.

    Defaults suit Azure; tests pass small backoffs so they stay fast.
    """

    total: int = 8
    connect: int = 3
    read: int = 3
    status: int = 6
    backoff_factor: float = 0.8
    backoff_max: float = 60.0
    timeout: float = 600.0  # give up retrying after this many seconds in total
    connection_timeout: float = 30.0
    read_timeout: float = 120.0
    # tenacity: 409 "another operation in progress" and role-assignment PrincipalNotFound
    operation_attempts: int = 6
    operation_wait_initial: float = 1.0
    operation_wait_max: float = 20.0


def resource_type_of(url: str) -> str:
    """ "Microsoft.Web/customApis" for any URL below .../providers/Microsoft.Web/customApis[/...]."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        index = len(lowered) - 1 - lowered[::-1].index("providers")
        if len(parts) > index + 2:
            return f"{parts[index + 1]}/{parts[index + 2]}"
    if len(parts) >= 4 and lowered[2] == "resourcegroups":
        return "resourceGroups"
    return parts[0] if parts else ""


class RequestCountingPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Counts each request handed to the transport, keyed (verb, resource type)."""

    def __init__(self, record: Callable[[str, str], None], resource_type: str | None = None) -> None:
        self._record = record
        self._resource_type = resource_type

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        http = request.http_request
        self._record(http.method.upper(), self._resource_type or resource_type_of(http.url))


class Attempts:
    """How many times one gateway operation was sent: pipeline retries and operation-level retries."""

    def __init__(self) -> None:
        self.count = 0

    @property
    def retried(self) -> bool:
        return self.count > 1


# The per-request option that carries an Attempts into the pipeline (popped before the transport).
ATTEMPTS_OPTION = "connectorops_attempts"


class AttemptsPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Counts the attempts of one request into the Attempts passed as `connectorops_attempts=`."""

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        # The first attempt moves the option into the context: the transport rejects unknown options,
        # and the context outlives each retry.
        passed = request.context.options.pop(ATTEMPTS_OPTION, None)
        if passed is not None:
            request.context[ATTEMPTS_OPTION] = passed
        attempts = request.context.get(ATTEMPTS_OPTION)
        if isinstance(attempts, Attempts):
            attempts.count += 1


# azure-core retries only HEAD/GET/PUT/DELETE/OPTIONS/TRACE after a connection error or a 408/429/502;
# PATCH and POST only on a 500/503/504 answer, as a PATCH in general need not be idempotent. Ours are:
# the gateway's only PATCH sets absolute tag values, so repeating it cannot change the outcome. POST
# stays out (the gateway sends none).
RETRIED_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"})


class ArmRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy with PATCH among the methods retried (see RETRIED_METHODS)."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("retry_on_methods", RETRIED_METHODS)
        return super().configure_retries(options)


class CounterSink:
    """Thread-safe increments into a Counter keyed (verb, resource type)."""

    def __init__(self, counts: dict[tuple[str, str], int]) -> None:
        self._counts = counts
        self._lock = threading.Lock()

    def __call__(self, verb: str, resource_type: str) -> None:
        with self._lock:
            self._counts[(verb, resource_type)] = self._counts.get((verb, resource_type), 0) + 1


def _transport(ca_bundle: str | None, settings: RetrySettings) -> RequestsTransport:
    # connection_verify is a CA bundle path or True (system store); it is never False.
    return RequestsTransport(
        connection_verify=ca_bundle or True,
        connection_timeout=settings.connection_timeout,
        read_timeout=settings.read_timeout,
    )


def _retry_policy(settings: RetrySettings) -> RetryPolicy:
    return ArmRetryPolicy(
        retry_total=settings.total,
        retry_connect=settings.connect,
        retry_read=settings.read,
        retry_status=settings.status,
        retry_backoff_factor=settings.backoff_factor,
        retry_backoff_max=settings.backoff_max,
        timeout=settings.timeout,
    )


def _configuration(settings: RetrySettings) -> Configuration[Any, Any]:
    # Any: azure-core's policy classes are typed for its legacy transport types as well.
    config: Configuration[Any, Any] = Configuration()
    config.headers_policy = HeadersPolicy()
    config.user_agent_policy = UserAgentPolicy(sdk_moniker=f"{package_name}/gateway")
    config.proxy_policy = ProxyPolicy()
    config.redirect_policy = RedirectPolicy()
    config.retry_policy = _retry_policy(settings)
    config.custom_hook_policy = CustomHookPolicy()
    config.logging_policy = NetworkTraceLoggingPolicy()
    return config


def build_arm_client(
    base_url: str,
    credential_scope: str,
    credential: TokenCredential,
    ca_bundle: str | None,
    counter: Callable[[str, str], None],
    settings: RetrySettings,
) -> ARMPipelineClient[HttpRequest, HttpResponse]:
    """An ARMPipelineClient: RP auto-registration, ARM logging, retries, bearer auth, counting."""
    config = _configuration(settings)
    config.authentication_policy = ARMChallengeAuthenticationPolicy(credential, credential_scope)
    config.http_logging_policy = ARMHttpLoggingPolicy()
    return ARMPipelineClient(
        base_url=base_url,
        config=config,
        per_retry_policies=[RequestCountingPolicy(counter), AttemptsPolicy()],
        transport=_transport(ca_bundle, settings),
    )


def build_bearer_client(
    base_url: str,
    credential_scope: str,
    credential: TokenCredential,
    ca_bundle: str | None,
    counter: Callable[[str, str], None],
    settings: RetrySettings,
) -> PipelineClient[HttpRequest, HttpResponse]:
    """A plain azure-core pipeline with the same retries (Retry-After), counting and CA bundle as the ARM
    client, and bearer auth without ARM's resource-provider registration: for non-ARM APIs (Power Platform)."""
    config = _configuration(settings)
    config.authentication_policy = BearerTokenCredentialPolicy(credential, credential_scope)
    return PipelineClient(
        base_url=base_url,
        config=config,
        per_retry_policies=[RequestCountingPolicy(counter), AttemptsPolicy()],
        transport=_transport(ca_bundle, settings),
    )


def build_download_client(
    ca_bundle: str | None,
    counter: Callable[[str, str], None],
    settings: RetrySettings,
    resource_type: str = "Microsoft.Web/customApis/apiDefinitions",
) -> PipelineClient[HttpRequest, HttpResponse]:
    """A pipeline WITHOUT authentication, for SAS-style URLs (swagger downloads): our token never goes there."""
    config = _configuration(settings)
    # The URL comes from ARM's answer and was checked to be https; a redirect could lead anywhere
    # (plain http, a metadata address), so none is followed: a 3xx is an error.
    config.redirect_policy = RedirectPolicy(permit_redirects=False)
    return PipelineClient(
        base_url="https://localhost",  # every request carries an absolute URL
        config=config,
        per_retry_policies=[RequestCountingPolicy(counter, resource_type)],
        transport=_transport(ca_bundle, settings),
    )
