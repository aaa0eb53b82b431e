"""What a maker would do in Power Automate, done through the emulator's maker endpoints.

Creates a connection to a custom connector and a cloud flow whose actions call its operations, then
shares the connector in the portal behind git's back: the raw material of the demo's Power Automate part.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connectorops.engine.pipeline import directory_entries
from connectorops.errors import ConnectoropsError
from connectorops.policy.sharing import load_sharing_policy
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.powerplatform.connect import open_powerplatform
from connectorops.targets.powerplatform.target import PowerPlatformTarget

API_ID_PREFIX = "/providers/Microsoft.PowerApps/apis/"


@contextmanager
def maker_portal(workspace: Path, environment: str) -> Iterator[PowerPlatformTarget]:
    """The Power Platform target the CLI would open for `environment` (the emulator's surface for a local one)."""
    repo = load_repository(FileSystemTree(workspace))
    with open_powerplatform(workspace, repo.config, environment, principals=directory_entries(repo)) as target:
        yield target


def api_name(target: PowerPlatformTarget, connector: str) -> str:
    """The server-assigned API name (shared_<name>-<hash>) of a connector connectorops deployed."""
    live = target.get_connector(connector)
    name = ((live or {}).get("properties") or {}).get("apiName")
    if not isinstance(name, str) or not name:
        raise ConnectoropsError(f"custom connector {connector!r} is not deployed", hint="run the apply step first")
    return name


def deployed_extras(target: PowerPlatformTarget, connector: str) -> tuple[list[str], list[str], bytes | None]:
    """What the service keeps of a connector: its policy template ids, its scriptOperations and script.csx's bytes."""
    api = api_name(target, connector)
    item = target.client.get_api(api) or {}
    properties = item.get("properties") or {}
    templates = [str(t.get("templateId")) for t in properties.get("policyTemplateInstances") or []]
    operations = [str(o) for o in properties.get("scriptOperations") or []]
    url = properties.get("scriptDefinitionUrl")
    script = target.client.download(url, f"download the script of {connector}") if url else None
    return templates, operations, script


def create_connection(target: PowerPlatformTarget, connector: str, connection: str) -> dict[str, Any]:
    api = api_name(target, connector)
    body = {
        "properties": {
            "displayName": connection,
            "environment": {"name": target.client.environment},
        }
    }
    return target.client.put_api_connection(api, connection, body)


def create_flow(
    target: PowerPlatformTarget, flow: str, connector: str, connection: str, operations: tuple[str, ...]
) -> dict[str, Any]:
    """A cloud flow whose actions call `operations` of the connector through `connection` (as the designer saves it)."""
    api = api_name(target, connector)
    reference = f"shared_{connector}"
    actions: dict[str, Any] = {}
    previous: str | None = None
    for operation in operations:
        actions[operation] = {
            "type": "OpenApiConnection",
            "runAfter": {previous: ["Succeeded"]} if previous else {},
            "inputs": {
                "host": {"connectionName": reference, "operationId": operation, "apiId": API_ID_PREFIX + api},
                "parameters": {"ticketId": "@triggerBody()?['ticketId']"},
            },
        }
        previous = operation
    body = {
        "properties": {
            "displayName": flow,
            "state": "Started",
            "connectionReferences": {
                reference: {"connectionName": connection, "id": API_ID_PREFIX + api, "apiName": api}
            },
            "definition": {
                "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/"
                "workflowdefinition.json#",
                "contentVersion": "1.0.0.0",
                "triggers": {"manual": {"type": "Request", "kind": "Button", "inputs": {"schema": {}}}},
                "actions": actions,
            },
        }
    }
    return target.client.put_flow(flow, body)


def share(target: PowerPlatformTarget, workspace: Path, connector: str, principal: str, role: str) -> None:
    """Share the connector as a maker does in the portal (Share → user → role), by a principal of sharing.yaml."""
    policy, problems = load_sharing_policy(FileSystemTree(workspace))
    if policy is None or problems:
        raise ConnectoropsError("policies/sharing.yaml cannot be read", hint="run `connectorops validate`")
    entry = policy.document.principals[principal]
    permission = {
        "properties": {
            "roleName": role,
            "capabilities": [],
            "NotifyShareTargetOption": "Notify",
            "principal": {"id": entry.objectId, "type": entry.type},
        }
    }
    target.client.modify_permissions(api_name(target, connector), put=[permission])
