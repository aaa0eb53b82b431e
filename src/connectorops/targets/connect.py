"""Open the target an environment of connectorops.yaml names, as the engine's Target.

ARM resource groups (`local`, `azure`) and Power Platform environments (`powerplatform`, and `local` with
`platform: powerplatform`: the emulator's Power Platform surface). The sharing directory is seeded before the
first observe (local emulator).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectorops.engine.pipeline import Inputs, directory_entries
from connectorops.engine.target import Capabilities, Target
from connectorops.spec.models import LocalEnvironment, PowerPlatformEnvironment
from connectorops.targets.arm.target import ARM_CAPABILITIES, ResourceGroupTarget
from connectorops.targets.powerplatform.placement import POWERPLATFORM_CAPABILITIES


def is_powerplatform(environment: object) -> bool:
    """A `powerplatform` environment, or the local emulator's Power Platform surface."""
    return isinstance(environment, PowerPlatformEnvironment) or (
        isinstance(environment, LocalEnvironment) and environment.platform == "powerplatform"
    )


def capabilities_of(environment: object) -> Capabilities:
    """What the environment's target can carry, without connecting (validate)."""
    return POWERPLATFORM_CAPABILITIES if is_powerplatform(environment) else ARM_CAPABILITIES


@contextmanager
def connect(inputs: Inputs) -> Iterator[Target]:
    """The environment's target (the embedded emulator for `target: local`), closed on exit."""
    from connectorops.targets.arm.connect import environment_config, open_gateway

    chosen = environment_config(inputs.repo.config, inputs.environment)
    if is_powerplatform(chosen):
        from connectorops.targets.powerplatform.connect import open_powerplatform

        with open_powerplatform(
            inputs.repo_root, inputs.repo.config, inputs.environment, principals=directory_entries(inputs.repo)
        ) as target:
            yield target
        return
    with open_gateway(
        inputs.repo_root, inputs.repo.config, inputs.environment, principals=directory_entries(inputs.repo)
    ) as gateway:
        yield ResourceGroupTarget(gateway)
