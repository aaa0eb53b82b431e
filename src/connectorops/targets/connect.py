"""Open the target an environment of connectorops.yaml names, as the engine's Target.

ARM resource groups (`local`, `azure`) and Power Platform environments (`powerplatform`, and `local` with
`platform: powerplatform`: the emulator's Power Platform surface). The sharing directory is seeded before the
first observe (local emulator).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.engine.target import Capabilities, Target
from connectorops.targets.address import (
    LocalAddress,
    PowerPlatformAddress,
    TargetAddress,
    address_of,
    is_powerplatform_address,
)
from connectorops.targets.arm.target import ARM_CAPABILITIES, ResourceGroupTarget

if TYPE_CHECKING:
    from connectorops.engine.pipeline import Inputs
    from connectorops.spec.models import Environment


def is_powerplatform(environment: Environment) -> bool:
    """A `powerplatform` environment, or the local emulator's Power Platform surface."""
    return is_powerplatform_address(address_of(environment))


def capabilities_of(environment: Environment) -> Capabilities:
    """What the environment's target can carry, without connecting (validate)."""
    if not is_powerplatform(environment):
        return ARM_CAPABILITIES
    from connectorops.targets.powerplatform.placement import POWERPLATFORM_CAPABILITIES  # not on ARM's path

    return POWERPLATFORM_CAPABILITIES


@contextmanager
def connect(inputs: Inputs) -> Iterator[Target]:
    """The environment's target (the embedded emulator for `target: local`), closed on exit."""
    address, principals = located(inputs)
    with open_target(inputs.repo_root, inputs.environment, address, principals=principals) as target:
        yield target


def located(inputs: Inputs) -> tuple[TargetAddress, tuple[tuple[str, str, str], ...]]:
    """The address of the inputs' environment, and the directory to seed its local emulator with (else none)."""
    from connectorops.engine.pipeline import directory_entries
    from connectorops.targets.arm.connect import environment_config

    address = address_of(environment_config(inputs.repo.config, inputs.environment))
    return address, tuple(directory_entries(inputs.repo)) if address.kind == "local" else ()


@contextmanager
def open_target(
    repo_root: Path, environment: str, address: TargetAddress, *, principals: Iterable[tuple[str, str, str]] = ()
) -> Iterator[Target]:
    """The target at `address` (environment `environment` of connectorops.yaml), closed on exit.

    principals: (object_id, principal_type, display_name) to seed the local emulator's directory with.
    """
    if isinstance(address, PowerPlatformAddress) or (
        isinstance(address, LocalAddress) and address.platform == "powerplatform"
    ):
        from connectorops.targets.powerplatform.connect import open_powerplatform_at

        with open_powerplatform_at(repo_root, environment, address, principals=principals) as target:
            yield target
        return
    from connectorops.targets.arm.connect import open_arm

    with open_arm(repo_root, environment, address, principals=principals) as gateway:
        yield ResourceGroupTarget(gateway)
