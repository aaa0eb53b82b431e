"""Real Postman collections (shared/corpus/postman): operation counts, validity, no leaked credentials."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from connectorops.definitions.documents import parse_json
from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.postman import convert_collection

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "postman"
if not CORPUS.is_dir():  # the checkout may sit elsewhere; the corpus lives next to it in /work/shared
    CORPUS = Path("/work/shared/corpus/postman")
V2_FILES = sorted(p.name for p in CORPUS.glob("*.json") if "v1" not in p.name)
OPENAPI_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"}
# Auth settings that are names/locations/flags, not credentials (independent of the converter's list).
NOT_CREDENTIALS = {"key", "in", "username", "algorithm", "signatureMethod", "version", "realm", "addParamsToHeader"}
NOT_CREDENTIALS |= {"addEmptyParamsToSign", "saveHelperData", "showPassword", "nonceCount", "qop", "headerPrefix"}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def _convert(name: str) -> dict[str, Any]:
    collection, _ = parse_json((CORPUS / name).read_bytes(), name)
    document, _ = convert_collection(collection, file=name)
    return document


def _requests(items: list[Any]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        if "item" in item:
            found += _requests(item["item"])
        elif "request" in item:
            request = item["request"]
            found.append({"url": request, "method": "GET"} if isinstance(request, str) else request)
    return found


def _path_shape(url: Any) -> str:
    """The request's path with every :param / {{var}} segment as {} — computed from the raw URL."""
    raw = url if isinstance(url, str) else url.get("raw", "")
    raw = raw.split("?")[0].split("#")[0]
    raw = raw.split("://", 1)[-1]
    path = raw.split("/", 1)[1] if "/" in raw else ""
    segments = [s for s in path.split("/") if s]
    return "/" + "/".join("{}" if s.startswith(":") or "{{" in s else s for s in segments)


def _expected_operations(collection: dict[str, Any]) -> int:
    keys = set()
    for request in _requests(collection["item"]):
        method = str(request.get("method", "GET")).upper()
        if method in OPENAPI_METHODS:
            keys.add((method, _path_shape(request.get("url"))))
    return len(keys)


def _credentials(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, list):
        for value in node:
            found |= _credentials(value)
    elif isinstance(node, dict):
        auth = node.get("auth")
        if isinstance(auth, dict) and auth.get("type") in auth:
            settings = auth[auth["type"]]
            pairs = (
                [(e.get("key"), e.get("value")) for e in settings]
                if isinstance(settings, list)
                else list(settings.items())
            )
            found |= {v for k, v in pairs if k not in NOT_CREDENTIALS and isinstance(v, str)}
        for header in node.get("header") or [] if isinstance(node.get("header"), list) else []:
            if str(header.get("key", "")).lower() == "authorization":
                found |= {header["value"], header["value"].split(" ", 1)[-1]}
        for value in node.values():
            found |= _credentials(value)
    return {v for v in found if len(v) >= 4 and not re.fullmatch(r"\{\{[^}]+\}\}", v)}


@pytest.mark.parametrize("name", V2_FILES)
def test_v2_collection_converts_to_a_valid_document(name: str) -> None:
    document = _convert(name)
    assert validate_openapi(document, name, strict=True) == []


@pytest.mark.parametrize("name", V2_FILES)
def test_one_operation_per_distinct_method_and_path(name: str) -> None:
    document = _convert(name)
    operations = sum(len(item) for item in document["paths"].values())
    assert operations == _expected_operations(_load(name))


@pytest.mark.parametrize("name", V2_FILES)
def test_no_credential_from_the_collection_reaches_the_output(name: str) -> None:
    output = json.dumps(_convert(name))
    credentials = _credentials(_load(name))
    leaked = sorted(c for c in credentials if c in output)
    assert leaked == []


def test_the_echo_collection_holds_credentials_we_check_for() -> None:
    # Guards the test above against checking nothing: this file ships a bearer token and basic auth.
    credentials = _credentials(_load("newman__echo-v2.postman_collection.json"))
    assert any(c.startswith("vp7jxTwqgczoFHs0") for c in credentials)
    assert "Basic cG9zdG1hbjpwYXNzd29yZA==" in credentials
    document = _convert("newman__echo-v2.postman_collection.json")
    names = {p["name"].lower() for item in document["paths"].values() for op in item.values() for p in op["parameters"]}
    assert "authorization" not in names and names  # other headers and query params are kept


@pytest.mark.parametrize(
    ("name", "operations", "security", "host", "base_path"),
    [
        ("adyen__BalanceControlService-v2.json", 3, {"type": "apiKey", "in": "header", "name": "X-API-Key"},
         "balance-control-test.adyen.com", "/balance-control/api/v2"),
        ("brightspace__Data_Hub.postman_collection.json", 8, {"type": "apiKey", "in": "header",
         "name": "Authorization"}, "devcop.brightspace.com", "/"),
        ("newman__echo-v2.postman_collection.json", 21, {"type": "basic"}, "postman-echo.com", "/"),
        ("newman__multi-level-folders-v2.postman_collection.json", 1, None, "postman-echo.com", "/"),
        ("postman2openapi__todo.postman.json", 6, None, "localhost:3000", "/"),
        ("postman2openapi__twitter-api.postman.json", 11, {"type": "apiKey", "in": "header",
         "name": "Authorization"}, "api.twitter.com", "/"),
        ("transformer__v2.0.0_hackernews.json", 7, None, "hacker-news.firebaseio.com", "/"),
    ],
)  # fmt: skip
def test_pinned_collections(
    name: str, operations: int, security: dict[str, str] | None, host: str, base_path: str
) -> None:
    document = _convert(name)
    assert sum(len(item) for item in document["paths"].values()) == operations
    definitions = list(document["securityDefinitions"].values())
    assert definitions == ([security] if security else [])
    assert (document["host"], document["basePath"]) == (host, base_path)


def test_todo_path_parameters_and_example_response_schema() -> None:
    document = _convert("postman2openapi__todo.postman.json")
    get_todo = document["paths"]["/todos/{id}"]["get"]
    assert get_todo["parameters"][0] == {
        "name": "id", "in": "path", "required": True, "type": "string", "x-ms-url-encoding": "single"
    }  # fmt: skip
    listed = document["paths"]["/todos"]["get"]["responses"]
    # the first saved example is a 304 with an empty object body
    assert listed == {"304": {"description": "Not Modified", "schema": {"type": "object", "properties": {}}}}


def test_v1_collection_is_converted_as_v2_is() -> None:
    # issue 14 item 14: v1 was refused ("export as v2.1"); it is the portal's documented import format
    collection, _ = parse_json((CORPUS / "newman__v1.postman_collection.json").read_bytes(), "v1.json")
    document, warnings = convert_collection(collection, file="v1.json")
    assert (document["host"], document["schemes"]) == ("postman-echo.com", ["https"])
    assert document["info"]["title"] == "Sample Postman Collection"
    get = document["paths"]["/get"]["get"]
    assert get["summary"] == "A simple GET request"
    assert [p["name"] for p in get["parameters"]] == ["source"]
    post = document["paths"]["/post"]["post"]  # v1 `order` puts the text/plain POST first
    assert (post["summary"], post["consumes"]) == ("A simple POST request", ["text/plain"])
    assert post["parameters"][0]["schema"] == {"type": "string"}
    assert any("'A simple POST request with JSON body' repeats POST /post" in w.message for w in warnings)
