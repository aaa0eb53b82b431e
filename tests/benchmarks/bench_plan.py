"""How long planning takes as connectors grow: pure make_plan, and a full no-op plan on the emulator.

Prints numbers only; no timing assertions. Run: `pytest -q -s tests/benchmarks/bench_plan.py`
or `python tests/benchmarks/bench_plan.py`.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from connectorops.definitions.model import ResolvedConnector, ResolvedDefinition
from connectorops.emulator.server import EmulatorServer
from connectorops.engine.apply import apply_plan
from connectorops.engine.desired import DesiredState
from connectorops.engine.observe import ObservedState, observe
from connectorops.engine.plan import make_plan
from connectorops.render import DesiredCustomApi
from connectorops.spec.models import ConnectorDocument
from connectorops.spec.repository import LoadedConnector
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
from connectorops.targets.arm.render import render_custom_api
from connectorops.targets.transport.credentials import StaticTokenCredential

RG = "/subscriptions/s/resourceGroups/rg"


def _swagger(operations: int) -> dict[str, Any]:
    paths = {
        f"/items{i}/{{id}}": {
            "get": {
                "operationId": f"GetItem{i}",
                "parameters": [{"name": "id", "in": "path", "type": "string", "required": True}],
                "responses": {"200": {"description": "ok", "schema": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}}}}},
            }
        }
        for i in range(operations)
    }  # fmt: skip
    return {"swagger": "2.0", "info": {"title": "Bench", "version": "1", "description": "Bench API."},
            "host": "bench.contoso.com", "basePath": "/", "schemes": ["https"], "paths": paths}  # fmt: skip


def _desired(count: int, operations: int = 20) -> list[DesiredCustomApi]:
    result = []
    for i in range(count):
        name = f"c{i:04d}"
        document = ConnectorDocument.model_validate({"apiVersion": "connectorops/v1", "kind": "Connector",
                                                     "metadata": {"name": name},
                                                     "spec": {"definition": {"openapi": "openapi.json"}}})  # fmt: skip
        connector = LoadedConnector(name, f"connectors/{name}", f"connectors/{name}/connector.yaml", document)
        resolved = ResolvedDefinition("openapi", _swagger(operations), {})
        result.append(
            render_custom_api(
                ResolvedConnector.from_definition(connector, "bench", resolved), location="westeurope", commit="c"
            )
        )
    return result


def _deployed(apis: list[DesiredCustomApi], changed_every: int) -> ObservedState:
    resources = []
    swaggers = {}
    for i, api in enumerate(apis):
        body = copy.deepcopy(api.body)
        swagger = body["properties"].pop("swagger")
        if changed_every and i % changed_every == 0:
            body["tags"]["connectorops-fingerprint"] = "old"
            swagger = copy.deepcopy(swagger)
            swagger["paths"].pop(next(iter(swagger["paths"])))
        swaggers[api.name.lower()] = swagger
        body.update(id=f"{RG}/providers/Microsoft.Web/customApis/{api.name}", name=api.name, etag=f'"{i}"')
        resources.append(body)
    return ObservedState(scope_id=RG, custom_apis=tuple(resources), swaggers=swaggers)


def test_bench_pure_plan() -> None:
    for count in (10, 100, 1000):
        apis = _desired(count)
        desired = DesiredState(environment="bench", custom_apis=tuple(apis), declared=frozenset(a.name for a in apis))
        observed = _deployed(apis, changed_every=10)
        started = time.perf_counter()
        plan = make_plan(desired, observed)
        took = time.perf_counter() - started
        print(f"make_plan: {count:5d} connectors (20 operations each, 10% updated): {took * 1000:8.1f} ms "
              f"({took / count * 1e6:7.1f} µs per connector), {len(plan.changes)} updates")  # fmt: skip


def test_bench_noop_plan_on_emulator() -> None:
    count = 300
    with EmulatorServer() as server:
        info = server.info
        assert info is not None
        server.ensure_resource_group(info.subscription_id, "rg-bench", "westeurope")
        target = ArmTarget(info.base_url, info.subscription_id, "rg-bench", "westeurope",
                           StaticTokenCredential(info.token), ca_bundle=info.ca_path)  # fmt: skip
        with ArmGateway(target) as gateway:
            apis = _desired(count)
            desired = DesiredState(environment="bench", custom_apis=tuple(apis),
                                   declared=frozenset(a.name for a in apis))  # fmt: skip
            started = time.perf_counter()
            report = apply_plan(make_plan(desired, observe(ResourceGroupTarget(gateway))), gateway, secrets={})
            took = time.perf_counter() - started
            print(f"apply: {count} creates: {took:6.2f} s ({len(report.done) / took:6.1f} actions/s, 4 workers)")
            before = gateway.requests.total()
            started = time.perf_counter()
            plan = make_plan(desired, observe(ResourceGroupTarget(gateway), desired=desired.custom_apis))
            took = time.perf_counter() - started
            print(f"no-op plan: {count} connectors: {took * 1000:7.1f} ms, {gateway.requests.total() - before} "
                  f"ARM requests, {len(plan.changes)} changes")  # fmt: skip


if __name__ == "__main__":
    test_bench_pure_plan()
    test_bench_noop_plan_on_emulator()
