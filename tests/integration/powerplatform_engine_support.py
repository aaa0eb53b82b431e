"""A git repository deployed by the CLI to the embedded emulator's Power Platform surface
(`{target: local, platform: powerplatform}`), and a maker who shares, connects and builds flows in the portal.

The CLI runs in-process (`cli`); the maker talks to the same emulator state through the Power Platform target's
client, as the portal would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine_e2e_support import commit_all, make_repo

from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.powerplatform.connect import open_powerplatform
from connectorops.targets.powerplatform.target import PowerPlatformTarget

ENV = "makers"
CONFIG = f"default: {ENV}\nenvironments:\n  {ENV}: {{target: local, platform: powerplatform}}\n"
SALES = "5b0b6a39-2f0e-4d8b-9a71-1c6f3e8d2a01"
ALICE = "0f6a3c9e-8b27-4d15-9e4a-7c2b1d8f5e05"
BOT = "e1b4c8d2-5f3a-4c67-b9e0-2d8a6f4c1b06"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SHARING = f"""\
principals:
  sales-team: {{objectId: {SALES}, type: Group}}
  alice: {{objectId: {ALICE}, type: User}}
  deploy-bot: {{objectId: {BOT}, type: ServicePrincipal}}
  everyone: {{objectId: {TENANT}, type: Tenant, displayName: Contoso}}
rules:
  - name: makers-share-freely
    effect: allow
"""
RULE_LINE = SHARING.splitlines().index("  - name: makers-share-freely") + 1


def pp_repo(root: Path, *names: str, deletion: str = "protect", sharing: str = "") -> Path:
    """Connectors `names` (the Orders API), sharing.yaml, committed; `sharing` is appended to each connector.yaml."""
    make_repo(root, *names, deletion=deletion)
    (root / "connectorops.yaml").write_text(CONFIG)
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "sharing.yaml").write_text(SHARING)
    (root / ".gitignore").write_text(".connectorops/\n")
    for name in names:
        with (root / "connectors" / name / "connector.yaml").open("a") as file:
            file.write(sharing)
    commit_all(root, "connectors")
    return root


@contextmanager
def portal(root: Path) -> Iterator[PowerPlatformTarget]:
    """The environment the CLI deploys to, opened as a maker in the portal would see it."""
    config = load_repository(FileSystemTree(root)).config
    with open_powerplatform(root, config, ENV) as target:
        yield target


def api_name(target: PowerPlatformTarget, connector: str) -> str:
    live = target.get_connector(connector)
    assert live is not None, f"{connector} is not deployed"
    return str(live["properties"]["apiName"])


def permissions(target: PowerPlatformTarget, connector: str) -> dict[str, str]:
    """principal id -> roleName, as the service lists them (Owner included)."""
    listed = target.client.list_permissions(api_name(target, connector))
    return {str(p["name"]): str(p["properties"]["roleName"]) for p in listed}


def share_in_portal(target: PowerPlatformTarget, connector: str, principal: str, kind: str, role: str) -> None:
    put = {"properties": {"roleName": role, "capabilities": [], "NotifyShareTargetOption": "Notify",
                          "principal": {"id": principal, "type": kind}}}  # fmt: skip
    target.client.modify_permissions(api_name(target, connector), put=[put])


def connect_flow(
    target: PowerPlatformTarget, connector: str, connection: str, flow: str, *operations: str
) -> dict[str, Any]:
    """A maker's connection to `connector` (made once) and a flow named `flow` whose actions call `operations`."""
    api = api_name(target, connector)
    api_id = f"/providers/Microsoft.PowerApps/apis/{api}"
    target.client.put_api_connection(api, connection, {"properties": {"displayName": connection}})
    key = f"shared_{connector}"
    actions = {
        f"Call_{op}": {"type": "OpenApiConnection", "runAfter": {},
                       "inputs": {"host": {"connectionName": key, "operationId": op, "apiId": api_id},
                                  "parameters": {}}}
        for op in operations
    }  # fmt: skip
    body = {"properties": {
        "displayName": flow, "state": "Started",
        "connectionReferences": {key: {"connectionName": connection, "id": api_id, "apiName": api}},
        "definition": {"triggers": {"Recurrence": {"type": "Recurrence", "recurrence": {"frequency": "Day",
                                                                                        "interval": 1}}},
                       "actions": {"Each": {"type": "Foreach", "foreach": "@triggerBody()", "actions": actions}}},
    }}  # fmt: skip
    name = flow.lower().replace(" ", "-")
    return target.client.put_flow(name, body)
