"""Postman collections import as the portal imports them (issue 14, items 14-16): v1 converted like v2,
host variables resolved wherever the hint promises, refusals in words, valid security definitions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.postman import convert_collection
from connectorops.errors import DefinitionError

SCHEMA_21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
TOKEN = "eyJhbGciOi-secret-token-4242"


def v2(url: Any, **extra: Any) -> dict[str, Any]:
    return {
        "info": {"name": "Shop", "schema": SCHEMA_21},
        "item": [{"name": "List users", "request": {"method": "GET", "url": url}}],
        **extra,
    }


def convert(data: dict[str, Any], **options: Any) -> dict[str, Any]:
    document, _ = convert_collection(data, file="c.json", **options)
    assert validate_openapi(document, "c.json", strict=True) == []
    return document


# 14. Postman v1 ------------------------------------------------------------------------------------
V1 = {
    "id": "c1",
    "name": "Shop v1",
    "description": "old export",
    "order": ["r-root"],
    "folders_order": ["f-orders"],
    "folders": [
        {"id": "f-orders", "name": "Orders", "order": ["r-list"], "folders_order": ["f-lines"]},
        {"id": "f-lines", "name": "Lines", "order": ["r-line"]},
    ],
    "currentHelper": "bearerAuth",
    "helperAttributes": {"id": "bearer", "token": TOKEN},
    "requests": [
        {
            "id": "r-root",
            "name": "Ping",
            "method": "GET",
            "url": "https://shop.example.com/api/ping",
            "headers": f"Authorization: Bearer {TOKEN}\nX-Trace: on",
        },
        {
            "id": "r-list",
            "name": "List orders",
            "method": "GET",
            "url": "https://shop.example.com/api/orders?top=5",
            "responses": [{"name": "ok", "responseCode": {"code": 200, "name": "OK"}, "text": '[{"id": 1}]'}],
        },
        {
            "id": "r-line",
            "name": "Add line",
            "method": "POST",
            "url": "https://shop.example.com/api/orders/:orderId/lines",
            "headers": "Content-Type: application/json",
            "dataMode": "raw",
            "rawModeData": '{"sku": "A-1", "qty": 2}',
            "currentHelper": "basicAuth",
            "helperAttributes": {"username": "shop-user", "password": "pa55word-xyz"},
        },
    ],
}


def test_v1_requests_folders_and_auth_type_convert_without_any_credential() -> None:
    document = convert(V1)
    assert (document["host"], document["basePath"]) == ("shop.example.com", "/")
    assert document["paths"]["/api/orders"]["get"]["tags"] == ["Orders"]
    line = document["paths"]["/api/orders/{orderId}/lines"]["post"]
    assert line["tags"] == ["Orders / Lines"]
    assert line["security"] == [{"basic_auth": []}]
    assert line["parameters"][-1]["schema"]["properties"] == {"sku": {"type": "string"}, "qty": {"type": "integer"}}
    assert document["paths"]["/api/orders"]["get"]["responses"]["200"]["schema"]["type"] == "array"
    assert document["security"] == [{"bearer_auth": []}]
    assert document["securityDefinitions"]["bearer_auth"] == {"type": "apiKey", "in": "header", "name": "Authorization"}
    ping = document["paths"]["/api/ping"]["get"]
    assert [p["name"] for p in ping["parameters"]] == ["X-Trace"]  # the Authorization header is not a parameter
    text = json.dumps(document)
    for secret in (TOKEN, "pa55word-xyz"):
        assert secret not in text


# 15. host variables ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "options", "expected"),
    [
        # a variable in a nested path segment, filled from definition.variables
        (
            {"raw": "https://h.example.com/api/{{version}}/users", "host": ["h", "example", "com"],
             "path": ["api", "{{version}}", "users"]},
            {"variables": {"version": "v2"}},
            ("h.example.com", "/", "/api/v2/users"),
        ),
        # a variable whose name has a space
        (
            {"raw": "{{base url}}/users", "host": ["{{base url}}"], "path": ["users"]},
            {"variables": {"base url": "https://api.example.com/v1"}},
            ("api.example.com", "/v1", "/users"),
        ),
        # an empty host, with backend.serviceUrl
        ({"raw": "/users", "host": [""], "path": ["users"]}, {"default_base_url": "https://api.example.com"},
         ("api.example.com", "/", "/users")),
        # part of the host is a variable from a Postman environment, with backend.serviceUrl
        (
            {"raw": "https://api.{{domain}}/users", "host": ["api", "{{domain}}"], "path": ["users"]},
            {"default_base_url": "https://api.contoso.com/base"},
            ("api.contoso.com", "/base", "/users"),
        ),
    ],
)  # fmt: skip
def test_host_and_path_variables_resolve_as_the_hint_promises(
    url: dict[str, Any], options: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    document = convert(v2(url), **options)
    assert (document["host"], document["basePath"], *document["paths"]) == expected


def test_a_secret_looking_path_variable_stays_a_parameter() -> None:
    data = v2("https://a.example.com/keys/{{apiKey}}", variable=[{"key": "apiKey", "value": "k-123456"}])
    document = convert(data)
    assert list(document["paths"]) == ["/keys/{apiKey}"] and "k-123456" not in json.dumps(document)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ({"raw": "/users", "host": [], "path": ["users"]}, "has no host in its URL"),
        ("{{baseUrl}}/users", "the host uses the variable(s) 'baseUrl', which have no value here"),
        ({"raw": "https://my host/x", "host": ["my host"], "path": ["x"]}, "'my host' is not a host name"),
    ],
)
def test_refusals_say_what_to_do_in_words(url: Any, words: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        convert_collection(v2(url), file="c.json")
    problem = caught.value.problem
    assert words in problem.message and "does not match" not in str(caught.value)
    assert "backend.serviceUrl" in (problem.hint or "")


# 16. valid OpenAPI from real-world shapes --------------------------------------------------------------------
def test_bearer_auth_is_a_valid_api_key_header_definition() -> None:
    auth = {"type": "bearer", "bearer": [{"key": "token", "value": TOKEN, "type": "string"}]}
    document = convert(v2("https://a.example.com/x", auth=auth))
    assert document["securityDefinitions"] == {
        "bearer_auth": {"type": "apiKey", "in": "header", "name": "Authorization"}
    }
    assert TOKEN not in json.dumps(document)


@pytest.mark.parametrize(
    "url", ["httpbin.org/post", {"raw": "httpbin.org/post", "host": ["httpbin", "org"], "path": ["post"]}]
)
def test_a_url_without_scheme_keeps_its_host(url: Any) -> None:
    document = convert(v2(url))
    assert (document["host"], document["schemes"], list(document["paths"])) == ("httpbin.org", ["https"], ["/post"])
