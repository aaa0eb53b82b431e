"""The tags connectorops writes on what it manages: the inventory lives in Azure itself.

A resource without MANAGED_BY == MANAGED_BY_VALUE is never modified or deleted.
"""

from collections.abc import Mapping
from typing import Any

MANAGED_BY = "managed-by"
MANAGED_BY_VALUE = "connectorops"
SOURCE_PATH = "connectorops-source"  # repo-relative path of connector.yaml
SOURCE_COMMIT = "connectorops-commit"  # git commit the applied desired state came from
FINGERPRINT = "connectorops-fingerprint"  # sha256 of the canonical rendered body
DELETION_POLICY = "connectorops-deletion"  # lifecycle.deletion at the last apply
ENVIRONMENT = "connectorops-environment"
# Name prefix of the controller's lease marker customApi (gitops/lease.py); no connector may use it.
LEASE_PREFIX = "connectorops-lease-"
LEASE_HOLDER = "connectorops-lease-holder"  # the marker's tag naming the controller that holds it


def is_lease_marker(resource: Mapping[str, Any]) -> bool:
    """True for a controller's lease marker: not a connector, never planned, imported or reported as drift."""
    found = resource.get("tags") or {}
    return str(resource.get("name", "")).startswith(LEASE_PREFIX) and LEASE_HOLDER in found


def is_managed(tags: dict[str, str] | None) -> bool:
    return bool(tags) and (tags or {}).get(MANAGED_BY) == MANAGED_BY_VALUE
