"""The Pulumi packages are the optional `connectorops[pulumi]` extra: say so when they are missing.

The core install (the CLI) never imports Pulumi; only infra/ and the CrossGuard pack need it.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'connectorops[pulumi]'"


class PulumiExtraMissing(ImportError):
    """A Pulumi package is not installed; the message names it and the command that installs it."""

    def __init__(self, purpose: str, missing: ImportError) -> None:
        package = (missing.name or "pulumi").split(".")[0].replace("_", "-")
        super().__init__(
            f"{purpose} needs the Python package {package!r}, which the core connectorops install does not "
            f"include; install the Pulumi extra: {INSTALL_HINT}",
            name=missing.name,
        )
        self.package = package
