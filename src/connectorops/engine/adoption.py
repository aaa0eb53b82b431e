"""What git's adopt labels ask that no plan could do, found before the target is asked anything.

`connectorops/adopt: X` (X not "true") adopts the connector the target lists as X under metadata.name. Only a
target that keeps the name in its own record can do that (Capabilities.adopts_under_another_name); and one
listed connector can be taken over by one connector.yaml only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectorops.engine.target import Capabilities
from connectorops.errors import Problem
from connectorops.render import ADOPT_LABEL, adopt_label

if TYPE_CHECKING:
    from connectorops.spec.repository import LoadedConnector, Repository
    from connectorops.spec.source import SourceTree

FIELD = f"metadata.labels.{ADOPT_LABEL}"
CODE = "adopt.label"


def adoption_problems(repo: Repository, *, capabilities: Capabilities, target: str) -> list[Problem]:
    """An error per adopt label naming another connector where the target cannot rename on adoption, and per
    listed name two connector.yaml files would take (by label, or one by label and one as its own name)."""
    problems: list[Problem] = []
    # listed name (lower case) -> the file that takes it as its own name or by its label
    claimed = {c.name.lower(): c.path for c in repo.connectors}
    for connector in repo.connectors:
        _, listed = adopt_label(connector.document.metadata.labels, connector.name)
        if not listed:
            continue
        line = label_line(connector, repo.tree)
        if not capabilities.adopts_under_another_name:
            problems.append(
                Problem(
                    f"adopts {listed!r} as {connector.name!r}, but on target {target} a connector's name is its "
                    "resource name: only the connector of its own name can be adopted",
                    file=connector.path,
                    line=line,
                    field=FIELD,
                    code=CODE,
                    hint=f'set metadata.name to {listed!r} and the label to "true" (rename the folder to match), '
                    "or remove the label to create a new connector",
                )  # fmt: skip
            )
            continue
        other = claimed.setdefault(listed.lower(), connector.path)
        if other != connector.path:
            problems.append(
                Problem(
                    f"adopts {listed!r}, which {other} also takes: one connector can be adopted by one "
                    "connector.yaml only",
                    file=connector.path,
                    line=line,
                    field=FIELD,
                    code=CODE,
                    hint=f"keep {listed!r} in one of {other} and {connector.path}; remove the other's label",
                )  # fmt: skip
            )
    return problems


def label_line(connector: LoadedConnector, tree: SourceTree) -> int | None:
    """The line of connector.yaml's adopt label (the file is parsed again, only for a label naming another)."""
    from connectorops.policy.sharing import connector_locator

    position = connector_locator(connector, tree)(("metadata", "labels", ADOPT_LABEL))
    return position[0] if position else None
