"""Helpers for the controller and import tests: a bare git remote, a connector, a controller subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import git
import yaml

from connectorops.emulator.server import EmulatorInfo

RESOURCE_GROUP = "rg-gitops"
LOCATION = "westeurope"
CONNECTOROPS = str(Path(sys.executable).with_name("connectorops"))
T = TypeVar("T")


def openapi(title: str = "Orders", host: str = "orders.contoso.com", extra_path: str | None = None) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/orders": {
            "get": {
                "operationId": "ListOrders",
                "summary": "List orders",
                "description": "Lists the orders.",
                "responses": {"200": {"description": "The orders"}},
            }
        }
    }
    if extra_path:
        paths[extra_path] = {
            "get": {
                "operationId": "Get" + extra_path.strip("/").title().replace("/", ""),
                "summary": "Get more",
                "description": "Gets more.",
                "responses": {"200": {"description": "ok"}},
            }
        }
    return {
        "swagger": "2.0",
        "info": {"title": title, "version": "1.0", "description": f"{title} service"},
        "host": host,
        "basePath": "/api",
        "schemes": ["https"],
        "paths": paths,
    }


def connector_files(name: str = "orders", **swagger: Any) -> dict[str, str]:
    doc = {
        "apiVersion": "connectorops/v1",
        "kind": "Connector",
        "metadata": {"name": name},
        "spec": {
            "displayName": name.title(),
            "description": f"The {name} connector",
            "definition": {"openapi": "openapi.json"},
            "auth": {"type": "apiKey", "name": "X-API-Key", "in": "header"},
        },
    }
    return {
        f"connectors/{name}/connector.yaml": yaml.safe_dump(doc, sort_keys=False),
        f"connectors/{name}/openapi.json": json.dumps(openapi(**swagger), indent=2),
    }


def config_text(info: EmulatorInfo, resource_group: str = RESOURCE_GROUP) -> str:
    """connectorops.yaml with a `dev` environment on the test's emulator (an ARM-compatible endpoint)."""
    config = {
        "default": "dev",
        "environments": {
            "dev": {
                "target": "azure",
                "subscriptionId": info.subscription_id,
                "resourceGroup": resource_group,
                "location": LOCATION,
                "armEndpoint": info.base_url,
                "caBundle": info.ca_path,
                "credential": "token-env",
            }
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


@dataclass
class Remote:
    bare: Path
    work: git.Repo

    def push(self, files: dict[str, str | None], message: str = "change") -> str:
        root = Path(self.work.working_tree_dir or ".")
        for rel, text in files.items():
            if text is None:
                self.work.index.remove([rel], working_tree=True, r=True)
                continue
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
            self.work.index.add([rel])
        sha = self.work.index.commit(message).hexsha
        self.work.git.push("origin", "HEAD:refs/heads/main")
        return sha


def make_remote(tmp_path: Path, info: EmulatorInfo, files: dict[str, str] | None = None) -> Remote:
    bare = tmp_path / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="main")
    work = git.Repo.clone_from(str(bare), tmp_path / "author")
    with work.config_writer() as cw:
        cw.set_value("user", "name", "test")
        cw.set_value("user", "email", "test@example.com")
    remote = Remote(bare, work)
    remote.push({"connectorops.yaml": config_text(info), **(files or connector_files())}, "initial")
    return remote


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class ControllerProcess:
    """`connectorops controller` as a subprocess; its JSON-lines stderr is collected as it arrives."""

    process: subprocess.Popen[str]
    logs: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    url: str | None = None

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.raw.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            self.logs.append(entry)
            if entry.get("event") == "status_server_started":
                self.url = entry["url"]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in list(self.logs) if e.get("event") == name]

    def status(self) -> dict[str, Any]:
        assert self.url, "status server not started"
        with urllib.request.urlopen(self.url + "/status", timeout=5) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def metrics(self) -> str:
        assert self.url
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as response:
            text: str = response.read().decode()
            return text

    def terminate(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def start_controller(
    local: Path,
    remote_url: str,
    info: EmulatorInfo,
    *,
    mode: str = "apply",
    interval: str = "1s",
    extra_env: dict[str, str] | None = None,
) -> ControllerProcess:
    local.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CONNECTOROPS_ARM_TOKEN": info.token, **(extra_env or {})}
    command = [
        CONNECTOROPS, "--repo", str(local), "-e", "dev", "controller",
        "--repo-url", remote_url, "--branch", "main", "--interval", interval, "--mode", mode,
        "--listen", "127.0.0.1:0",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    controller = ControllerProcess(process)
    threading.Thread(target=controller._read, daemon=True).start()
    wait_for(lambda: controller.url or process.poll() is not None, 20, "the status server")
    if controller.url is None:
        raise AssertionError("controller exited early:\n" + "".join(controller.raw))
    return controller
