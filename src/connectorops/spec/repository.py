"""The desired state as read from a repository: config, connectors and their locations.

CONTRACT (owned by the spec work; other packages depend on these names):
- `LoadedConnector`: one connectors/<name>/connector.yaml, parsed and validated.
- `Repository`: connectorops.yaml + every connector + every problem found while loading.
- `load_repository(tree)` (in connectorops.spec.loader): collect every problem (never stop at
  the first) and return them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectorops.errors import Problem, Severity
from connectorops.spec.models import ConnectorDocument, ProjectConfig
from connectorops.spec.source import SourceTree


@dataclass(frozen=True)
class LoadedConnector:
    name: str  # metadata.name == the ARM resource name
    folder: str  # repo-relative POSIX path, e.g. "connectors/orders"
    path: str  # repo-relative path of connector.yaml
    document: ConnectorDocument


@dataclass(frozen=True)
class Repository:
    tree: SourceTree
    config: ProjectConfig
    connectors: tuple[LoadedConnector, ...]
    problems: tuple[Problem, ...] = field(default=())
    # Every connectors/<dir>/connector.yaml found, including those that failed to load: lets
    # `validate` show a row for a connector whose YAML is broken.
    connector_files: tuple[str, ...] = field(default=())
    config_loaded: bool = True  # False: connectorops.yaml was invalid and `config` is the default

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    def connector(self, name: str) -> LoadedConnector | None:
        return next((c for c in self.connectors if c.name == name), None)
