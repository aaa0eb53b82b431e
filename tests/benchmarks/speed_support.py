"""Shared pieces of the issue-13 speed benchmarks: generated repositories, timing, and the results file.

Every benchmark records its figures with `record()`; `scripts/bench_report.py` turns the results
file into BENCHMARKS.md, so every number there comes from a run, not from a hand.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from connectorops.emulator.server import EmulatorInfo, EmulatorServer

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("CONNECTOROPS_BENCH_RESULTS", ROOT / ".bench" / "results.jsonl"))
CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
RESOURCE_GROUP = "rg-bench"
LOCATION = "westeurope"
CLI = str(Path(sys.executable).parent / "connectorops")


def record(goal: str, **figures: Any) -> None:
    """Append one measurement (with machine and date) to the results file and print it."""
    entry = {
        "goal": goal,
        "cores": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **figures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")
    print(json.dumps(entry))


def timings(run: Callable[[], Any], repeat: int = 3) -> list[float]:
    return timed(run, repeat)[0]


def timed(run: Callable[[], Any], repeat: int = 3, *, children: bool = True) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run. CPU: of the child processes (CLI runs) or of this process.

    The machine is shared: CPU time shows the work even when other load inflates the wall time.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        cpu_before = _cpu(children)
        started = time.perf_counter()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu(children) - cpu_before)
    return walls, cpus


def _cpu(children: bool) -> float:
    if not children:
        return time.process_time()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"min": round(min(values), 4), "median": round(statistics.median(values), 4)}


def run_cli(args: list[str], cwd: Path, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _openapi(name: str, operations: int) -> dict[str, Any]:
    paths = {
        f"/items{i}/{{id}}": {
            "get": {
                "operationId": f"GetItem{i}",
                "summary": f"Get item {i}",
                "description": f"Reads one item of kind {i}.",
                "parameters": [{"name": "id", "in": "path", "type": "string", "required": True,
                                "x-ms-summary": "Item ID", "description": "The item."}],
                "responses": {"200": {"description": "ok", "schema": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}}}}},
            }
        }
        for i in range(operations)
    }  # fmt: skip
    return {"swagger": "2.0", "info": {"title": f"Bench {name}", "version": "1.0",
            "description": "A generated connector for the speed benchmarks.",
            "contact": {"name": "Bench", "email": "bench@contoso.com"}},
            "host": "bench.contoso.com", "basePath": "/", "schemes": ["https"], "paths": paths}  # fmt: skip


def azure_config(info: EmulatorInfo) -> dict[str, Any]:
    """An `azure` environment on the emulator (token-env): the code path a real subscription takes."""
    return {
        "default": "bench",
        "environments": {
            "bench": {
                "target": "azure",
                "subscriptionId": info.subscription_id,
                "resourceGroup": RESOURCE_GROUP,
                "location": LOCATION,
                "armEndpoint": info.base_url,
                "caBundle": info.ca_path,
                "credential": "token-env",
            }
        },
    }


def bench_target(server: EmulatorServer) -> EmulatorInfo:
    """Start the emulator with the benchmarks' resource group (an azure environment needs it to exist)."""
    info = server.start()
    server.ensure_resource_group(info.subscription_id, RESOURCE_GROUP, LOCATION)
    return info


def write_repo(root: Path, count: int, info: EmulatorInfo | None, *, operations: int = 5) -> Path:
    """A repository of `count` simple connectors (connector.yaml + openapi.yaml each)."""
    root.mkdir(parents=True, exist_ok=True)
    local = {"default": "local", "environments": {"local": {"target": "local"}}}
    config = azure_config(info) if info is not None else local
    (root / "connectorops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    for i in range(count):
        name = f"bench{i:04d}"
        folder = root / "connectors" / name
        folder.mkdir(parents=True)
        connector = {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": name},
            "spec": {
                "displayName": f"Bench {i}",
                "description": "A generated connector for the speed benchmarks.",
                "brandColor": "#0F6CBD",
                "definition": {"openapi": "openapi.yaml"},
                "backend": {"serviceUrl": "https://bench.contoso.com/api"},
            },
        }
        (folder / "connector.yaml").write_text(yaml.safe_dump(connector, sort_keys=False))
        (folder / "openapi.yaml").write_text(yaml.safe_dump(_openapi(name, operations), sort_keys=False))
    return root


def corpus_repo(root: Path) -> tuple[Path, int]:
    """Every connector of Microsoft's public corpus as a paconn connector of one repository."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    count = 0
    for folder in sorted(p.parent for p in CORPUS.glob("*/*/apiDefinition.swagger.json")):
        count += 1
        name = f"c{count:03d}"
        target = root / "connectors" / name
        shutil.copytree(folder, target / "paconn")
        connector = {
            "apiVersion": "connectorops/v1",
            "kind": "Connector",
            "metadata": {"name": name},
            "spec": {"definition": {"paconn": "paconn/"}},
        }
        (target / "connector.yaml").write_text(yaml.safe_dump(connector, sort_keys=False))
    return root, count


def cli_env(info: EmulatorInfo) -> dict[str, str]:
    """The CLI's environment: the emulator's token, and bytecode caching on, as an installed package has it
    (PYTHONDONTWRITEBYTECODE would charge every run the compilation of the source)."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**environ, "CONNECTOROPS_ARM_TOKEN": info.token}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its reaped children (git), Linux /proc, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
