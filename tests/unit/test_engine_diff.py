"""diff_custom_api: field-level differences without false drift from server-populated fields."""

from __future__ import annotations

import copy

from engine_support import desired_api

from connectorops.engine.diff import diff_custom_api


def _deployed(body: dict) -> dict:
    """What ARM gives back for `body`: server fields added, swagger not echoed."""
    resource = copy.deepcopy(body)
    props = resource["properties"]
    props.pop("swagger")
    props.update(
        runtimeUrls=["https://tempuri.org"],
        apiDefinitions={"originalSwaggerUrl": "https://x", "modifiedSwaggerUrl": "https://y"},
        wsdlDefinition={},
        createdTime="2026-01-01T00:00:00Z",
        changedTime="2026-01-02T00:00:00Z",
        provisioningState="Succeeded",
    )
    resource.update(id="/x", name="orders", type="Microsoft.Web/customApis", etag='"1"', location="West Europe")
    return resource


def test_freshly_applied_resource_has_no_diff() -> None:
    api = desired_api()
    deployed = _deployed(api.body)
    assert diff_custom_api(api.body, deployed, observed_swagger=copy.deepcopy(api.swagger)) == ()
    assert diff_custom_api(api.body, deployed, observed_swagger=None) == ()


def test_changed_fields_are_named_with_before_and_after() -> None:
    api = desired_api()
    deployed = _deployed(api.body)
    deployed["properties"]["backendService"]["serviceUrl"] = "https://evil.example.com"
    deployed["properties"]["displayName"] = "Hand edited"
    changes = {c.path: c for c in diff_custom_api(api.body, deployed, observed_swagger=None)}
    assert set(changes) == {"properties.backendService.serviceUrl", "properties.displayName"}
    assert changes["properties.displayName"].before == "Hand edited"
    assert changes["properties.displayName"].after == "Orders"


def test_swagger_compared_semantically_and_by_path() -> None:
    api = desired_api()
    old = copy.deepcopy(api.swagger)
    old = dict(reversed(list(old.items())))  # key order must not matter
    assert diff_custom_api(api.body, _deployed(api.body), observed_swagger=old) == ()
    old["paths"]["/orders"]["get"]["summary"] = "List"
    changes = diff_custom_api(api.body, _deployed(api.body), observed_swagger=old)
    assert [c.path for c in changes] == ["properties.swagger.paths['/orders'].get.summary"]
    assert changes[0].kind == "removed"


def test_client_secret_is_write_only_and_empty_values_equal_missing() -> None:
    api = desired_api()
    deployed = _deployed(api.body)
    deployed["properties"]["connectionParameters"] = {}
    deployed["properties"].pop("capabilities")
    assert diff_custom_api(api.body, deployed, observed_swagger=None) == ()


def test_our_tags_are_compared_but_commit_and_foreign_tags_are_not() -> None:
    api = desired_api()
    deployed = _deployed(api.body)
    deployed["tags"]["connectorops-commit"] = "other"
    deployed["tags"]["cost-center"] = "42"
    assert diff_custom_api(api.body, deployed, observed_swagger=None) == ()
    deployed["tags"]["connectorops-deletion"] = "orphan"
    assert [c.path for c in diff_custom_api(api.body, deployed, observed_swagger=None)] == [
        "tags.connectorops-deletion"
    ]


def test_server_filled_oauth_fields_count_only_when_git_sets_them() -> None:
    params = {"token": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "aad", "clientId": "app"}}}
    api = desired_api()
    api.body["properties"]["connectionParameters"] = params
    deployed = _deployed(api.body)
    settings = deployed["properties"]["connectionParameters"]["token"]["oAuthSettings"]
    settings.update(redirectUrl="https://global.consent.azure-apim.net/redirect", properties={"IsFirstParty": "False"})
    assert diff_custom_api(api.body, deployed, observed_swagger=None) == ()
    settings["clientId"] = "someone-else"
    assert [c.path for c in diff_custom_api(api.body, deployed, observed_swagger=None)] == [
        "properties.connectionParameters.token.oAuthSettings.clientId"
    ]
