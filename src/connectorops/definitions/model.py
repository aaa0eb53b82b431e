"""The result of turning a connector's definition source into an OpenAPI 2.0 document.

The operations of a document (HTTP_METHODS, operation_count) are counted in definitions/operations.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from connectorops.definitions.operations import operation_count
from connectorops.errors import Problem
from connectorops.spec.repository import ConnectorInEnvironment, LoadedConnector

SourceKind = Literal["openapi", "url", "postman", "paconn"]


@dataclass(frozen=True)
class CustomCode:
    """A paconn folder's script.csx (custom code) and the operations it runs for (`scriptOperations`)."""

    script: bytes | None  # None: apiProperties.json lists scriptOperations but the folder has no script.csx
    file: str | None  # repo-relative path of script.csx
    operations: list[str] | None = None  # None: apiProperties.json has no scriptOperations


@dataclass(frozen=True)
class ResolvedDefinition:
    """Everything render needs from the definition, already validated.

    `swagger` is the normalized OpenAPI 2.0 document with the connector's `auth:` applied
    (securityDefinitions/security). `connection_parameters` is the ARM
    `properties.connectionParameters` map; secret values are never resolved here: they
    stay as references (see `secret_refs`) and are read only by apply.
    """

    source_kind: SourceKind
    swagger: dict[str, Any]
    connection_parameters: dict[str, Any]
    # paconn extras, kept whole: ARM has a field only for capabilities; policy templates, custom
    # code and connectionParameterSets are for a Power Platform target (definitions.carry decides)
    capabilities: list[str] = field(default_factory=list)
    policy_template_instances: list[dict[str, Any]] = field(default_factory=list)
    connection_parameter_sets: dict[str, Any] | None = None
    custom_code: CustomCode | None = None
    properties_file: str | None = None  # apiProperties.json, repo-relative
    # top-level key of apiProperties.json's "properties" -> its 1-based line, for errors that name it
    property_lines: dict[str, int] = field(default_factory=dict)
    icon_brand_color: str | None = None
    icon_png: bytes | None = None  # the connector's icon.png, if any
    source_files: tuple[str, ...] = ()  # repo-relative paths read, for change detection
    warnings: tuple[Problem, ...] = ()
    # JSON pointer in connection_parameters -> secret reference ({"env": ...} / {"keyVault": ...})
    secret_refs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def operation_count(self) -> int:
        return operation_count(self.swagger)

    @property
    def auth_kind(self) -> str:
        defs = self.swagger.get("securityDefinitions") or {}
        if not defs:
            return "none"
        first = next(iter(defs.values()))
        return str(first.get("type", "none")) if isinstance(first, dict) else "none"


@dataclass(frozen=True)
class ResolvedConnector(ConnectorInEnvironment):
    """One connector resolved once for one environment (definitions.resolve.resolve_connector).

    Render, certification and sharing read this value instead of merging overrides or resolving again.
    """

    definition: ResolvedDefinition  # everything the source says: certification judges this
    fitted: ResolvedDefinition  # what the environment's target can carry: render deploys this
    carried: tuple[Problem, ...] = ()  # why `fitted` differs (definitions.carry): refusals and strip warnings

    @classmethod
    def from_definition(
        cls, connector: LoadedConnector, environment: str | None, definition: ResolvedDefinition
    ) -> ResolvedConnector:
        """A connector whose definition was resolved (or read back) elsewhere, deployed as it is."""
        view = ConnectorInEnvironment.of(connector, environment)
        return cls(connector, environment, view.spec, definition=definition, fitted=definition)
