"""What the engine relies on from every Target, run against each implementation (see conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from harnesses import Harness

from connectorops import tags
from connectorops.engine.target import TargetId
from connectorops.errors import GatewayError

SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Orders", "version": "1.0"},
    "host": "orders.example.com",
    "basePath": "/api",
    "schemes": ["https"],
    "paths": {"/orders": {"get": {"operationId": "ListOrders", "responses": {"200": {"description": "ok"}}}}},
}
MARKERS = {tags.MANAGED_BY: tags.MANAGED_BY_VALUE, tags.ENVIRONMENT: "dev", tags.FINGERPRINT: "f1"}


def body(title: str = "Orders", markers: dict[str, str] | None = None) -> dict[str, Any]:
    swagger = {**SWAGGER, "info": {"title": title, "version": "1.0"}}
    return {
        "location": "westeurope",
        "tags": dict(MARKERS if markers is None else markers),
        "properties": {
            "displayName": title,
            "apiType": "Rest",
            "backendService": {"serviceUrl": "https://orders.example.com/api"},
            "swagger": swagger,
        },
    }


def _id(value: object) -> str:
    return str(value).rstrip("/").lower()


def test_a_created_connector_is_listed_with_its_markers_version_and_id(harness: Harness) -> None:
    target = harness.target
    assert target.list_connectors() == []
    target.create_connector("orders", body())
    (listed,) = target.list_connectors()
    assert listed["name"] == "orders" and listed.get("etag")
    assert tags.is_managed(listed["tags"]) and listed["tags"][tags.FINGERPRINT] == "f1"
    assert _id(listed["id"]) == _id(target.connector_id("orders"))
    assert _id(listed["id"]).startswith(_id(target.scope_id()))
    got = target.get_connector("orders")
    assert got is not None and got["etag"] == listed["etag"]
    assert target.get_connector("billing") is None


def test_create_is_create_only(harness: Harness) -> None:
    harness.target.create_connector("orders", body())
    with pytest.raises(GatewayError) as refused:
        harness.target.create_connector("orders", body("Other"))
    assert refused.value.status == 412
    assert harness.target.download_definition(harness.target.list_connectors()[0])["info"]["title"] == "Orders"


def test_update_needs_the_current_version(harness: Harness) -> None:
    target = harness.target
    first = target.create_connector("orders", body())
    updated = target.update_connector("orders", body("Orders v2"), etag=first["etag"])
    assert updated["etag"] != first["etag"]
    with pytest.raises(GatewayError) as stale:
        target.update_connector("orders", body("Orders v3"), etag=first["etag"])
    assert stale.value.status == 412
    (listed,) = target.list_connectors()
    assert target.download_definition(listed)["info"]["title"] == "Orders v2"


def test_markers_alone_are_rewritten_for_orphan_and_adopt(harness: Harness) -> None:
    target = harness.target
    target.create_connector("orders", body())
    target.write_markers("orders", {"team": "sales"})  # orphan: ours gone, a foreign tag kept
    orphaned = target.get_connector("orders")
    assert orphaned is not None and not tags.is_managed(orphaned.get("tags")) and orphaned["tags"] == {"team": "sales"}
    target.write_markers("orders", {**MARKERS, "team": "sales"})  # adopt
    adopted = target.get_connector("orders")
    assert adopted is not None and tags.is_managed(adopted["tags"])
    assert target.download_definition(adopted)["info"]["title"] == "Orders"  # the definition is untouched


def test_an_unmanaged_connector_is_adopted_under_another_name_only_where_the_target_can(harness: Harness) -> None:
    target = harness.target
    target.create_connector("legacy", body())
    target.write_markers("legacy", {})  # unmanaged now, listed as "legacy"
    connection_id = harness.add_consumer("legacy", "legacy-conn", "la-legacy")
    if not target.capabilities.adopts_under_another_name:  # ARM: the name is the resource name
        with pytest.raises(GatewayError) as refused:
            target.write_markers("orders", MARKERS, listed_as="legacy")
        assert "cannot be adopted as 'orders'" in str(refused.value)
        assert [c["name"] for c in target.list_connectors()] == ["legacy"]
        return
    target.write_markers("orders", MARKERS, listed_as="legacy")
    (listed,) = target.list_connectors()
    assert listed["name"] == "orders" and tags.is_managed(listed["tags"])
    assert target.get_connector("legacy") is None and target.get_connector("orders") is not None
    assert target.download_definition(listed)["info"]["title"] == "Orders"  # the same connector, untouched
    assert [_id(c["id"]) for c in target.connections_of(target.connector_id("orders"))] == [_id(connection_id)]
    with pytest.raises(GatewayError) as taken:  # managed now: never adopted again under a third name
        target.write_markers("sales", MARKERS, listed_as="orders")
    assert taken.value.status == 412


def test_delete_says_whether_it_existed(harness: Harness) -> None:
    target = harness.target
    target.create_connector("orders", body())
    assert target.delete_connector("orders") is True
    assert target.list_connectors() == [] and target.get_connector("orders") is None
    assert target.delete_connector("orders") is False


def test_connections_and_consumers_of_a_connector(harness: Harness) -> None:
    target = harness.target
    target.create_connector("orders", body())
    target.create_connector("billing", body("Billing"))
    connection_id = harness.add_consumer("orders", "orders-conn", "la-orders")
    assert [_id(c["id"]) for c in target.connections_of(target.connector_id("orders"))] == [_id(connection_id)]
    assert target.connections_of(target.connector_id("billing")) == []
    assert [c["name"] for c in target.list_connections()] == ["orders-conn"]
    assert [w["name"] for w in target.list_consumers()] == ["la-orders"]


def test_grant_and_revoke(harness: Harness) -> None:
    target = harness.target
    target.create_connector("orders", body())
    name, request = harness.grant_request("orders")
    made = target.grant("orders", name, request)  # by connector name: the target finds its id
    mine = [g for g in target.list_grants() if _id(g["id"]) == _id(made["id"])]
    assert len(mine) == 1 and _id(mine[0]["properties"]["scope"]) == _id(target.connector_id("orders"))
    assert target.revoke(str(made["id"])) is True
    assert [g for g in target.list_grants() if _id(g["id"]) == _id(made["id"])] == []


def test_identity_round_trips_and_capabilities_are_declared(harness: Harness) -> None:
    target = harness.target
    identity = target.identity
    assert TargetId.from_dict(identity.to_dict()) == identity and identity.fields
    assert "use" in target.capabilities.roles
