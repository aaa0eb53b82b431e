"""render_custom_api: the ARM body, its canonical form, tags and fingerprint."""

from __future__ import annotations

import base64
import json

from engine_support import connector, desired_api, resolved, swagger

from connectorops import tags
from connectorops.canonical import body_fingerprint
from connectorops.definitions.model import ResolvedConnector
from connectorops.render import DEFAULT_BRAND_COLOR, DesiredCustomApi
from connectorops.targets.arm.render import render_custom_api


def test_body_has_arm_shape_with_defaults_from_swagger_info() -> None:
    api = desired_api()
    props = api.body["properties"]
    assert api.body["location"] == "westeurope"
    assert props["displayName"] == "Orders"
    assert props["description"] == "Orders API for tests."
    assert props["apiType"] == "Rest"
    assert props["brandColor"] == DEFAULT_BRAND_COLOR
    assert props["backendService"] == {"serviceUrl": "https://orders.contoso.com/api"}
    assert props["capabilities"] == []
    assert props["swagger"]["paths"]["/orders"]["get"]["operationId"] == "ListOrders"


def test_spec_values_and_environment_override_win() -> None:
    api = desired_api(
        env="dev",
        displayName="Orders Pro",
        brandColor="#0F6CBD",
        backend={"serviceUrl": "https://prod.contoso.com/api"},
        environments={"dev": {"backend": {"serviceUrl": "https://dev.contoso.com/api"}}},
    )
    props = api.body["properties"]
    assert props["displayName"] == "Orders Pro"
    assert props["brandColor"] == "#0F6CBD"
    assert props["backendService"]["serviceUrl"] == "https://dev.contoso.com/api"


def test_tags_name_owner_source_policy_environment_commit_and_fingerprint() -> None:
    api = desired_api(lifecycle={"deletion": "orphan"}, commit="abc123")
    found = api.body["tags"]
    assert found[tags.MANAGED_BY] == "connectorops"
    assert found[tags.SOURCE_PATH] == "connectors/orders/connector.yaml"
    assert found[tags.DELETION_POLICY] == "orphan"
    assert found[tags.ENVIRONMENT] == "dev"
    assert found[tags.SOURCE_COMMIT] == "abc123"
    assert found[tags.FINGERPRINT] == api.fingerprint
    assert api.deletion_policy == "orphan"


def test_fingerprint_ignores_commit_but_not_content() -> None:
    first = desired_api(commit="aaa")
    second = desired_api(commit="bbb")
    changed = desired_api(commit="aaa", description="Something else entirely.")
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != changed.fingerprint
    assert body_fingerprint(first.body) == first.fingerprint


def test_equal_inputs_give_equal_bytes_whatever_the_key_order() -> None:
    doc = swagger()
    reordered = json.loads(json.dumps(dict(reversed(list(doc.items())))))
    one = render_custom_api(
        ResolvedConnector.from_definition(connector(), "dev", resolved(doc)), location="westeurope", commit=None
    )
    two = render_custom_api(
        ResolvedConnector.from_definition(connector(), "dev", resolved(reordered)), location="westeurope", commit=None
    )
    assert json.dumps(one.body) == json.dumps(two.body)
    assert list(one.body["properties"]) == sorted(one.body["properties"])


def test_icon_png_becomes_data_uri_and_https_icon_is_kept() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    local = render_custom_api(
        ResolvedConnector.from_definition(connector(), "dev", resolved(icon_png=png)),
        location="westeurope",
        commit=None,
    )
    assert local.body["properties"]["iconUri"] == "data:image/png;base64," + base64.b64encode(png).decode()
    remote = render_custom_api(
        ResolvedConnector.from_definition(connector(icon="https://cdn.contoso.com/icon.png"), "dev", resolved()),
        location="westeurope",
        commit=None,
    )
    assert remote.body["properties"]["iconUri"] == "https://cdn.contoso.com/icon.png"


def test_secret_reference_stays_out_of_body_but_changes_fingerprint() -> None:
    settings_in = {"identityProvider": "aad", "clientId": "app", "clientSecret": {"env": "ORDERS_SECRET"}}
    params = {"token": {"type": "oauthSetting", "oAuthSettings": settings_in}}
    pointer = "/token/oAuthSettings/clientSecret"

    def render(variable: str) -> DesiredCustomApi:
        definition = resolved(connection_parameters=params, secret_refs={pointer: {"env": variable}})
        return render_custom_api(
            ResolvedConnector.from_definition(connector(), "dev", definition), location="westeurope", commit=None
        )

    one, two = render("ORDERS_SECRET"), render("OTHER_SECRET")
    settings = one.body["properties"]["connectionParameters"]["token"]["oAuthSettings"]
    assert "clientSecret" not in settings
    assert settings["clientId"] == "app"
    assert one.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "ORDERS_SECRET"}}
    assert one.fingerprint != two.fingerprint


def test_adopt_label_marks_adoption() -> None:
    assert desired_api(labels={"connectorops/adopt": "true"}).adopt is True
    assert desired_api().adopt is False


def test_oauth_redirect_is_the_regional_logic_apps_consent_url() -> None:
    # issue 14 item 13: Logic Apps consent is regional (logic-apis-<region>), not Power Platform's global URL
    generated = {
        "identityProvider": "aad",
        "clientId": "app",
        "redirectUrl": "https://global.consent.azure-apim.net/redirect",
    }
    written = {"identityProvider": "aad", "clientId": "app", "redirectUrl": "https://login.contoso.com/cb"}
    params = {
        "token": {"type": "oauthSetting", "oAuthSettings": generated},
        "other": {"type": "oauthSetting", "oAuthSettings": written},
    }
    body = render_custom_api(
        ResolvedConnector.from_definition(connector(), "dev", resolved(connection_parameters=params)),
        location="North Europe",
        commit=None,
    ).body
    parameters = body["properties"]["connectionParameters"]
    assert parameters["token"]["oAuthSettings"]["redirectUrl"] == (
        "https://logic-apis-northeurope.consent.azure-apim.net/redirect"
    )
    assert parameters["other"]["oAuthSettings"]["redirectUrl"] == "https://login.contoso.com/cb"  # as written
