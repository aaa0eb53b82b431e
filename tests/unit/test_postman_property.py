"""Property: every collection hypothesis can build converts to a document openapi-spec-validator accepts."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectorops.definitions.openapi import validate_openapi
from connectorops.definitions.postman import convert_collection
from connectorops.errors import DefinitionError

SCHEMA_21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
SECRET = "SECRETtok3n"  # every generated credential starts with this, so leaks are easy to find

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
ident = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,8}", fullmatch=True)
segment = st.one_of(
    ident,
    ident.map(lambda s: ":" + s),
    ident.map(lambda s: "{{" + s + "}}"),
    ident.map(lambda s: "v{{" + s + "}}.json"),
    text,
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
secret = st.from_regex(r"[A-Za-z0-9]{4,10}", fullmatch=True).map(lambda s: SECRET + s)
auth = st.one_of(
    st.none(),
    st.just({"type": "noauth"}),
    st.just({"type": "inherit"}),
    secret.map(lambda s: {"type": "bearer", "bearer": [{"key": "token", "value": s}]}),
    secret.map(lambda s: {"type": "basic", "basic": [{"key": "username", "value": "u"}, {"key": "password", "value": s}]}),  # noqa: E501
    st.tuples(ident, secret, st.sampled_from(["header", "query"])).map(
        lambda t: {"type": "apikey", "apikey": [{"key": "key", "value": t[0]}, {"key": "value", "value": t[1]},
                                                {"key": "in", "value": t[2]}]}
    ),
    secret.map(lambda s: {"type": "oauth2", "oauth2": {"accessToken": s, "authUrl": "https://login.io/authorize"}}),
    secret.map(lambda s: {"type": "digest", "digest": {"password": s}}),
)  # fmt: skip
body = st.one_of(
    st.none(),
    json_value.map(lambda v: {"mode": "raw", "raw": json.dumps(v), "options": {"raw": {"language": "json"}}}),
    text.map(lambda t: {"mode": "raw", "raw": t}),
    st.lists(st.tuples(text, st.sampled_from(["text", "file"])), max_size=3).map(
        lambda fields: {"mode": "formdata", "formdata": [{"key": k, "type": t} for k, t in fields]}
    ),
    st.lists(text, max_size=3).map(lambda keys: {"mode": "urlencoded", "urlencoded": [{"key": k} for k in keys]}),
)
example = st.one_of(
    st.none(),
    st.tuples(st.integers(100, 599) | st.none(), json_value).map(
        lambda t: [{"name": "ex", "code": t[0], "status": "S", "body": json.dumps(t[1])}]
    ),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    segments = draw(st.lists(segment, max_size=5))
    query = draw(st.lists(st.tuples(text, text), max_size=3))
    headers = draw(st.lists(st.tuples(text, text), max_size=3))
    url: Any = "{{baseUrl}}/" + "/".join(segments)
    if draw(st.booleans()):
        url = {
            "raw": url,
            "host": ["{{baseUrl}}"],
            "path": segments,
            "query": [{"key": k, "value": v} for k, v in query],
        }
    item: dict[str, Any] = {
        "name": draw(text),
        "request": {
            "method": draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "COPY"])),
            "url": url,
            "header": [{"key": k, "value": v} for k, v in headers] + [{"key": "Authorization", "value": draw(secret)}],
            "description": draw(text),
        },
    }
    if (request_body := draw(body)) is not None:
        item["request"]["body"] = request_body
    if (request_auth := draw(auth)) is not None:
        item["request"]["auth"] = request_auth
    if (responses := draw(example)) is not None:
        item["response"] = responses
    return item


items = st.recursive(
    requests(),
    lambda inner: st.builds(lambda name, children, a: {"name": name, "item": children, **({"auth": a} if a else {})},
                            text, st.lists(inner, max_size=3), auth),
    max_leaves=6,
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(items, min_size=1, max_size=4), auth, st.sampled_from(["https://api.example.com", "http://h.io:8080/b"])
)
def test_converted_collections_validate_and_leak_nothing(
    children: list[dict[str, Any]], root_auth: dict[str, Any] | None, base_url: str
) -> None:
    collection: dict[str, Any] = {"info": {"name": "Generated", "schema": SCHEMA_21}, "item": children}
    if root_auth:
        collection["auth"] = root_auth
    try:
        document, _ = convert_collection(collection, file="c.json", variables={"baseUrl": base_url})
    except DefinitionError as error:
        assert "no requests" in error.problem.message  # only when every request used an unsupported method
        return
    assert validate_openapi(document, "c.json", strict=True) == []
    serialized = json.dumps(document, sort_keys=True)
    assert SECRET not in serialized
    again, _ = convert_collection(collection, file="c.json", variables={"baseUrl": base_url})
    assert json.dumps(again, sort_keys=True) == serialized
