"""Harnesses for the target contract: a Target plus what a test needs that the protocol does not offer.

A Power Platform harness joins these with its own seeding (a connection and a flow) and grant body.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# The in-memory target lives with the unit tests, which share it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from in_memory_target import InMemoryPowerPlatform, InMemoryTarget

from connectorops.engine.target import Target
from connectorops.policy.role_assignments import role_assignment_name
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway
from connectorops.targets.powerplatform import PowerPlatformTarget

READER_GUID = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
PRINCIPAL = "22222222-2222-2222-2222-222222222222"


class Harness(Protocol):
    """A target plus what a test needs that the protocol does not offer (users' actions, grant bodies)."""

    target: Target

    def add_consumer(self, connector: str, connection: str, consumer: str) -> str:
        """A user connects to `connector` and a consumer (Logic App, flow) uses the connection; its id."""
        ...

    def grant_request(self, connector: str) -> tuple[str, dict[str, Any]]:
        """(name, body) of a read grant on `connector` to PRINCIPAL."""
        ...


def _arm_grant(target: Target, subscription: str, connector: str) -> tuple[str, dict[str, Any]]:
    role = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{READER_GUID}"
    body = {"properties": {"roleDefinitionId": role, "principalId": PRINCIPAL, "principalType": "Group"}}
    return role_assignment_name(target.connector_id(connector), PRINCIPAL, role), body


@dataclass
class MemoryHarness:
    target: InMemoryTarget

    def add_consumer(self, connector: str, connection: str, consumer: str) -> str:
        connection_id = self.target.add_connection(connection, connector)
        self.target.add_workflow(consumer, connection_id)
        return connection_id

    def grant_request(self, connector: str) -> tuple[str, dict[str, Any]]:
        return _arm_grant(self.target, self.target.target.subscription_id, connector)


@dataclass
class MemoryPowerPlatformHarness:
    """The unit tests' in-memory Power Platform environment: held to the same contract as the real targets."""

    target: InMemoryPowerPlatform

    def add_consumer(self, connector: str, connection: str, consumer: str) -> str:
        connection_id = self.target.add_connection(connection, connector)
        self.target.add_flow(consumer, connector, connection, "ListOrders", name=consumer)
        return connection_id

    def grant_request(self, connector: str) -> tuple[str, dict[str, Any]]:
        body = {"properties": {"roleDefinitionId": "CanView", "principalId": PRINCIPAL, "principalType": "Group"}}
        return role_assignment_name(self.target.connector_id(connector), PRINCIPAL, "CanView"), body


@dataclass
class ArmEmulatorHarness:
    target: ResourceGroupTarget
    gateway: ArmGateway

    def add_consumer(self, connector: str, connection: str, consumer: str) -> str:
        location = self.gateway.target.location
        api_id = self.target.connector_id(connector)
        made = self.gateway.put_connection(
            connection, {"location": location, "properties": {"displayName": connection, "api": {"id": api_id}}}
        )
        value = {connector: {"id": api_id, "connectionId": made["id"], "connectionName": connection}}
        definition = {
            "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/"
            "workflowdefinition.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
            "triggers": {},
            "actions": {},
        }
        self.gateway.put_workflow(
            consumer,
            {"location": location, "properties": {"definition": definition,
                                                  "parameters": {"$connections": {"value": value}}}},
        )  # fmt: skip
        return str(made["id"])

    def grant_request(self, connector: str) -> tuple[str, dict[str, Any]]:
        return _arm_grant(self.target, self.gateway.target.subscription_id, connector)


@dataclass
class PowerPlatformHarness:
    """The Power Platform target over the emulator's Power Platform surface: a maker's connection and flow."""

    target: PowerPlatformTarget

    def add_consumer(self, connector: str, connection: str, consumer: str) -> str:
        listed = {c["name"]: c for c in self.target.list_connectors()}
        api_name = listed[connector]["properties"]["apiName"]
        client = self.target.client
        client.put_api_connection(api_name, connection, {"properties": {"displayName": connection}})
        api_id = f"/providers/Microsoft.PowerApps/apis/{api_name}"
        client.put_flow(
            consumer,
            {
                "properties": {
                    "displayName": consumer,
                    "state": "Started",
                    "connectionReferences": {"orders": {"connectionName": connection, "id": api_id}},
                    "definition": {"triggers": {}, "actions": {}},
                }
            },
        )
        return f"{api_id}/connections/{connection}"

    def grant_request(self, connector: str) -> tuple[str, dict[str, Any]]:
        body = {"properties": {"roleDefinitionId": "CanView", "principalId": PRINCIPAL, "principalType": "Group"}}
        return role_assignment_name(self.target.connector_id(connector), PRINCIPAL, "CanView"), body
