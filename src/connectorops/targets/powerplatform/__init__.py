"""A Power Platform environment (real, or the local emulator's Power Platform surface) as a connectorops target."""

from connectorops.targets.powerplatform.client import PowerPlatformClient, PowerPlatformLocation
from connectorops.targets.powerplatform.placement import (
    POWERPLATFORM,
    POWERPLATFORM_CAPABILITIES,
    PowerPlatformPlacement,
    permission_role,
)
from connectorops.targets.powerplatform.target import PowerPlatformTarget

__all__ = [
    "POWERPLATFORM",
    "POWERPLATFORM_CAPABILITIES",
    "PowerPlatformClient",
    "PowerPlatformLocation",
    "PowerPlatformPlacement",
    "PowerPlatformTarget",
    "permission_role",
]
