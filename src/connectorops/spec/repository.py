"""The desired state as read from a repository: config, connectors and their locations.

- `LoadedConnector`: one connectors/<name>/connector.yaml, parsed and validated.
- `Repository`: connectorops.yaml + every connector + every problem found while loading.
- `ConnectorInEnvironment`: one connector with its environment's overrides merged, once; what
  definitions, policy and render read (definitions.model.ResolvedConnector adds the definition).
- `load_repository(tree)` (in connectorops.spec.loader): collect every problem (never stop at
  the first) and return them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from connectorops.errors import Problem, Severity, SpecError
from connectorops.spec.models import ConnectorDocument, ConnectorSpecBody, ProjectConfig
from connectorops.spec.source import SourceTree


@dataclass(frozen=True)
class LoadedConnector:
    name: str  # metadata.name == the ARM resource name
    folder: str  # repo-relative POSIX path, e.g. "connectors/orders"
    path: str  # repo-relative path of connector.yaml
    document: ConnectorDocument


@dataclass(frozen=True)
class ConnectorInEnvironment:
    """A connector as one environment sees it: the spec with that environment's overrides merged in.

    Made once per connector and environment (`of`), so sharing, certification, the definition's backend
    and auth, and render all read the same merge. `environment` None: the base spec (certify, no environment).
    """

    connector: LoadedConnector
    environment: str | None
    spec: ConnectorSpecBody

    @classmethod
    def of(cls, connector: LoadedConnector, environment: str | None) -> ConnectorInEnvironment:
        document = connector.document
        spec = document.for_environment(environment)
        return cls(connector=connector, environment=environment, spec=spec)

    @property
    def name(self) -> str:
        return self.connector.name

    @property
    def path(self) -> str:
        return self.connector.path


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

    def select(self, names: list[str]) -> list[LoadedConnector]:
        """The named connectors (all of them when `names` is empty); an unknown name is a SpecError."""
        if not names:
            return list(self.connectors)
        known = [c.name for c in self.connectors]
        for name in names:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                raise SpecError(
                    f"no connector named {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                    hint=f"connectors: {', '.join(sorted(known)) or 'none'}",
                )
        return [c for c in self.connectors if c.name in names]
