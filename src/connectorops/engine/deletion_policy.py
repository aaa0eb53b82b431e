"""Where a removed connector's `lifecycle.deletion` comes from: git, never the resource's tag.

The connectorops-deletion tag can be edited in the portal, so it authorizes nothing. The shell passes a
`DeletionPolicySource` that reads the connector.yaml committed at the resource's connectorops-commit tag
(gitops/deletion_policy.py); anything unknown or unreadable means `protect`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PROTECT = "protect"
ALLOW_CONNECTION_LOSS = "allow-connection-loss"
ORPHAN = "orphan"


@dataclass(frozen=True)
class DeletionPolicy:
    value: str  # protect | allow-connection-loss | orphan
    origin: str  # where it was read, for reports, e.g. "connectors/orders/connector.yaml at commit 1a2b3c4"


class DeletionPolicySource(Protocol):
    def __call__(self, *, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
        """The policy git gave connector `name` (recorded at `source_path`, `commit`) for `environment`."""
        ...


def no_git_history(*, name: str, source_path: str | None, commit: str | None, environment: str) -> DeletionPolicy:
    """The default when the caller has no git to read: protect."""
    return DeletionPolicy(PROTECT, "no git history was available to read it from, so protect")
