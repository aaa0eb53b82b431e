"""Azure regions the emulator accepts as `location`, and ARM's answers for a missing or unknown one.

Names as `az account list-locations` prints them (public cloud); ARM also accepts the display
name ("West Europe") and stores the short name, so both are read here.
"""

from __future__ import annotations

from typing import Any

from connectorops.emulator.protocol import ArmError

AZURE_REGIONS = (
    "eastus", "eastus2", "southcentralus", "westus2", "westus3", "australiaeast", "southeastasia",
    "northeurope", "swedencentral", "uksouth", "westeurope", "centralus", "southafricanorth",
    "centralindia", "eastasia", "japaneast", "koreacentral", "canadacentral", "francecentral",
    "germanywestcentral", "italynorth", "norwayeast", "polandcentral", "spaincentral", "switzerlandnorth",
    "mexicocentral", "uaenorth", "brazilsouth", "israelcentral", "qatarcentral", "centralusstage",
    "eastusstage", "eastus2stage", "northcentralusstage", "southcentralusstage", "westusstage",
    "westus2stage", "asia", "asiapacific", "australia", "brazil", "canada", "europe", "france",
    "germany", "global", "india", "japan", "korea", "norway", "singapore", "southafrica", "sweden",
    "switzerland", "unitedstates", "northcentralus", "westus", "japanwest", "centraluseuap",
    "eastus2euap", "westcentralus", "southafricawest", "australiacentral", "australiacentral2",
    "australiasoutheast", "koreasouth", "southindia", "westindia", "canadaeast", "francesouth",
    "germanynorth", "norwaywest", "switzerlandwest", "ukwest", "uaecentral", "brazilsoutheast",
    "newzealandnorth", "indonesiacentral", "malaysiawest", "chilecentral", "austriaeast",
    "belgiumcentral", "denmarkeast",
)  # fmt: skip
_KNOWN = frozenset(AZURE_REGIONS)


def normalized_location(value: str) -> str:
    """ "West Europe" -> "westeurope" (ARM compares and stores the short form)."""
    return value.replace(" ", "").lower()


def checked_location(body: dict[str, Any], resource_type: str) -> str:
    """The body's location in its short form, or ARM's 400 for a missing, non-string or unknown one."""
    location = body.get("location")
    if location is None or location == "":
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if not isinstance(location, str):
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid: 'location' must be a string.")
    short = normalized_location(location)
    if short not in _KNOWN:
        raise location_not_available(location, resource_type)
    return short


def location_not_available(location: str, resource_type: str) -> ArmError:
    if resource_type == "resourceGroups":
        return ArmError(
            400,
            "LocationNotAvailableForResourceGroup",
            f"The provided location '{location}' is not available for resource group. List of available regions "
            f"is '{','.join(AZURE_REGIONS)}'.",
        )
    return ArmError(
        400,
        "LocationNotAvailableForResourceType",
        f"The provided location '{location}' is not available for resource type '{resource_type}'. List of "
        f"available regions for the resource type is '{','.join(AZURE_REGIONS)}'.",
    )
