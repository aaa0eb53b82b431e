"""Which methods azure-core retries for us, and when a read-back resource counts as our write."""

from __future__ import annotations

from typing import Any

from azure.core.pipeline.policies import RetryPolicy

from connectorops import tags
from connectorops.targets.arm.readback import custom_api_as_sent
from connectorops.targets.transport.pipeline import ArmRetryPolicy

SENT: dict[str, Any] = {
    "location": "westeurope",
    "tags": {tags.MANAGED_BY: tags.MANAGED_BY_VALUE, tags.FINGERPRINT: "f1"},
    "properties": {
        "displayName": "Orders",
        "backendService": {"serviceUrl": "https://orders.contoso.com/api"},
        "swagger": {"swagger": "2.0", "info": {"title": "Orders", "version": "1"}, "paths": {}},
        "connectionParameters": {
            "token": {"type": "oauthSetting", "oAuthSettings": {"clientId": "c", "clientSecret": "s3cret"}}
        },
    },
}
# What ARM answers to a GET: no swagger, no secret, fields it fills in itself, tags a policy appended.
LIVE: dict[str, Any] = {
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/customApis/orders",
    "name": "orders",
    "etag": '"2"',
    "location": "West Europe",
    "tags": {**SENT["tags"], "costCenter": "42"},
    "properties": {
        "displayName": "Orders",
        "backendService": {"serviceUrl": "https://orders.contoso.com/api"},
        "connectionParameters": {"token": {"type": "oauthSetting", "oAuthSettings": {"clientId": "c"}}},
        "apiType": "Rest",
        "provisioningState": "Succeeded",
        "apiDefinitions": {"originalSwaggerUrl": "https://x/original.json"},
    },
}


def test_patch_is_retried_after_connection_errors_and_post_is_not() -> None:
    ours = ArmRetryPolicy().configure_retries({})["methods"]
    stock = RetryPolicy().configure_retries({})["methods"]
    assert "PATCH" not in stock  # why ArmRetryPolicy exists: azure-core leaves PATCH out
    assert "PATCH" in ours and "POST" not in ours and {"GET", "PUT", "DELETE"} <= ours
    assert ArmRetryPolicy().configure_retries({"retry_on_methods": frozenset({"GET"})})["methods"] == {"GET"}


def test_a_resource_holding_what_we_sent_is_our_write() -> None:
    assert custom_api_as_sent(SENT, LIVE)


def test_another_fingerprint_another_property_or_a_lost_tag_is_not_our_write() -> None:
    other_fingerprint = {**LIVE, "tags": {**LIVE["tags"], tags.FINGERPRINT: "f2"}}
    other_backend = {**LIVE, "properties": {**LIVE["properties"], "backendService": {"serviceUrl": "https://x"}}}
    missing_display_name = {**LIVE, "properties": {k: v for k, v in LIVE["properties"].items() if k != "displayName"}}
    unmanaged = {**LIVE, "tags": {"owner": "alice"}}
    for live in (other_fingerprint, other_backend, missing_display_name, unmanaged):
        assert not custom_api_as_sent(SENT, live)
