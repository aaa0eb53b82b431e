"""ARM operations the engine needs, over the Azure SDK's ARM pipeline.

CONTRACT (implemented by the gateway work; the engine, policy, gitops and infra code call
exactly these methods). All dicts are ARM JSON as sent/received. 404 -> None (or False for
deletes). Other errors -> connectorops.errors.GatewayError with arm_code and status.
Nothing here knows whether the target is Azure or the emulator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from azure.core.credentials import TokenCredential

CUSTOM_APIS_API_VERSION = "2016-06-01"
CONNECTIONS_API_VERSION = "2016-06-01"
ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01"
WORKFLOWS_API_VERSION = "2019-05-01"


@dataclass(frozen=True)
class ArmTarget:
    """Where and as whom: one subscription + resource group behind one ARM endpoint."""

    base_url: str  # e.g. https://management.azure.com or https://127.0.0.1:PORT
    subscription_id: str
    resource_group: str
    location: str
    credential: TokenCredential
    ca_bundle: str | None = None  # PEM file to trust (emulator / private CA); None = system store
    credential_scope: str = "https://management.azure.com/.default"


@dataclass
class RequestCounter:
    """Requests sent, per (HTTP verb, resource type), e.g. ("GET", "Microsoft.Web/customApis")."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def total(self, verb: str | None = None) -> int:
        return sum(n for (v, _), n in self.counts.items() if verb is None or v == verb)

    def writes(self) -> int:
        return sum(n for (v, _), n in self.counts.items() if v in ("PUT", "PATCH", "DELETE", "POST"))

    def snapshot(self) -> dict[str, int]:
        return {f"{v} {t}": n for (v, t), n in sorted(self.counts.items())}


class ArmGateway:
    """One instance per target. Thread-safe (apply uses bounded concurrency)."""

    target: ArmTarget
    requests: RequestCounter

    # ids -------------------------------------------------------------------------------
    def resource_group_id(self) -> str: ...
    def custom_api_id(self, name: str) -> str: ...
    def connection_id(self, name: str) -> str: ...
    def workflow_id(self, name: str) -> str: ...

    # Microsoft.Web/customApis ----------------------------------------------------------
    def list_custom_apis(self) -> list[dict[str, Any]]: ...  # paged via nextLink, whole RG
    def get_custom_api(self, name: str) -> dict[str, Any] | None: ...
    def put_custom_api(self, name: str, body: dict[str, Any], *, if_match: str | None = None) -> dict[str, Any]: ...
    def patch_custom_api_tags(self, name: str, tags: dict[str, str]) -> dict[str, Any]: ...
    def delete_custom_api(self, name: str) -> bool: ...
    def download_swagger(self, custom_api: dict[str, Any]) -> dict[str, Any] | None:
        """GET properties.apiDefinitions.originalSwaggerUrl (no bearer token is sent there)."""
        ...

    # Microsoft.Web/connections -----------------------------------------------------------
    def list_connections(self) -> list[dict[str, Any]]: ...
    def get_connection(self, name: str) -> dict[str, Any] | None: ...
    def put_connection(self, name: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def delete_connection(self, name: str) -> bool: ...

    # Microsoft.Authorization/roleAssignments --------------------------------------------
    def list_role_assignments(self, scope: str | None = None) -> list[dict[str, Any]]:
        """At the scope (default: the resource group), above it and below it (ARM semantics)."""
        ...
    def put_role_assignment(self, scope: str, name: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def delete_role_assignment(self, assignment_id: str) -> bool: ...

    # Microsoft.Logic/workflows (Consumption) ----------------------------------------------
    def list_workflows(self) -> list[dict[str, Any]]: ...
    def put_workflow(self, name: str, body: dict[str, Any]) -> dict[str, Any]: ...
