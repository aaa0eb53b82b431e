"""The Target protocol: what every place connectors can live in offers the engine.

The engine sees an identity, capabilities, an inventory (one paged list per collection) and a few writes;
it never builds a URL or a resource id. ARM resource groups implement it in targets/arm/; a Power Platform
environment (connectors named by the server, permissions instead of role assignments, flows as
consumers) implements the same methods. Resources still travel as the target's JSON dicts; the engine
reads them only through the helpers here and in engine/observe.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from connectorops.engine.impact import LOGIC_APP

if TYPE_CHECKING:
    from connectorops.definitions.model import ResolvedConnector
    from connectorops.render import DesiredCustomApi


@dataclass(frozen=True)
class TargetId:
    """Which target, without credentials: its kind and the fields that name it (shown, saved in plans).

    ARM: subscriptionId, resourceGroup, location. `to_dict` is the shape
    plan files and drift reports have always stored (the kind is implied for ARM, so old files still load).
    """

    kind: str
    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # Sorted, so a plan read back from its file equals the plan that was saved.
        object.__setattr__(self, "fields", tuple(sorted(self.fields)))

    def get(self, key: str) -> str | None:
        return dict(self.fields).get(key)

    def to_dict(self) -> dict[str, str]:
        result = dict(self.fields)
        if self.kind != ARM:
            result["kind"] = self.kind
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TargetId:
        values = {str(k): str(v) for k, v in (data or {}).items() if v is not None}
        kind = values.pop("kind", ARM)
        return cls(kind=kind, fields=tuple(values.items()))


ARM = "arm"
# A listed connector's other names (Power Platform: the server's apiName when its record names it otherwise),
# so an adopt label naming a connector that is already managed is refused by name, not reported as absent.
ALIASES = "aliases"


@dataclass(frozen=True)
class Capabilities:
    """What a target can carry, so the engine refuses what it cannot hold instead of dropping it."""

    tags: bool  # free-form tags on connectors (ARM: yes; Power Platform: no, markers live elsewhere)
    policy_templates: bool
    custom_code: bool
    connection_parameter_sets: bool
    server_assigned_names: bool  # Power Platform: POST, the server names the connector
    roles: frozenset[str]  # the sharing role vocabulary (use/edit/read for ARM; use/share/edit for PP)
    consumers: str = LOGIC_APP  # what list_consumers returns: Logic Apps (ARM) or flows (Power Platform)
    # Power Platform keeps one permission per principal and connector: granting another role replaces it
    one_role_per_principal: bool = False
    # the connector's name lives in the target's own record, not in its resource name (Power Platform): an
    # unmanaged connector listed as X can be adopted under metadata.name (connectorops/adopt: X)
    adopts_under_another_name: bool = False


class Placement(Protocol):
    """Where, without a connection: enough to render the desired state (ids, identity)."""

    @property
    def identity(self) -> TargetId: ...

    @property
    def capabilities(self) -> Capabilities:
        """What it can carry: desired-state building refuses (or strips, as connector.yaml says) the rest."""
        ...

    def scope_id(self) -> str:
        """The container everything lives in (ARM: the resource group id)."""
        ...

    def connector_id(self, name: str) -> str:
        """The id a connector named `name` has (or will have) in this target; where the server assigns ids
        (Power Platform) the planned id is provisional, so writes name connectors, never ids."""
        ...

    def render_connector(self, connector: ResolvedConnector, *, commit: str | None) -> DesiredCustomApi:
        """The body this target stores for one resolved connector (its `fitted` definition and merged `spec`),
        with its ownership markers under `tags` and its fingerprint (what plan compares against what the
        target reports)."""
        ...

    def role_id(self, role_definition: str) -> str:
        """The target's grant role for a sharing.yaml role definition (ARM: the full roleDefinitions id)."""
        ...


class Target(Placement, Protocol):
    """One environment's target. Writes raise GatewayError (with a hint) when the target refuses."""

    # observe: one paged list per collection ----------------------------------------------------
    def list_connectors(self) -> list[dict[str, Any]]:
        """Every connector in the container, ours or not (never the target's own coordination markers)."""
        ...

    def list_grants(self) -> list[dict[str, Any]]: ...

    def list_connections(self) -> list[dict[str, Any]]: ...

    def list_consumers(self) -> list[dict[str, Any]]:
        """What uses connections (ARM: Logic Apps; Power Platform: flows)."""
        ...

    def get_connector(self, name: str) -> dict[str, Any] | None: ...

    def download_definition(self, connector: dict[str, Any]) -> dict[str, Any] | None:
        """The deployed OpenAPI document of a listed connector (None when the target has none)."""
        ...

    def connections_of(self, connector_id: str) -> list[dict[str, Any]]:
        """The live connections to one connector: read again right before it is deleted."""
        ...

    # writes -------------------------------------------------------------------------------------
    def create_connector(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create only: fails if a connector of that name appeared meanwhile."""
        ...

    def update_connector(
        self, name: str, body: dict[str, Any], *, etag: str | None, listed_as: str | None = None
    ) -> dict[str, Any]:
        """Replace the definition, only while its version is still `etag` (None: unconditionally).
        `listed_as`: adopting, under `name`, the connector the target lists by that other name (only where
        Capabilities.adopts_under_another_name; other targets refuse it)."""
        ...

    def write_markers(self, name: str, markers: dict[str, str], *, listed_as: str | None = None) -> dict[str, Any]:
        """Set the ownership markers alone (orphan: ours removed; adopt: ours added; `listed_as` as for update)."""
        ...

    def delete_connector(self, name: str) -> bool:
        """True when it existed."""
        ...

    def grant(self, connector: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Share `connector` (by name: the target finds it, so a connector created earlier in the same apply
        works even where the server assigned its id) under the deterministic grant `name`."""
        ...

    def revoke(self, grant_id: str) -> bool: ...


# The protocol's writes by name, next to it so a new write cannot be forgotten: a wrapper that must let
# no write past (the controller's lease guard, gitops/reconcile.py) checks these.
WRITES = frozenset({"create_connector", "update_connector", "write_markers", "delete_connector", "grant", "revoke"})
