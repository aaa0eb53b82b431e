"""How long the Pulumi program takes to load, render and declare many connectors under set_mocks.

Prints numbers; asserts only what must hold whatever the machine (resource counts, request counts).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from pulumi_support import SUBSCRIPTION, make_repo, pulumi_target, run_program

from connectorops.pulumi_stack.settings import StackSettings

CONNECTORS = 100


def test_declare_many_connectors(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    template = repo / "connectors" / "orders"
    for index in range(CONNECTORS - 2):
        name = f"orders-{index:03d}"
        target = repo / "connectors" / name
        shutil.copytree(template, target)
        text = (target / "connector.yaml").read_text().replace("name: orders", f"name: {name}", 1)
        (target / "connector.yaml").write_text(text)
    gateway = pulumi_target()
    for index in range(0, CONNECTORS - 2, 2):  # every other connector has a live connection
        gateway.add_connection(f"conn-{index}", f"orders-{index:03d}")
    # the template's connection dialog (uiDefinition) is what azure-native cannot carry: accept dropping it
    names = frozenset(["orders", "d7sms", *(f"orders-{index:03d}" for index in range(CONNECTORS - 2))])
    settings = StackSettings(repo_root=repo, environment="dev", subscription_id=SUBSCRIPTION, drop_ui_definition=names)
    started = time.perf_counter()
    mocks, monitor, declared = run_program(settings, gateway, {"ORDERS_DEV_CLIENT_SECRET": "bench"})
    elapsed = time.perf_counter() - started
    custom_apis = sum(1 for typ, _, _ in mocks.created if typ.endswith(":CustomApi"))
    grants = sum(1 for typ, _, _ in mocks.created if typ.endswith(":RoleAssignment"))
    protected = sum(1 for p in declared.protections.values() if p.protect)
    print(
        f"\npulumi program: {custom_apis} CustomApi + {grants} RoleAssignment declared in {elapsed:.2f}s "
        f"({elapsed / custom_apis * 1000:.1f} ms per connector), {protected} protected, "
        f"{gateway.requests.total()} gateway requests"
    )
    assert custom_apis == CONNECTORS and grants == CONNECTORS - 1
    assert protected == (CONNECTORS - 2) // 2
    # one list each of customApis, connections, role assignments and workflows, whatever the count
    assert gateway.requests.total() == 4
    assert {name for _, name, _ in mocks.created} <= set(monitor.options)
