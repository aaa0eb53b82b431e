"""Pure parts of the gateway: request counting keys, ARM error mapping, credentials, request builders."""

from __future__ import annotations

import json

import pytest
from azure.core.rest import HttpRequest

from connectorops.errors import AuthenticationError
from connectorops.targets.arm import builders
from connectorops.targets.transport.credentials import EnvironmentTokenCredential, StaticTokenCredential
from connectorops.targets.transport.pipeline import resource_type_of

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"https://h{SUB}/resourceGroups/rg/providers/Microsoft.Web/customApis/a?api-version=1",
            "Microsoft.Web/customApis",
        ),
        (f"https://h{SUB}/resourceGroups/rg/providers/Microsoft.Web/customApis", "Microsoft.Web/customApis"),
        (f"https://h{SUB}/providers/Microsoft.Web/customApis?$skiptoken=x", "Microsoft.Web/customApis"),
        (
            f"https://h{SUB}/resourceGroups/rg/providers/Microsoft.Web/customApis/a/providers/"
            "Microsoft.Authorization/roleAssignments/g",
            "Microsoft.Authorization/roleAssignments",
        ),
        (f"https://h{SUB}/resourceGroups/rg/providers/Microsoft.Logic/workflows", "Microsoft.Logic/workflows"),
        (f"https://h{SUB}/resourceGroups/rg", "resourceGroups"),
    ],
)
def test_requests_are_counted_by_the_last_provider_type_in_the_path(url: str, expected: str) -> None:
    assert resource_type_of(url) == expected


def test_static_credential_returns_its_token_and_hides_it_in_repr() -> None:
    credential = StaticTokenCredential("tok-123")
    token = credential.get_token("https://management.azure.com/.default")
    assert token.token == "tok-123"
    assert "tok-123" not in repr(credential)
    with pytest.raises(AuthenticationError):
        StaticTokenCredential("")


def test_env_credential_reads_the_variable_at_each_use(monkeypatch: pytest.MonkeyPatch) -> None:
    credential = EnvironmentTokenCredential()
    monkeypatch.delenv("CONNECTOROPS_ARM_TOKEN", raising=False)
    with pytest.raises(AuthenticationError) as caught:
        credential.get_token("scope")
    assert caught.value.problem.hint and "CONNECTOROPS_ARM_TOKEN" in caught.value.problem.hint
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", "first")
    assert credential.get_token("scope").token == "first"
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", "second")
    assert credential.get_token("scope").token == "second"
    assert "second" not in repr(credential)


def test_names_cannot_add_path_segments() -> None:
    assert builders.segment("a/../b?c") == "a%2F..%2Fb%3Fc"


def test_put_builder_sets_api_version_conditions_and_json() -> None:
    request: HttpRequest = builders.put_resource("/x", "2016-06-01", {"a": 1}, if_match='"e1"', if_none_match="*")
    assert request.method == "PUT"
    assert request.url == "/x?api-version=2016-06-01"
    assert request.headers["If-Match"] == '"e1"' and request.headers["If-None-Match"] == "*"
    assert json.loads(request.content) == {"a": 1}
    assert "If-Match" not in builders.put_resource("/x", "v", {}).headers


def test_list_builder_adds_filter_only_when_given() -> None:
    assert builders.list_collection("/c", "2022-04-01").url == "/c?api-version=2022-04-01"
    filtered = builders.list_collection("/c", "2022-04-01", filter="atScope()")
    assert filtered.url == "/c?api-version=2022-04-01&$filter=atScope()"


def test_next_links_spelling_out_the_default_port_are_the_same_endpoint() -> None:
    from connectorops.targets.arm.gateway import origin as _origin

    assert _origin("https", "Management.Azure.com", None) == _origin("https", "management.azure.com", 443)
    assert _origin("https", "management.azure.com", None) != _origin("https", "management.azure.com", 8443)
    assert _origin("https", "management.azure.com", None) != _origin("https", "evil.example", None)


class FakeResponse:
    """Just what arm_errors reads from an azure-core HttpResponse."""

    def __init__(self, status_code: int, body: str, reason: str = "Reason") -> None:
        self.status_code = status_code
        self._body = body
        self.reason = reason

    def text(self) -> str:
        return self._body


@pytest.mark.parametrize(
    ("status", "body", "code", "error_type"),
    [
        (
            400,
            '{"error": {"code": "InvalidRequestContent", "message": "bad body"}}',
            "InvalidRequestContent",
            "Gateway",
        ),
        (
            401,
            '{"error": {"code": "InvalidAuthenticationToken", "message": "no"}}',
            "InvalidAuthenticationToken",
            "Authentication",
        ),
        (503, "<html>gateway timeout</html>", None, "Gateway"),
    ],
)
def test_arm_errors_keep_status_code_message_and_get_a_hint(
    status: int, body: str, code: str | None, error_type: str
) -> None:
    from connectorops.targets.transport.arm_errors import gateway_error

    error = gateway_error(FakeResponse(status, body), "PUT Microsoft.Web/customApis/orders")  # type: ignore[arg-type]
    assert type(error).__name__ == f"{error_type}Error"
    assert (error.status, error.arm_code) == (status, code)
    assert str(error).startswith(f"PUT Microsoft.Web/customApis/orders: ARM answered {status}")
    assert error.problem.hint
    if code:
        assert json.loads(body)["error"]["message"] in str(error)
    else:
        assert "Reason" in str(error)
