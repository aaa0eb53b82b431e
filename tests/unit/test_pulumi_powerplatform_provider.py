"""The Power Platform dynamic providers' methods, called directly against the shared in-memory Target.

They reach the target only through the Target protocol, so the in-memory one (ARM-shaped) shows the
structure: what each method writes, what it refuses, and that no secret leaves through outputs or errors.
The same methods against the emulator's Power Platform surface: tests/integration/test_pulumi_powerplatform.py.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Any

import pytest
from in_memory_target import InMemoryPowerPlatform, InMemoryTarget
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from connectorops import tags
from connectorops.pulumi_stack.powerplatform import ConnectorProvider, ConnectorProviderError, GrantProvider

SECRET = "client-secret-value-1234"
POINTER = "/token/oAuthSettings/clientSecret"


def provider(target: InMemoryTarget, config: dict[str, Any] | None = None) -> ConnectorProvider:
    made = ConnectorProvider(lambda: nullcontext(target))
    made.configure(ConfigureRequest(Config(config or {}, "connectorops")))
    return made


def props(fingerprint: str = "fp-1", *, deletion: str = "protect", name: str = "orders") -> dict[str, Any]:
    body_tags = {
        tags.MANAGED_BY: tags.MANAGED_BY_VALUE,
        tags.ENVIRONMENT: "makers",
        tags.DELETION_POLICY: deletion,
        tags.SOURCE_PATH: f"connectors/{name}/connector.yaml",
        tags.FINGERPRINT: fingerprint,
    }
    oauth = {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "aad", "clientId": "c"}}
    body = {"properties": {"displayName": "Orders", "connectionParameters": {"token": oauth}}, "tags": body_tags}
    return {
        "connector": name,
        "environment": "makers",
        "fingerprint": fingerprint,
        "deletionPolicy": deletion,
        "sourcePath": f"connectors/{name}/connector.yaml",
        "body": body,
        "secrets": {POINTER: SECRET},
    }


def test_create_sends_the_secret_to_the_target_and_keeps_it_out_of_the_outputs() -> None:
    target = InMemoryTarget()
    result = provider(target).create(props())
    assert result.id == "orders"
    assert target.custom_apis["orders"]["tags"][tags.FINGERPRINT] == "fp-1"
    (sent,) = target.sent_bodies
    assert sent["properties"]["connectionParameters"]["token"]["oAuthSettings"]["clientSecret"] == SECRET
    assert result.outs is not None
    assert result.outs["connector"] == "orders" and result.outs["fingerprint"] == "fp-1"
    assert result.outs["connectorId"] == target.custom_api_id("orders")
    assert SECRET not in json.dumps(result.outs) and "body" not in result.outs


def test_diff_compares_gits_fingerprint_with_the_record() -> None:
    target = InMemoryTarget()
    made = provider(target)
    outs = made.create(props()).outs or {}
    assert made.diff("orders", outs, props()).changes is False
    assert made.diff("orders", outs, props("fp-2")).changes is True
    # someone re-deployed it by hand: the record's fingerprint no longer is git's
    target.custom_apis["orders"]["tags"][tags.FINGERPRINT] = "edited"
    assert made.diff("orders", outs, props()).changes is True
    renamed = made.diff("orders", outs, props(name="orders-v2"))
    assert renamed.replaces == ["connector"] and renamed.delete_before_replace is True


def test_update_writes_the_new_body_at_the_version_it_read() -> None:
    target = InMemoryTarget()
    made = provider(target)
    outs = made.create(props()).outs or {}
    result = made.update("orders", outs, props("fp-2"))
    assert target.custom_apis["orders"]["tags"][tags.FINGERPRINT] == "fp-2"
    assert result.outs is not None and result.outs["fingerprint"] == "fp-2"
    assert target.sent_bodies[-1]["properties"]["connectionParameters"]["token"]["oAuthSettings"]["clientSecret"]


def test_update_refuses_a_connector_that_is_no_longer_ours() -> None:
    target = InMemoryTarget()
    made = provider(target)
    outs = made.create(props()).outs or {}
    target.custom_apis["orders"]["tags"] = {"owner": "someone"}
    with pytest.raises(ConnectorProviderError, match="no longer managed by connectorops"):
        made.update("orders", outs, props("fp-2"))
    assert target.custom_apis["orders"]["tags"] == {"owner": "someone"}


def test_delete_without_connections_deletes() -> None:
    target = InMemoryTarget()
    made = provider(target)
    outs = made.create(props()).outs or {}
    made.delete("orders", outs)
    assert "orders" not in target.custom_apis


def test_delete_refuses_while_a_connection_is_live_naming_it_and_its_consumer() -> None:
    target = InMemoryTarget()
    made = provider(target)
    outs = made.create(props()).outs or {}
    target.add_connection("orders-conn", "orders")
    target.add_workflow("order-sync", target.connection_id("orders-conn"))
    with pytest.raises(ConnectorProviderError) as caught:
        made.delete("orders", outs)
    message = str(caught.value)
    assert "orders-conn" in message and "order-sync" in message
    assert "pulumi config set --path 'connectorops:allowConnectionLoss[0]'" in message
    assert "orders" in target.custom_apis and len(target.connections) == 1


def test_delete_goes_ahead_when_git_or_the_stack_config_acknowledges_the_loss() -> None:
    target = InMemoryTarget()
    outs = provider(target).create(props(deletion="allow-connection-loss")).outs or {}
    target.add_connection("orders-conn", "orders")
    provider(target).delete("orders", outs)
    assert "orders" not in target.custom_apis and target.connections == []

    target = InMemoryTarget()
    outs = provider(target).create(props()).outs or {}
    target.add_connection("orders-conn", "orders")
    acknowledged = provider(target, {"connectorops:allowConnectionLoss": '["orders"]'})
    acknowledged.delete("orders", outs)
    assert "orders" not in target.custom_apis


def test_a_refused_write_names_no_secret() -> None:
    target = InMemoryTarget(fail_on={"orders"})  # its error echoes the request body, as some services do
    with pytest.raises(ConnectorProviderError) as caught:
        provider(target).create(props())
    assert SECRET not in str(caught.value) and "***" in str(caught.value)


def test_the_grant_provider_grants_and_revokes_through_the_target() -> None:
    target = InMemoryTarget()
    provider(target).create(props())
    grants = GrantProvider(lambda: nullcontext(target))
    body = {"properties": {"roleDefinitionId": "CanView", "principalId": "p-1", "principalType": "Group"}}
    grant = {"connector": "orders", "name": "g-1", "body": body}
    created = grants.create(grant)
    assert [g["properties"]["principalId"] for g in target.role_assignments.values()] == ["p-1"]
    assert grants.diff(created.id, created.outs or {}, grant).changes is False
    moved = grants.diff(created.id, created.outs or {}, {**grant, "name": "g-2"})
    assert moved.changes is True and moved.replaces == ["name"]
    grants.delete(created.id, created.outs or {})
    assert target.role_assignments == {}


def test_the_provider_pickles_into_the_state_as_a_recipe_not_a_connection(tmp_path: Any) -> None:
    import base64

    import dill
    from pulumi.dynamic.dynamic import serialize_provider

    from connectorops.pulumi_stack.powerplatform import EnvironmentTarget

    serialized = serialize_provider(ConnectorProvider(EnvironmentTarget(str(tmp_path), "makers")))
    restored = dill.loads(base64.b64decode(serialized))
    assert isinstance(restored, ConnectorProvider)
    assert restored._target.open_target == EnvironmentTarget(str(tmp_path), "makers")
    assert restored._target._target is None  # nothing opened travels in the state


def test_create_adopts_the_unmanaged_connector_import_declared_and_never_another() -> None:
    target = InMemoryTarget()
    target.add_custom_api("orders", {"owner": "ops"})  # deployed by hand, imported with the adopt label
    provider(target).create({**props(), "adopt": True})
    assert target.custom_apis["orders"]["tags"][tags.MANAGED_BY] == tags.MANAGED_BY_VALUE
    # without the label the same connector is not ours to write: create-only refuses it
    other = InMemoryTarget()
    other.add_custom_api("orders", {"owner": "ops"})
    with pytest.raises(ConnectorProviderError, match="precondition failed"):
        provider(other).create(props())
    assert other.custom_apis["orders"]["tags"] == {"owner": "ops"}


def test_the_target_is_opened_once_per_provider_process() -> None:
    """Pulumi calls diff for every resource: signing in and building a client per call would not scale."""
    target = InMemoryTarget()
    opened: list[int] = []

    def opener() -> Any:
        opened.append(1)
        return nullcontext(target)

    made = ConnectorProvider(opener)
    outs = made.create(props()).outs or {}
    made.diff("orders", outs, props("fp-2"))
    made.update("orders", outs, props("fp-2"))
    made.delete("orders", outs)
    assert opened == [1] and "orders" not in target.custom_apis


def test_create_adopts_under_the_name_git_gives_it_and_never_creates_instead() -> None:
    pp = InMemoryPowerPlatform()
    listed = "shared_orders-5f3c2a1b0d9e8f7a"
    pp.create_connector(listed, {"tags": {}, "properties": {"displayName": "Orders"}})  # a maker's: no record
    pp.api_names[listed] = listed
    result = ConnectorProvider(lambda: nullcontext(pp)).create({**props(), "adopt": True, "adoptFrom": listed})
    assert sorted(pp.connectors) == ["orders"] and pp.api_names == {"orders": listed}
    assert tags.is_managed(pp.connectors["orders"]["tags"]) and result.outs is not None
    # the connector to adopt is gone (or was never there): refused, nothing created
    empty = InMemoryPowerPlatform()
    with pytest.raises(ConnectorProviderError, match=f"adopts '{listed}', which is not in the environment"):
        ConnectorProvider(lambda: nullcontext(empty)).create({**props(), "adopt": True, "adoptFrom": listed})
    assert empty.connectors == {}
