"""What role names mean on each platform: Azure built-in role ids and Power Platform connector permissions.

Plain constants (no pydantic): plans, grants and reports use them without loading the sharing policy's models.
"""

from __future__ import annotations

from typing import Literal

# Built-in Azure role ids (azure-docs built-in-roles): what the role names mean when
# policies/sharing.yaml does not say otherwise.
LOGIC_APP_OPERATOR = "515c2055-d9d4-4321-b1b9-bd0c9a0f79fe"
LOGIC_APP_CONTRIBUTOR = "87a39d53-fc1b-424a-814c-f7e04687dc9e"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DEFAULT_ROLE_IDS: dict[str, str] = {"use": LOGIC_APP_OPERATOR, "edit": LOGIC_APP_CONTRIBUTOR, "read": READER}

# Where a grant lands decides what a role name means: an Azure role assignment (ARM targets) or a
# Power Platform connector permission. The names match the TargetId kinds of the two targets.
ARM_PLATFORM = "arm"
POWER_PLATFORM = "powerplatform"

# Power Platform connector permissions (Power Apps API roleName). The creator's Owner permission is the
# service's own: never declared, never revoked.
CAN_VIEW = "CanView"
CAN_VIEW_WITH_SHARE = "CanViewWithShare"
CAN_EDIT = "CanEdit"
OWNER = "Owner"
PowerPlatformRole = Literal["CanView", "CanViewWithShare", "CanEdit"]
DEFAULT_POWER_PLATFORM_ROLES: dict[str, str] = {"use": CAN_VIEW, "share": CAN_VIEW_WITH_SHARE, "edit": CAN_EDIT,
                                                "read": CAN_VIEW}  # fmt: skip

# Tenant: everyone in the tenant (Power Platform only, CanView only); its objectId is the tenant id.
PrincipalType = Literal["User", "Group", "ServicePrincipal", "Tenant"]
# The principal types each platform can share with.
PLATFORM_PRINCIPAL_TYPES: dict[str, frozenset[str]] = {
    ARM_PLATFORM: frozenset({"User", "Group", "ServicePrincipal"}),
    POWER_PLATFORM: frozenset({"User", "Group", "Tenant"}),
}
PLATFORM_NAMES = {ARM_PLATFORM: "Azure (role assignments)", POWER_PLATFORM: "Power Platform"}
