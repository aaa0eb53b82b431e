"""What every target answers from its Placement alone (identity, ids, rendering, role ids): one copy for all."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectorops.definitions.model import ResolvedConnector
    from connectorops.engine.target import Capabilities, Placement, TargetId
    from connectorops.render import DesiredCustomApi


class PlacedTarget:
    """Base of a Target whose `placement` answers the Placement half of the protocol."""

    @property
    def placement(self) -> Placement:
        raise NotImplementedError

    @property
    def identity(self) -> TargetId:
        return self.placement.identity

    @property
    def capabilities(self) -> Capabilities:
        return self.placement.capabilities

    def scope_id(self) -> str:
        return self.placement.scope_id()

    def connector_id(self, name: str) -> str:
        return self.placement.connector_id(name)

    def render_connector(self, connector: ResolvedConnector, *, commit: str | None) -> DesiredCustomApi:
        return self.placement.render_connector(connector, commit=commit)

    def role_id(self, role_definition: str) -> str:
        return self.placement.role_id(role_definition)
