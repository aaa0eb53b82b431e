"""Postman v2.x -> OpenAPI 2.0 mapping rules, one behaviour per test, on small hand-made collections."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.postman import convert_collection
from connectorops.errors import DefinitionError

SCHEMA_21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def collection(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"info": {"name": "Shop", "schema": SCHEMA_21}, "item": list(items), **extra}


def request(name: str, method: str, raw: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "request": {"method": method, "url": raw, **fields}}


def convert(data: dict[str, Any], **variables: str) -> dict[str, Any]:
    document, _ = convert_collection(data, file="c.json", variables=variables)
    assert validate_openapi(document, "c.json", strict=True) == []
    return document


def test_folders_become_tags_and_names_summaries() -> None:
    data = collection(
        {"name": "Orders", "item": [{"name": "Lines", "item": [request("List lines", "GET", "https://a.io/lines")]}]}
    )
    operation = convert(data)["paths"]["/lines"]["get"]
    assert operation["tags"] == ["Orders / Lines"]
    assert operation["summary"] == "List lines"
    assert operation["operationId"] == "ListLines"


def test_colon_and_variable_segments_become_path_parameters() -> None:
    data = collection(request("Get line", "GET", "https://a.io/orders/:orderId/lines/{{lineId}}"))
    paths = convert(data)["paths"]
    assert list(paths) == ["/orders/{orderId}/lines/{lineId}"]
    parameters = paths["/orders/{orderId}/lines/{lineId}"]["get"]["parameters"]
    names = [(p["name"], p["in"], p["required"]) for p in parameters]
    assert names == [("orderId", "path", True), ("lineId", "path", True)]


def test_base_url_from_collection_variables_and_connector_variables_win() -> None:
    data = collection(
        request("Ping", "GET", "{{baseUrl}}/ping"), variable=[{"key": "baseUrl", "value": "https://old.io/v1"}]
    )
    assert (convert(data)["host"], convert(data)["basePath"]) == ("old.io", "/v1")
    overridden = convert(data, baseUrl="https://new.io/v2")
    assert (overridden["host"], overridden["basePath"], list(overridden["paths"])) == ("new.io", "/v2", ["/ping"])


def test_unknown_host_variable_is_a_clear_error() -> None:
    with pytest.raises(DefinitionError, match="baseUrl") as caught:
        convert_collection(collection(request("Ping", "GET", "{{baseUrl}}/ping")), file="c.json")
    assert "definition.variables" in (caught.value.problem.hint or "")


def test_query_and_header_parameters_without_credentials() -> None:
    headers = [
        {"key": "X-Tenant", "value": "contoso", "description": "Tenant name"},
        {"key": "Authorization", "value": "Bearer s3cr3t-t0ken-value"},
        {"key": "Content-Type", "value": "application/json"},
        {"key": "X-Off", "value": "1", "disabled": True},
    ]
    data = collection(request("Search", "GET", "https://a.io/search?q=shoes&page=2", header=headers))
    document = convert(data)
    parameters = document["paths"]["/search"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("q", "query"), ("page", "query"), ("X-Tenant", "header")]
    assert parameters[2]["description"] == "Tenant name"
    assert "s3cr3t-t0ken-value" not in json.dumps(document)


def test_raw_json_body_becomes_a_typed_schema_without_values() -> None:
    body = {"mode": "raw", "raw": '{"sku": "A-1", "qty": 2, "price": 9.5, "gift": false, "tags": ["x"], "to": {}}'}
    data = collection(request("Add", "POST", "https://a.io/cart", body=body))
    operation = convert(data)["paths"]["/cart"]["post"]
    assert operation["consumes"] == ["application/json"]
    assert operation["parameters"] == [
        {
            "name": "body",
            "in": "body",
            "required": True,
            "schema": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "qty": {"type": "integer"},
                    "price": {"type": "number"},
                    "gift": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "to": {"type": "object", "properties": {}},
                },
            },
        }
    ]
    assert "A-1" not in json.dumps(operation)


def test_first_saved_example_becomes_the_response_schema() -> None:
    item = request("Get", "GET", "https://a.io/items/:id")
    item["response"] = [
        {"name": "found", "code": 200, "status": "OK", "body": '{"id": 7}'},
        {"name": "missing", "code": 404, "status": "Not Found", "body": '{"error": "x"}'},
    ]
    responses = convert(collection(item))["paths"]["/items/{id}"]["get"]["responses"]
    assert responses == {
        "200": {"description": "OK", "schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}
    }


def test_collection_auth_is_security_and_folder_noauth_overrides() -> None:
    data = collection(
        request("Private", "GET", "https://a.io/private"),
        {"name": "Public", "auth": {"type": "noauth"}, "item": [request("Open", "GET", "https://a.io/open")]},
        auth={"type": "apikey", "apikey": [{"key": "key", "value": "X-Key"}, {"key": "value", "value": "k-123456"}]},
    )
    document = convert(data)
    assert document["securityDefinitions"] == {"api_key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    assert document["security"] == [{"api_key": []}]
    assert "security" not in document["paths"]["/private"]["get"]
    assert document["paths"]["/open"]["get"]["security"] == []
    assert "k-123456" not in json.dumps(document)


def test_basic_auth_values_are_scrubbed_even_from_descriptions() -> None:
    item = request("Login", "GET", "https://a.io/me", description="Use user / hunter22 to try it")
    data = collection(item, auth={"type": "basic", "basic": [{"key": "password", "value": "hunter22"}]})
    document = convert(data)
    assert document["securityDefinitions"] == {"basic_auth": {"type": "basic"}}
    assert "hunter22" not in json.dumps(document)
    assert document["paths"]["/me"]["get"]["description"] == "Use user / [redacted] to try it"


def test_operation_ids_are_sanitized_and_unique() -> None:
    data = collection(
        request("get  order #1!", "GET", "https://a.io/a"),
        request("Get order 1", "GET", "https://a.io/b"),
        request("", "DELETE", "https://a.io/c/d"),
    )
    ids = [op["operationId"] for item in convert(data)["paths"].values() for op in item.values()]
    assert ids == ["GetOrder1", "GetOrder12", "DeleteCD"]


def test_same_method_and_path_is_one_operation_with_a_warning() -> None:
    data = collection(
        request("First", "GET", "https://a.io/items/:id"), request("Second", "GET", "https://a.io/items/:itemId")
    )
    document, warnings = convert_collection(data, file="c.json")
    assert list(document["paths"]) == ["/items/{id}"]
    assert document["paths"]["/items/{id}"]["get"]["summary"] == "First"
    assert any("Second" in w.message for w in warnings)


def test_pre_request_script_setting_auth_is_reported() -> None:
    script = {"listen": "prerequest", "script": {"exec": ["pm.request.headers.add({key: 'Authorization'})"]}}
    _, warnings = convert_collection(collection(request("A", "GET", "https://a.io/a"), event=[script]), file="c.json")
    assert [w.code for w in warnings] == ["PostmanScriptAuth"]
    assert "auth:" in (warnings[0].hint or "")


def test_empty_v1_and_unknown_formats_are_refused() -> None:
    with pytest.raises(DefinitionError, match="no requests"):  # v1 is converted; an empty one has nothing
        convert_collection({"id": "x", "name": "n", "requests": []}, file="c.json")
    with pytest.raises(DefinitionError, match="not a Postman collection"):
        convert_collection({"swagger": "2.0"}, file="c.json")
    with pytest.raises(DefinitionError, match="no requests"):
        convert_collection(collection(), file="c.json")


def test_formdata_body_becomes_form_parameters() -> None:
    body = {"mode": "formdata", "formdata": [{"key": "file", "type": "file"}, {"key": "note", "value": "hi"}]}
    operation = convert(collection(request("Upload", "POST", "https://a.io/up", body=body)))["paths"]["/up"]["post"]
    assert operation["consumes"] == ["multipart/form-data"]
    assert [(p["name"], p["in"], p["type"]) for p in operation["parameters"]] == [
        ("file", "formData", "file"),
        ("note", "formData", "string"),
    ]


def test_empty_base_url_variable_falls_back_to_the_backend_url() -> None:
    data = collection(request("Ping", "GET", "{{baseUrl}}/ping"), variable=[{"key": "baseUrl", "value": ""}])
    document, _ = convert_collection(data, file="c.json", default_base_url="https://api.contoso.com/v3")
    assert (document["host"], document["basePath"], list(document["paths"])) == ("api.contoso.com", "/v3", ["/ping"])


def test_oauth2_endpoints_from_variables_become_placeholders_with_a_warning() -> None:
    settings = [{"key": "authUrl", "value": "{{auth}}"}, {"key": "clientSecret", "value": "cs-9876"}]
    auth = {"type": "oauth2", "oauth2": settings}
    document, warnings = convert_collection(collection(request("A", "GET", "https://a.io/a"), auth=auth), file="c.json")
    assert document["securityDefinitions"]["oauth2_auth"]["authorizationUrl"] == "https://login.example.com/authorize"
    assert [w.code for w in warnings] == ["PostmanOAuthPlaceholder"]
    assert "cs-9876" not in json.dumps(document)
