"""Open the target an environment of connectorops.yaml names, as the engine's Target.

Today every environment (`local`, `azure`) is an ARM resource group; a Power Platform environment
will be chosen here too. The sharing directory is seeded before the first observe (local emulator).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectorops.engine.pipeline import Inputs, directory_entries
from connectorops.targets.arm.target import ResourceGroupTarget


@contextmanager
def connect(inputs: Inputs) -> Iterator[ResourceGroupTarget]:
    """The environment's target (the embedded emulator for `target: local`), closed on exit."""
    from connectorops.targets.arm.connect import open_gateway

    with open_gateway(
        inputs.repo_root, inputs.repo.config, inputs.environment, principals=directory_entries(inputs.repo)
    ) as gateway:
        yield ResourceGroupTarget(gateway)
