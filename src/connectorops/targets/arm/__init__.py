"""An Azure resource group (real or the local emulator) as a connectorops target."""

from connectorops.targets.arm.target import ARM_CAPABILITIES, ArmPlacement, ResourceGroupTarget

__all__ = ["ARM_CAPABILITIES", "ArmPlacement", "ResourceGroupTarget"]
