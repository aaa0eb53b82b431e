"""A throwaway connectorops repository on disk, and the engine pipeline run against a gateway.

Used by the engine's end-to-end tests: they write connectors as files, reconcile through the same
functions the CLI calls, and look at the emulator through the gateway.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import git

from connectorops.engine.deletion_policy import DeletionPolicySource, no_git_history
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.observe import ObservedState, observe
from connectorops.engine.plan import Plan, PlanOptions, make_plan
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

OPENAPI: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Orders", "version": "1.0", "description": "Read and cancel orders of the Contoso shop."},
    "host": "orders.contoso.com",
    "basePath": "/api",
    "schemes": ["https"],
    "paths": {
        "/orders": {
            "get": {
                "operationId": "ListOrders",
                "summary": "List orders",
                "parameters": [{"name": "status", "in": "query", "type": "string", "enum": ["open", "closed"]}],
                "responses": {"200": {"description": "The orders.", "schema": {"type": "array", "items": {
                    "type": "object", "properties": {"id": {"type": "string"}, "total": {"type": "number"}}}}}},
            }
        },
        "/orders/{id}": {
            "delete": {
                "operationId": "DeleteOrder",
                "summary": "Cancel an order",
                "parameters": [{"name": "id", "in": "path", "type": "string", "required": True}],
                "responses": {"204": {"description": "Cancelled."}},
            }
        },
    },
}  # fmt: skip


def openapi(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(OPENAPI)
    doc.update(changes)
    return doc


def write_config(root: Path) -> None:
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")


def write_connector(
    root: Path, name: str, *, doc: dict[str, Any] | None = None, deletion: str = "protect", extra: str = ""
) -> None:
    folder = root / "connectors" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "openapi.json").write_text(json.dumps(doc or OPENAPI, indent=1))
    (folder / "connector.yaml").write_text(
        "apiVersion: connectorops/v1\nkind: Connector\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n  definition: {openapi: openapi.json}\n"
        "  backend: {serviceUrl: https://orders.contoso.com/api}\n"
        f"  lifecycle: {{deletion: {deletion}}}\n" + extra
    )


def remove_connector(root: Path, name: str) -> None:
    folder = root / "connectors" / name
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


def make_repo(root: Path, *names: str, deletion: str = "protect") -> Path:
    write_config(root)
    (root / "connectors").mkdir(exist_ok=True)
    for name in names:
        write_connector(root, name, deletion=deletion)
    return root


def commit_all(root: Path, message: str = "change") -> str:
    """`git add -A && git commit` in root (initialised on first use); the new commit's sha."""
    repo = git.Repo.init(root) if not (root / ".git").exists() else git.Repo(root)
    repo.git.add("-A")
    with repo.config_writer() as config:
        config.set_value("user", "name", "test").set_value("user", "email", "test@example.com")
    repo.git.commit("-m", message, "--allow-empty")
    return repo.head.commit.hexsha


def reconcile(
    root: Path,
    gateway: ArmGateway,
    options: PlanOptions | None = None,
    *,
    drift: bool = False,
    commit: str = "0" * 40,
    deletion_policies: DeletionPolicySource = no_git_history,
) -> tuple[DesiredState, ObservedState, Plan]:
    """desired -> observe -> plan, exactly as `connectorops plan` does it."""
    repo = load_repository(FileSystemTree(root))
    assert repo.errors == [], [str(p) for p in repo.errors]
    target = ResourceGroupTarget(gateway)
    desired = build_desired_state(repo, "local", placement=target, commit=commit)
    observed = observe(target, desired=desired.custom_apis, drift=drift)
    return (
        desired,
        observed,
        make_plan(desired, observed, options, target=target.identity, deletion_policies=deletion_policies),
    )


def connect_logic_app(
    gateway: ArmGateway,
    connector: str,
    connection: str,
    workflow: str,
    calls: tuple[tuple[str, str], ...] = (("delete", "/orders/@{encodeURIComponent(triggerBody()['id'])}"),),
) -> None:
    """Simulate a user: a connection to the connector and a Consumption Logic App calling it."""
    existing = gateway.get_connection(connection)
    conn = existing or gateway.put_connection(
        connection,
        {"location": gateway.target.location,
         "properties": {"displayName": connection, "api": {"id": gateway.custom_api_id(connector)}}},
    )  # fmt: skip
    host = {"connection": {"name": f"@parameters('$connections')['{connector}']['connectionId']"}}
    actions = {
        f"call_{i}": {"type": "ApiConnection", "runAfter": {}, "inputs": {"host": host, "method": method, "path": path}}
        for i, (method, path) in enumerate(calls)
    }
    gateway.put_workflow(
        workflow,
        {"location": gateway.target.location, "properties": {
            "definition": {"$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                           "2016-06-01/workflowdefinition.json#", "contentVersion": "1.0.0.0",
                           "parameters": {"$connections": {"defaultValue": {}, "type": "Object"}},
                           "triggers": {}, "actions": actions},
            "parameters": {"$connections": {"value": {connector: {
                "id": gateway.custom_api_id(connector), "connectionId": conn["id"], "connectionName": connection}}}},
        }},
    )  # fmt: skip
