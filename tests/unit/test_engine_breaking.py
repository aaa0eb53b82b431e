"""breaking_changes: what breaks existing callers between two swagger documents."""

from __future__ import annotations

import copy

from engine_support import swagger

from connectorops.engine.breaking import breaking_changes
from connectorops.engine.impact import ConsumerUse, Impact


def _logic_apps(usage: dict[str, frozenset[tuple[str, str]] | None]) -> Impact:
    """Logic Apps by name -> the (method, path) calls each makes (None: unknown)."""
    return Impact(consumers=tuple(ConsumerUse(name, f"/la/{name}", ("c",), calls) for name, calls in usage.items()))


def _kinds(old: dict, new: dict, **kwargs: object) -> list[str]:
    return [c.kind for c in breaking_changes(old, new, **kwargs)]  # type: ignore[arg-type]


def test_identical_documents_have_no_breaking_changes() -> None:
    assert breaking_changes(swagger(), swagger()) == ()


def test_removed_operation_names_operation_and_logic_apps() -> None:
    old = swagger()
    new = copy.deepcopy(old)
    del new["paths"]["/orders/{id}"]
    (change,) = breaking_changes(old, new, impact=_logic_apps({"la-nightly": None}))
    assert change.kind == "operation-removed"
    assert change.severity == "high"
    assert change.operations == ("DeleteOrder",)
    assert change.logic_apps == ("la-nightly",)
    assert "DeleteOrder" in change.message


def test_moved_operation_with_same_id_is_not_removed() -> None:
    old = swagger()
    new = copy.deepcopy(old)
    new["paths"]["/v2/orders/{id}"] = new["paths"].pop("/orders/{id}")
    assert "operation-removed" not in _kinds(old, new)


def test_required_parameter_added_and_optional_became_required() -> None:
    old = swagger()
    new = copy.deepcopy(old)
    params = new["paths"]["/orders"]["get"]["parameters"]
    params.append({"name": "tenant", "in": "header", "type": "string", "required": True})
    params[0]["required"] = True
    messages = [c.message for c in breaking_changes(old, new)]
    assert any("`tenant` added" in m for m in messages)
    assert any("`status` became required" in m for m in messages)


def test_parameter_removed_type_changed_and_enum_narrowed() -> None:
    old = swagger()
    old["paths"]["/orders"]["get"]["parameters"].append({"name": "limit", "in": "query", "type": "integer"})
    new = copy.deepcopy(old)
    params = new["paths"]["/orders"]["get"]["parameters"]
    params[0]["enum"] = ["open"]
    params[1]["type"] = "string"
    assert sorted(_kinds(old, new)) == ["enum-narrowed", "parameter-type-changed"]
    del params[1]
    assert "parameter-removed" in _kinds(old, new)


def test_response_property_removed_through_refs_reports_outermost_only() -> None:
    old = swagger()
    old["definitions"]["Order"]["properties"]["customer"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
    }
    new = copy.deepcopy(old)
    del new["definitions"]["Order"]["properties"]["customer"]
    changes = breaking_changes(old, new)
    assert [c.kind for c in changes] == ["response-property-removed"]
    assert "`[].customer`" in changes[0].message


def test_auth_type_and_identity_provider_changes() -> None:
    old = swagger()
    new = copy.deepcopy(old)
    new["securityDefinitions"] = {"oauth": {"type": "oauth2", "flow": "accessCode"}}
    assert _kinds(old, new) == ["auth-type-changed"]
    aad = {"p": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "aad"}}}
    generic = {"p": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "oauth2generic"}}}
    kinds = _kinds(new, new, old_connection_parameters=aad, new_connection_parameters=generic)
    assert kinds == ["identity-provider-changed"]


def test_recursive_schema_does_not_loop() -> None:
    old = swagger()
    old["definitions"]["Order"]["properties"]["parent"] = {"$ref": "#/definitions/Order"}
    new = copy.deepcopy(old)
    assert breaking_changes(old, new) == ()


def test_operation_change_names_only_logic_apps_calling_it() -> None:
    old = swagger()
    new = copy.deepcopy(old)
    del new["paths"]["/orders/{id}"]
    usage = {
        "la-cancel": frozenset({("delete", "/orders/@{encodeURIComponent(triggerBody()['id'])}")}),
        "la-list": frozenset({("get", "/orders")}),
        "la-unknown": None,
    }
    (change,) = breaking_changes(old, new, impact=_logic_apps(usage))
    assert change.endpoints == ("delete /orders/{id}",)
    assert change.logic_apps == ("la-cancel", "la-unknown")


def test_auth_change_names_every_logic_app() -> None:
    old = swagger()
    new = copy.deepcopy(old)
    new["securityDefinitions"] = {"key": {"type": "apiKey", "name": "x", "in": "header"}}
    (change,) = breaking_changes(old, new, impact=_logic_apps({"a": frozenset(), "b": None}))
    assert change.logic_apps == ("a", "b")
