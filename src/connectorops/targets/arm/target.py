"""ResourceGroupTarget: the Target protocol over the ARM gateway (customApis, roleAssignments, Logic Apps).

Everything ARM-specific the engine needs sits here: resource ids, the lease marker being no connector,
If-Match/If-None-Match for compare-and-swap writes, tags as ownership markers. The gateway it wraps may be
the ArmGateway itself or an object with the same methods (the unit tests' in-memory target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from connectorops import tags
from connectorops.engine.impact import connection_api_id
from connectorops.engine.target import ARM, Capabilities, TargetId
from connectorops.errors import GatewayError
from connectorops.render import DesiredCustomApi
from connectorops.targets.arm.render import render_custom_api, role_definition_id
from connectorops.targets.placed import PlacedTarget

if TYPE_CHECKING:  # annotations only: the definitions model pulls in the spec models
    from connectorops.definitions.model import ResolvedConnector

CUSTOM_APIS = "Microsoft.Web/customApis"

ARM_CAPABILITIES = Capabilities(
    tags=True,
    policy_templates=False,
    custom_code=False,
    connection_parameter_sets=False,
    server_assigned_names=False,
    roles=frozenset({"use", "edit", "read"}),
)


class ArmLocation(Protocol):
    @property
    def subscription_id(self) -> str: ...

    @property
    def resource_group(self) -> str: ...

    @property
    def location(self) -> str: ...


class ArmGatewayLike(Protocol):
    """The ArmGateway methods this adapter calls (ArmGateway, or a wrapper that guards its writes)."""

    @property
    def target(self) -> ArmLocation: ...

    def list_custom_apis(self) -> list[dict[str, Any]]: ...

    def get_custom_api(self, name: str) -> dict[str, Any] | None: ...

    def put_custom_api(
        self, name: str, body: dict[str, Any], *, if_match: str | None = None, if_none_match: str | None = None
    ) -> dict[str, Any]: ...

    def patch_custom_api_tags(self, name: str, tags: dict[str, str]) -> dict[str, Any]: ...

    def delete_custom_api(self, name: str) -> bool: ...

    def download_swagger(self, custom_api: dict[str, Any]) -> dict[str, Any] | None: ...

    def list_connections(self) -> list[dict[str, Any]]: ...

    def list_role_assignments(self, scope: str | None = None) -> list[dict[str, Any]]: ...

    def put_role_assignment(self, scope: str, name: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def delete_role_assignment(self, assignment_id: str) -> bool: ...

    def list_workflows(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ArmPlacement:
    """One resource group: its identity and the ids of what lives in it (no credentials, no requests)."""

    subscription_id: str
    resource_group: str
    location: str

    @classmethod
    def of(cls, location: ArmLocation) -> ArmPlacement:
        return cls(location.subscription_id, location.resource_group, location.location)

    @property
    def identity(self) -> TargetId:
        return TargetId(
            kind=ARM,
            fields=(
                ("subscriptionId", self.subscription_id),
                ("resourceGroup", self.resource_group),
                ("location", self.location),
            ),
        )

    @property
    def capabilities(self) -> Capabilities:
        return ARM_CAPABILITIES

    def scope_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def connector_id(self, name: str) -> str:
        return f"{self.scope_id()}/providers/{CUSTOM_APIS}/{name}"

    def render_connector(self, connector: ResolvedConnector, *, commit: str | None) -> DesiredCustomApi:
        return render_custom_api(connector, location=self.location, commit=commit)

    def role_id(self, role_definition: str) -> str:
        return role_definition_id(role_definition, self.subscription_id)


def _norm(resource_id: str) -> str:
    return resource_id.strip().rstrip("/").lower()


class ResourceGroupTarget(PlacedTarget):
    """One resource group as a Target. Holds no state of its own besides the gateway."""

    def __init__(self, gateway: ArmGatewayLike) -> None:
        self.gateway = gateway

    @property
    def placement(self) -> ArmPlacement:
        return ArmPlacement.of(self.gateway.target)

    def list_connectors(self) -> list[dict[str, Any]]:
        # The controllers' lease marker (gitops/lease.py) is coordination state, not a connector.
        return [a for a in self.gateway.list_custom_apis() if not tags.is_lease_marker(a)]

    def list_grants(self) -> list[dict[str, Any]]:
        return self.gateway.list_role_assignments()

    def list_connections(self) -> list[dict[str, Any]]:
        return self.gateway.list_connections()

    def list_consumers(self) -> list[dict[str, Any]]:
        return self.gateway.list_workflows()

    def get_connector(self, name: str) -> dict[str, Any] | None:
        return self.gateway.get_custom_api(name)

    def download_definition(self, connector: dict[str, Any]) -> dict[str, Any] | None:
        return self.gateway.download_swagger(connector)

    def connections_of(self, connector_id: str) -> list[dict[str, Any]]:
        wanted = _norm(connector_id)
        return [c for c in self.gateway.list_connections() if _norm(connection_api_id(c)) == wanted]

    def create_connector(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.gateway.put_custom_api(name, body, if_none_match="*")

    def update_connector(
        self, name: str, body: dict[str, Any], *, etag: str | None, listed_as: str | None = None
    ) -> dict[str, Any]:
        refuse_other_name(name, listed_as)
        return self.gateway.put_custom_api(name, body, if_match=etag)

    def write_markers(self, name: str, markers: dict[str, str], *, listed_as: str | None = None) -> dict[str, Any]:
        refuse_other_name(name, listed_as)
        return self.gateway.patch_custom_api_tags(name, markers)

    def delete_connector(self, name: str) -> bool:
        return self.gateway.delete_custom_api(name)

    def grant(self, connector: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.gateway.put_role_assignment(self.connector_id(connector), name, body)

    def revoke(self, grant_id: str) -> bool:
        return self.gateway.delete_role_assignment(grant_id)


def refuse_other_name(name: str, listed_as: str | None) -> None:
    """A customApi's name is its resource name: it cannot be adopted under another (the plan refuses it first)."""
    if listed_as and listed_as.lower() != name.lower():
        raise GatewayError(
            f"customApi {listed_as!r} cannot be adopted as {name!r}: on ARM a customApi's name is its resource name",
            status=400,
            hint=f"name the connector {listed_as!r} in connector.yaml (metadata.name) to adopt it",
        )
