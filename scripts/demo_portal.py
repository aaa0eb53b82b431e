"""What a user would do in the Azure portal, done through the gateway against the demo's emulator.

Creates a connection and a Logic App that calls the connector, then edits the connector and shares
it behind git's back: the raw material for the breaking-change, deletion and drift steps.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectorops.engine.pipeline import directory_entries
from connectorops.errors import ConnectoropsError
from connectorops.policy.sharing import load_sharing_policy
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm.connect import open_gateway
from connectorops.targets.arm.gateway import ArmGateway
from connectorops.targets.arm.render import role_definition_id

WORKFLOW_SCHEMA = (
    "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#"
)


@dataclass(frozen=True)
class LogicAppCall:
    """One ApiConnection action: the HTTP method and path it calls through the connector."""

    action: str
    method: str
    path: str


@contextmanager
def portal(workspace: Path, environment: str = "local") -> Iterator[ArmGateway]:
    """The gateway the CLI would open for `environment`, with the sharing policy's principals known."""
    repo = load_repository(FileSystemTree(workspace))
    with open_gateway(workspace, repo.config, environment, principals=directory_entries(repo)) as gateway:
        yield gateway


def create_connection(gateway: ArmGateway, connector: str, connection: str) -> dict[str, Any]:
    body = {
        "location": gateway.target.location,
        "properties": {"displayName": connection, "api": {"id": gateway.custom_api_id(connector)}},
    }
    return gateway.put_connection(connection, body)


def create_logic_app(
    gateway: ArmGateway, name: str, connector: str, connection: dict[str, Any], calls: tuple[LogicAppCall, ...]
) -> dict[str, Any]:
    """A Consumption workflow whose actions call the connector through `connection` (as the designer writes them)."""
    host = {"connection": {"name": f"@parameters('$connections')['{connector}']['connectionId']"}}
    actions: dict[str, Any] = {}
    previous: str | None = None
    for call in calls:
        actions[call.action] = {
            "type": "ApiConnection",
            "runAfter": {previous: ["Succeeded"]} if previous else {},
            "inputs": {"host": host, "method": call.method, "path": call.path},
        }
        previous = call.action
    definition = {
        "$schema": WORKFLOW_SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}},
        "actions": actions,
    }
    connections = {
        connector: {
            "id": gateway.custom_api_id(connector),
            "connectionId": connection["id"],
            "connectionName": connection["name"],
        }
    }
    body = {
        "location": gateway.target.location,
        "properties": {
            "state": "Enabled",
            "definition": definition,
            "parameters": {"$connections": {"value": connections}},
        },
    }
    return gateway.put_workflow(name, body)


def edit_description(gateway: ArmGateway, connector: str, description: str) -> None:
    """Save the connector with a new description, as the portal's editor does: the whole definition is sent again."""
    live = gateway.get_custom_api(connector)
    if live is None:
        raise ConnectoropsError(f"custom connector {connector!r} is not deployed", hint="run the apply step first")
    swagger = gateway.download_swagger(live)
    properties = dict(live.get("properties") or {})
    # Server-computed URLs are not sent back; the definition itself is.
    properties.pop("apiDefinitions", None)
    properties.pop("runtimeUrls", None)
    properties.pop("provisioningState", None)
    properties["swagger"] = swagger
    properties["description"] = description
    body = {"location": live["location"], "tags": live.get("tags") or {}, "properties": properties}
    gateway.put_custom_api(connector, body, if_match=live.get("etag"))


def grant_role(gateway: ArmGateway, workspace: Path, connector: str, principal: str, role: str) -> str:
    """Share the connector with a principal of policies/sharing.yaml (by its name there); returns the grant's id."""
    policy, problems = load_sharing_policy(FileSystemTree(workspace))
    if policy is None or problems:
        raise ConnectoropsError("policies/sharing.yaml cannot be read", hint="run `connectorops validate`")
    entry = policy.document.principals[principal]
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id(policy.role_ids[role], gateway.target.subscription_id),
            "principalId": entry.objectId,
            "principalType": entry.type,
        }
    }
    # A random name, as the portal picks one: connectorops' own grants have deterministic names.
    assignment = gateway.put_role_assignment(gateway.custom_api_id(connector), str(uuid.uuid4()), body)
    return str(assignment["id"])
