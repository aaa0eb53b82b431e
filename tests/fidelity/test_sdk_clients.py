"""The official Azure SDK for Python against the emulator (issue 14): what passes here uses the same
requests, status codes and shapes the SDKs expect from Azure Resource Manager."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.logic import LogicManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import GenericResource
from fidelity_support import LOCATION, RESOURCE_GROUP

from connectorops.emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

WEB = "2016-06-01"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ALICE = "0d4a8a8e-5a52-4a77-9a0f-0b8a4b6c1a01"
SWAGGER = {"swagger": "2.0", "info": {"title": "Orders", "version": "1"}, "host": "orders.example.com", "paths": {}}


def custom_api_id(subscription: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Web/customApis/{name}"


def test_resource_groups_with_resource_management_client(sdk: dict[str, Any]) -> None:
    client = ResourceManagementClient(**sdk)
    assert client.resource_groups.check_existence(RESOURCE_GROUP) is False
    created = client.resource_groups.create_or_update(RESOURCE_GROUP, {"location": LOCATION, "tags": {"a": "b"}})
    assert (created.name, created.location, created.tags) == (RESOURCE_GROUP, LOCATION, {"a": "b"})
    assert created.properties.provisioning_state == "Succeeded"
    assert client.resource_groups.check_existence(RESOURCE_GROUP) is True
    assert [g.name for g in client.resource_groups.list()] == [RESOURCE_GROUP]
    with pytest.raises(HttpResponseError) as bad:
        client.resource_groups.create_or_update("rg-x", {"location": "atlantis"})
    assert bad.value.error is not None and bad.value.error.code == "LocationNotAvailableForResourceGroup"
    client.resource_groups.begin_delete(RESOURCE_GROUP).result()
    with pytest.raises(ResourceNotFoundError) as gone:
        client.resource_groups.get(RESOURCE_GROUP)
    assert gone.value.error is not None and gone.value.error.code == "ResourceGroupNotFound"


def test_custom_apis_as_generic_resources(sdk: dict[str, Any]) -> None:
    client = ResourceManagementClient(**sdk)
    client.resource_groups.create_or_update(RESOURCE_GROUP, {"location": LOCATION})
    api_id = custom_api_id(sdk["subscription_id"], "orders")
    assert client.resources.check_existence_by_id(api_id, api_version=WEB) is False
    body = GenericResource(location=LOCATION, properties={"displayName": "Orders", "swagger": SWAGGER})
    created = client.resources.begin_create_or_update_by_id(api_id, body, api_version=WEB).result()
    assert (created.id, created.type, created.location) == (api_id, "Microsoft.Web/customApis", LOCATION)
    assert client.resources.check_existence_by_id(api_id, api_version=WEB) is True
    fetched = client.resources.get_by_id(api_id, api_version=WEB)
    assert fetched.properties["displayName"] == "Orders" and "provisioningState" not in fetched.properties
    listed = list(client.resources.list_by_resource_group(RESOURCE_GROUP))
    assert [(r.name, r.type) for r in listed] == [("orders", "Microsoft.Web/customApis")]
    provider = client.providers.get("Microsoft.Web")
    assert provider.registration_state == "Registered"
    assert {t.resource_type for t in provider.resource_types} >= {"customApis", "connections"}
    client.resources.begin_delete_by_id(api_id, api_version=WEB).result()
    assert client.resources.check_existence_by_id(api_id, api_version=WEB) is False
    with pytest.raises(HttpResponseError) as missing_group:
        client.resources.begin_create_or_update_by_id(
            api_id.replace(RESOURCE_GROUP, "rg-absent"), body, api_version=WEB
        ).result()
    assert missing_group.value.status_code == 404


def test_workflows_with_logic_management_client(sdk: dict[str, Any], emulator: EmulatorServer) -> None:
    emulator.ensure_resource_group(sdk["subscription_id"], RESOURCE_GROUP, LOCATION)
    client = LogicManagementClient(**sdk)
    definition = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/"
        "workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {},
        "actions": {},
    }
    created = client.workflows.create_or_update(
        RESOURCE_GROUP, "flow", {"location": LOCATION, "definition": definition, "tags": {"t": "1"}}
    )
    assert (created.name, created.state, created.provisioning_state) == ("flow", "Enabled", "Succeeded")
    client.workflows.disable(RESOURCE_GROUP, "flow")
    assert client.workflows.get(RESOURCE_GROUP, "flow").state == "Disabled"
    client.workflows.enable(RESOURCE_GROUP, "flow")
    assert client.workflows.get(RESOURCE_GROUP, "flow").state == "Enabled"
    updated = client.workflows.update(RESOURCE_GROUP, "flow")  # Workflows_Update: a PATCH without a body
    assert updated.tags == {"t": "1"} and updated.definition == definition
    assert [w.name for w in client.workflows.list_by_resource_group(RESOURCE_GROUP)] == ["flow"]
    client.workflows.delete(RESOURCE_GROUP, "flow")
    with pytest.raises(ResourceNotFoundError):
        client.workflows.get(RESOURCE_GROUP, "flow")


def test_role_assignments_with_authorization_management_client(sdk: dict[str, Any], emulator: EmulatorServer) -> None:
    emulator.ensure_resource_group(sdk["subscription_id"], RESOURCE_GROUP, LOCATION)
    resources = ResourceManagementClient(**sdk)
    api_id = custom_api_id(sdk["subscription_id"], "orders")
    resources.resources.begin_create_or_update_by_id(
        api_id, GenericResource(location=LOCATION, properties={}), api_version=WEB
    ).result()
    client = AuthorizationManagementClient(**sdk)
    role = f"/subscriptions/{sdk['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
    name = str(uuid.uuid4())
    # principalType given: ARM takes it on trust (a service principal created a moment ago)
    created = client.role_assignments.create(
        api_id, name, {"role_definition_id": role, "principal_id": ALICE, "principal_type": "ServicePrincipal"}
    )
    assert (created.scope, created.principal_type) == (api_id, "ServicePrincipal")
    assert [a.name for a in client.role_assignments.list_for_scope(api_id)] == [name]
    custom = client.role_definitions.create_or_update(
        f"/subscriptions/{sdk['subscription_id']}",
        str(uuid.uuid4()),
        {
            "role_name": "Connector User",
            "permissions": [{"actions": ["Microsoft.Web/connections/*"]}],
            "assignable_scopes": [f"/subscriptions/{sdk['subscription_id']}"],
        },
    )
    assert custom.role_type == "CustomRole"
    shared = client.role_assignments.create(
        api_id, str(uuid.uuid4()), {"role_definition_id": custom.id, "principal_id": ALICE, "principal_type": "User"}
    )
    assert shared.role_definition_id == custom.id
    client.role_assignments.delete(api_id, name)
    assert [a.name for a in client.role_assignments.list_for_scope(api_id)] == [shared.name]
    with pytest.raises(ResourceNotFoundError):
        client.role_assignments.create(
            custom_api_id(sdk["subscription_id"], "absent"),
            str(uuid.uuid4()),
            {"role_definition_id": role, "principal_id": ALICE, "principal_type": "User"},
        )
