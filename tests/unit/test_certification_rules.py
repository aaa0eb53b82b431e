"""Each certification rule: the good document passes it, one targeted change breaks it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from certification_support import BRAND, GOOD_OAUTH, good, icon, rule_ids, run

from connectorops.errors import Severity
from connectorops.policy.certification.certify import RULES, Finding

GET = ("paths", "/orders/{id}", "get")
POST = ("paths", "/orders", "post")


def at(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def with_swagger(change: Callable[[dict[str, Any]], None]) -> Callable[[], list[Finding]]:
    def go() -> list[Finding]:
        doc = good()
        change(doc)
        return run(doc)

    return go


def with_options(**options: Any) -> Callable[[], list[Finding]]:
    return lambda: run(**options)


def _huge(doc: dict[str, Any]) -> None:
    doc["definitions"]["Filler"] = {"type": "object", "description": "x" * (1024 * 1024)}


# rule id -> (a change that must break it, the JSON pointer the finding must carry)
BREAKING: dict[str, tuple[Callable[[], list[Finding]], str]] = {
    "TitleMissing": (with_swagger(lambda d: d["info"].pop("title")), "/info/title"),
    "TitleTooLong": (with_options(display_name="Contoso Order Management Service"), "/info/title"),
    "ValueContainsRestrictedWords": (with_options(display_name="Contoso Orders API"), "/info/title"),
    "ValueMustEndWithAlphanumeric": (with_options(display_name="Contoso Orders!"), "/info/title"),
    "DescriptionLengthNotValid": (with_options(description="Orders."), "/info/description"),
    "OperationSummaryMissing": (with_swagger(lambda d: at(d, GET).pop("summary")), "/paths/~1orders~1{id}/get/summary"),
    "OperationDescriptionMissing": (
        with_swagger(lambda d: at(d, POST).pop("description")),
        "/paths/~1orders/post/description",
    ),
    "OperationSummaryTooLong": (
        with_swagger(lambda d: at(d, GET).update(summary="Get " + "very " * 20 + "order")),
        "/paths/~1orders~1{id}/get/summary",
    ),
    "ParameterSummaryTooLong": (
        with_swagger(lambda d: at(d, GET)["parameters"][0].update({"x-ms-summary": "Order " * 15})),
        "/paths/~1orders~1{id}/get/parameters/0/x-ms-summary",
    ),
    "RestrictedCharactersInSummary": (
        with_swagger(lambda d: at(d, GET).update(summary="Get an order: by id")),
        "/paths/~1orders~1{id}/get/summary",
    ),
    "DescriptionMustEndWithPunctuation": (
        with_swagger(lambda d: at(d, GET)["parameters"][0].update(description="The id of the order")),
        "/paths/~1orders~1{id}/get/parameters/0/description",
    ),
    "VisibilityMissing": (with_swagger(lambda d: at(d, POST).pop("x-ms-visibility")), "/paths/~1orders/post"),
    "OperationIdRequired": (with_swagger(lambda d: at(d, POST).pop("operationId")), "/paths/~1orders/post"),
    "OperationIdNotUnique": (
        with_swagger(lambda d: at(d, POST).update(operationId="getorder")),
        "/paths/~1orders/post/operationId",
    ),
    "OperationIdSanitized": (
        with_swagger(lambda d: at(d, GET).update(operationId="get_order")),
        "/paths/~1orders~1{id}/get/operationId",
    ),
    "SchemaDefinitionSetIncorrectly": (
        with_swagger(lambda d: at(d, POST)["responses"]["201"].update(schema={})),
        "/paths/~1orders/post/responses/201",
    ),
    "DefaultResponseHasSchema": (
        with_swagger(lambda d: at(d, GET)["responses"]["default"].update(schema={"type": "object"})),
        "/paths/~1orders~1{id}/get/responses/default/schema",
    ),
    "OperationShouldHaveSuccessfulResponse": (
        with_swagger(lambda d: at(d, POST).update(responses={"default": {"description": "Error."}})),
        "/paths/~1orders/post/responses",
    ),
    "PathParameterMissingEncoding": (
        with_swagger(lambda d: at(d, GET)["parameters"][0].pop("x-ms-url-encoding")),
        "/paths/~1orders~1{id}/get/parameters/0",
    ),
    "SpecificationVersionIncorrect": (with_swagger(lambda d: d.update(swagger="3.0")), "/swagger"),
    "HostNameNotValid": (with_swagger(lambda d: d.update(host="https://orders.contoso.com/api")), "/host"),
    "HostNotProduction": (with_swagger(lambda d: d.update(host="orders.staging.contoso.com")), "/host"),
    "SchemeNotValid": (with_swagger(lambda d: d.update(schemes=["https", "http"])), "/schemes/1"),
    "MimeTypeNotValid": (
        with_swagger(lambda d: at(d, GET).update(produces=["application/xml"])),
        "/paths/~1orders~1{id}/get/produces/0",
    ),
    "DefinitionTooLarge": (with_swagger(_huge), ""),
    "ConnectorMetadataMissing": (
        with_swagger(lambda d: d["x-ms-connector-metadata"].pop(1)),
        "/x-ms-connector-metadata",
    ),
    "InvalidConnectorCategory": (
        with_swagger(lambda d: d["x-ms-connector-metadata"][2].update(propertyValue="Sales;Productivity")),
        "/x-ms-connector-metadata/2/propertyValue",
    ),
    "TooManyConnectorCategories": (
        with_swagger(lambda d: d["x-ms-connector-metadata"][2].update(propertyValue="AI;Data;Finance")),
        "/x-ms-connector-metadata/2/propertyValue",
    ),
    "BrandColorNotValid": (with_options(brand_color="#007EE5", icon_png=icon(background=(0, 126, 229, 255))), ""),
    "IconMissing": (with_options(icon_png=None), ""),
    "IconNotPng": (with_options(icon_png=icon(fmt="JPEG")), ""),
    "IconSizeNotValid": (with_options(icon_png=icon(size=(230, 180))), ""),
    "IconBackgroundNotValid": (with_options(icon_png=icon(background=(0, 0, 0, 0))), ""),
    "IconBrandColorMismatch": (with_options(icon_png=icon(background=(200, 30, 30, 255))), ""),
    "OAuthRedirectUrlNotValid": (
        with_options(
            connection_parameters={
                "token": {
                    "type": "oauthSetting",
                    "oAuthSettings": {**GOOD_OAUTH["token"]["oAuthSettings"], "redirectUrl": "https://evil.example/cb"},
                }
            }
        ),
        "#connectionParameters/token/oAuthSettings/redirectUrl",
    ),
}


def test_every_rule_has_a_breaking_case() -> None:
    assert set(BREAKING) == set(RULES)


def test_the_good_document_passes_every_rule() -> None:
    assert run() == []


@pytest.mark.parametrize("rule_id", sorted(BREAKING))
def test_rule_fails_on_its_breaking_change(rule_id: str) -> None:
    make, pointer = BREAKING[rule_id]
    findings = [f for f in make() if f.rule_id == rule_id]
    assert findings, f"{rule_id} did not fire"
    assert pointer in {f.pointer for f in findings}
    finding = findings[0]
    assert finding.hint and finding.message
    assert finding.file == "connectors/orders/openapi.yaml"
    rule = RULES[rule_id]
    assert finding.severity == rule.severity
    assert finding.enforcement == ("mandatory" if rule.severity == Severity.ERROR else "advisory")


@pytest.mark.parametrize(
    "host",
    ["localhost:8080", "127.0.0.1", "10.1.2.3", "abc123.ngrok.io", "x.ngrok-free.app", "api.example.com",
     "orders-dev.contoso.com", "test.contoso.com", "api.uat.contoso.com", "orders.internal"],
)  # fmt: skip
def test_non_production_hosts(host: str) -> None:
    doc = good()
    doc["host"] = host
    assert "HostNotProduction" in rule_ids(run(doc))


@pytest.mark.parametrize("host", ["api.contoso.com", "developer.contoso.com", "api.bysparse.dev", "contest.io:443"])
def test_production_hosts_pass(host: str) -> None:
    doc = good()
    doc["host"] = host
    assert rule_ids(run(doc)) & {"HostNotProduction", "HostNameNotValid"} == set()


@pytest.mark.parametrize("host", ["{{host}}", "<your-host>", "$(HOST)", "api.contoso.com/v1", ""])
def test_placeholder_or_malformed_hosts_are_invalid(host: str) -> None:
    doc = good()
    doc["host"] = host
    found = rule_ids(run(doc))
    assert "HostNameNotValid" in found
    assert "HostNotProduction" not in found


def test_restricted_words_are_whole_words_only() -> None:
    assert "ValueContainsRestrictedWords" not in rule_ids(run(display_name="Rapid Connectors Ltd"))
    assert "ValueContainsRestrictedWords" in rule_ids(run(display_name="Orders for Power Apps"))
    found = run(description="Lets Power Automate flows create and read Contoso orders.")
    assert [f.pointer for f in found if f.rule_id == "ValueContainsRestrictedWords"] == ["/info/description"]


def test_webhook_with_notification_content_needs_no_200_schema() -> None:
    doc = good()
    op = at(doc, POST)
    op["responses"]["201"] = {"description": "Subscribed."}
    assert "SchemaDefinitionSetIncorrectly" in rule_ids(run(doc))
    op["x-ms-notification-content"] = {"schema": {"type": "object"}}
    assert "SchemaDefinitionSetIncorrectly" not in rule_ids(run(doc))


def test_mime_types_with_parameters_are_judged_by_their_base_type() -> None:
    doc = good()
    doc["produces"] = ["application/json; charset=utf-8"]
    assert "MimeTypeNotValid" not in rule_ids(run(doc))


def test_icon_background_white_and_brand_match_tolerance() -> None:
    white = run(icon_png=icon(background=(255, 255, 255, 255)), brand_color="#FFFFFF")
    assert {"IconBackgroundNotValid", "BrandColorNotValid"} <= rule_ids(white)
    near_brand = icon(background=(20, 110, 185, 255))  # a few units off #0F6CBD: PNG/antialias noise
    assert "IconBrandColorMismatch" not in rule_ids(run(icon_png=near_brand, brand_color=BRAND))


def test_unreadable_icon_is_reported_not_raised() -> None:
    findings = [f for f in run(icon_png=b"\x89PNG\r\n\x1a\nnot really") if f.rule_id == "IconNotPng"]
    assert findings and "not a readable image" in findings[0].message


def test_to_problem_and_to_dict() -> None:
    [finding] = [f for f in run(display_name="Contoso Orders API") if f.rule_id == "ValueContainsRestrictedWords"]
    problem = finding.to_problem()
    assert problem.severity == Severity.ERROR
    assert problem.code == "ValueContainsRestrictedWords"
    assert problem.field == "/info/title"
    advisory = finding.with_enforcement("advisory").to_problem()
    assert advisory.severity == Severity.WARNING
    assert finding.to_dict()["ruleId"] == "ValueContainsRestrictedWords"
    assert finding.to_dict()["enforcement"] == "mandatory"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_passes_on_the_good_document(rule_id: str) -> None:
    assert [f for f in run() if f.rule_id == rule_id] == []


def test_a_finding_names_its_connector_only_where_findings_of_many_meet() -> None:
    finding = Finding("R1", Severity.WARNING, "advisory", "openapi.yaml", "/paths", "bad", "fix it")
    assert "connector" not in finding.to_dict()  # the verdict cache and `certify --json` keep their shape
    named = replace(finding, connector="orders")
    assert named.to_dict()["connector"] == "orders"
    assert Finding.from_dict(named.to_dict()) == named and Finding.from_dict(finding.to_dict()) == finding
