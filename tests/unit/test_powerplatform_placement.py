"""The Power Platform placement: the paconn body rendered from the same resolved definition as the ARM body,
its markers and fingerprint, the record that carries them, role names, identity and ids (pure, no server)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from paconn_corpus import CORPUS, connector, raw_properties, resolve

from connectorops import tags
from connectorops.canonical import body_fingerprint
from connectorops.definitions.model import ResolvedConnector, ResolvedDefinition
from connectorops.definitions.resolve import resolve_definition
from connectorops.engine.desired import connector_of_scope
from connectorops.engine.target import TargetId
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm.render import render_custom_api
from connectorops.targets.powerplatform import PowerPlatformPlacement, permission_role
from connectorops.targets.powerplatform import record as rec

BLACKBAUD = "certified-connectors/Blackbaud Raiser's Edge NXT Constituents"
SETS = "certified-connectors/3E Events"
ENV_ID = "11111111-2222-3333-4444-555555555555"
PLACEMENT = PowerPlatformPlacement(ENV_ID)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def test_the_body_is_what_paconn_sends_built_from_the_resolved_definition_the_arm_body_uses() -> None:
    loaded = connector(BLACKBAUD)
    resolved = resolve(loaded)
    desired = PLACEMENT.render_connector(_at_local(loaded, resolved), commit="c0ffee")
    arm = render_custom_api(_at_local(loaded, resolved), location="westeurope", commit="c0ffee")
    properties = desired.body["properties"]
    raw = raw_properties(BLACKBAUD)
    assert properties["openApiDefinition"] == arm.body["properties"]["swagger"] == desired.swagger
    assert properties["policyTemplateInstances"] == raw["policyTemplateInstances"] != []
    assert properties["scriptOperations"] == raw["scriptOperations"] != []
    assert properties["capabilities"] == raw.get("capabilities", [])
    assert properties["iconBrandColor"] == raw["iconBrandColor"]
    assert properties["environment"] == {"name": ENV_ID}
    assert properties["displayName"] == arm.body["properties"]["displayName"]
    assert properties["backendService"] == arm.body["properties"]["backendService"]
    assert "swagger" not in properties and "apiType" not in properties and "location" not in desired.body
    script = (CORPUS / BLACKBAUD / "script.csx").read_bytes()
    entry = desired.body["files"]["script.csx"]
    assert base64.b64decode(entry["base64"]) == script and entry["sha256"] == hashlib.sha256(script).hexdigest()
    # markers under tags, fingerprint as render.py computes it (volatile tags left out)
    assert tags.is_managed(desired.body["tags"]) and desired.body["tags"][tags.SOURCE_COMMIT] == "c0ffee"
    assert desired.body["tags"][tags.FINGERPRINT] == desired.fingerprint
    assert body_fingerprint(desired.body, desired.secret_refs) == desired.fingerprint
    assert desired.create_only == ("properties.displayName",)


def test_the_fingerprint_covers_the_script_but_not_the_commit() -> None:
    loaded = connector(BLACKBAUD)
    resolved = resolve(loaded)
    first = PLACEMENT.render_connector(_at_local(loaded, resolved), commit="a")
    assert PLACEMENT.render_connector(_at_local(loaded, resolved), commit="b").fingerprint == first.fingerprint
    assert resolved.custom_code is not None
    edited = ResolvedDefinition(
        **{**resolved.__dict__, "custom_code": type(resolved.custom_code)(b"// changed", resolved.custom_code.file)}
    )
    assert PLACEMENT.render_connector(_at_local(loaded, edited), commit="a").fingerprint != first.fingerprint


def test_connection_parameter_sets_are_sent_as_given_without_connection_parameters() -> None:
    loaded = connector(SETS)
    resolved = resolve(loaded)
    properties = PLACEMENT.render_connector(_at_local(loaded, resolved), commit=None).body["properties"]
    raw_sets = raw_properties(SETS)["connectionParameterSets"]
    assert properties["connectionParameterSets"] == resolved.connection_parameter_sets
    assert [s["name"] for s in properties["connectionParameterSets"]["values"]] == [
        s["name"] for s in raw_sets["values"]
    ]
    assert "connectionParameters" not in properties


def _at_local(loaded: LoadedConnector, resolved: ResolvedDefinition) -> ResolvedConnector:
    return ResolvedConnector.from_definition(loaded, "local", resolved)


def _rendered(tmp_path: Path, secret: str) -> ResolvedConnector:
    loaded, resolved = _openapi_connector(tmp_path, secret)
    return _at_local(loaded, resolved)


def _openapi_connector(tmp_path: Path, secret: str) -> tuple[LoadedConnector, ResolvedDefinition]:
    folder = tmp_path / "orders"
    folder.mkdir(exist_ok=True)
    swagger = {
        "swagger": "2.0",
        "info": {"title": "Orders", "version": "1.0"},
        "host": "orders.contoso.com",
        "schemes": ["https"],
        "paths": {"/o": {"get": {"operationId": "ListOrders", "responses": {"200": {"description": "ok"}}}}},
    }
    (folder / "openapi.json").write_text(json.dumps(swagger))
    auth = {
        "type": "oauth2",
        "identityProvider": "aad",
        "clientId": "app-1",
        "resourceUri": "https://orders",
        "clientSecret": {"env": secret},
    }
    document = ConnectorDocument.model_validate(
        {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": "orders"},
            "spec": {"definition": {"openapi": "openapi.json"}, "auth": auth},
        }
    )
    loaded = LoadedConnector(name="orders", folder="orders", path="orders/connector.yaml", document=document)
    resolved = resolve_definition(loaded, FileSystemTree(tmp_path), "local", cache_dir=tmp_path / "cache")
    return loaded, resolved


def test_a_client_secret_is_a_reference_in_the_plan_never_a_value(tmp_path: Path) -> None:
    desired = PLACEMENT.render_connector(_rendered(tmp_path, "ORDERS_SECRET"), commit=None)
    assert desired.secret_refs == {"/token/oAuthSettings/clientSecret": {"env": "ORDERS_SECRET"}}
    assert "clientSecret" not in json.dumps(desired.body)
    token = desired.body["properties"]["connectionParameters"]["token"]
    # Power Platform keeps the global consent redirect (the regional one is Logic Apps')
    assert token["oAuthSettings"]["redirectUrl"] == "https://global.consent.azure-apim.net/redirect"
    other = PLACEMENT.render_connector(_rendered(tmp_path, "OTHER"), commit=None)
    assert other.fingerprint != desired.fingerprint


@pytest.mark.parametrize(
    ("role", "permission"),
    [
        ("use", "CanView"),
        ("read", "CanView"),
        ("share", "CanViewWithShare"),
        ("edit", "CanEdit"),
        ("515c2055-d9d4-4321-b1b9-bd0c9a0f79fe", "CanView"),  # Logic App Operator, sharing.yaml's default for use
        ("87a39d53-fc1b-424a-814c-f7e04687dc9e", "CanEdit"),  # Logic App Contributor: edit
        ("canviewwithshare", "CanViewWithShare"),
    ],
)
def test_sharing_roles_map_to_connector_permissions(role: str, permission: str) -> None:
    assert PLACEMENT.role_id(role) == permission_role(role) == permission


def test_identity_and_ids() -> None:
    identity = PLACEMENT.identity
    assert identity.kind == "powerplatform"
    assert identity.to_dict() == {
        "kind": "powerplatform",
        "environmentId": ENV_ID,
        "apiEndpoint": PLACEMENT.api_endpoint,
    }
    assert TargetId.from_dict(identity.to_dict()) == identity
    connector_id = PLACEMENT.connector_id("orders")
    assert connector_id.startswith(PLACEMENT.scope_id()) and connector_of_scope(connector_id) == "orders"
    assert PLACEMENT.capabilities.policy_templates and not PLACEMENT.capabilities.tags


def test_the_record_carries_every_marker_and_foreign_tags_and_back() -> None:
    markers = {
        tags.MANAGED_BY: tags.MANAGED_BY_VALUE,
        tags.SOURCE_PATH: "connectors/orders/connector.yaml",
        tags.SOURCE_COMMIT: "abc",
        tags.FINGERPRINT: "f" * 64,
        tags.DELETION_POLICY: "protect",
        tags.ENVIRONMENT: "makers",
        "team": "sales",
    }
    record = rec.record_from("orders", markers, {"script.csx": "1" * 64})
    assert record["name"] == "orders" and record["managedBy"] == "connectorops" and record["tags"] == {"team": "sales"}
    stored = rec.with_record({"swagger": "2.0", rec.RECORD_KEY: {"stale": True}}, record)
    assert rec.record_of(stored) == record and rec.tags_of(rec.record_of(stored)) == markers
    assert rec.without_record(stored) == {"swagger": "2.0"}
