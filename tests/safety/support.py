"""The safety suite's world: a git repository deployed to the emulator, and a user who connects at the worst moment.

`World` drives the real CLI (in-process) against an `azure` environment on the test's emulator, so the test
reads the result back through its own gateway and can time a connection to the instant after the command
has looked at the connections (`ConnectionTrap`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from engine_e2e_support import connect_logic_app, make_repo, remove_connector, write_connector
from gitops_support import config_text
from pulumi_support import SALES_GROUP, SHARING
from test_cli_plan_apply_drift import cli

from connectorops import tags
from connectorops.emulator.protocol import ArmRequest, ArmResponse
from connectorops.emulator.server import EmulatorServer
from connectorops.engine.plan import Plan
from connectorops.targets.arm.gateway import CONNECTIONS_API_VERSION, ArmGateway

ENV = "dev"
SHARED = "  sharing: [{principal: sales-team, role: use}]\n"
CONNECTIONS_PATH = "/providers/microsoft.web/connections"


@dataclass(frozen=True)
class Snapshot:
    """What a blocked delete must leave exactly as it was."""

    etag: str | None
    tags: dict[str, str]
    connections: tuple[str, ...]
    role_assignments: tuple[str, ...]

    def plus(self, *connections: str) -> Snapshot:
        """The same, with connections a user made since."""
        return replace(self, connections=tuple(sorted({*self.connections, *connections})))


@dataclass
class World:
    root: Path
    repo: git.Repo
    emulator: EmulatorServer
    gateway: ArmGateway

    def cli(self, *args: str) -> tuple[int, str, str]:
        return cli(self.root, *args)

    def commit(self, message: str) -> str:
        self.repo.git.add(A=True)
        self.repo.index.commit(message)
        return self.repo.head.commit.hexsha

    def remove(self, *names: str) -> str:
        for name in names:
            remove_connector(self.root, name)
        return self.commit(f"remove {', '.join(names)}")

    def write(self, name: str, *, deletion: str = "protect", sharing: bool = True) -> None:
        write_connector(self.root, name, deletion=deletion, extra=SHARED if sharing else "")

    def edit_config(self, change: Callable[[dict[str, Any]], None]) -> None:
        path = self.root / "connectorops.yaml"
        config = yaml.safe_load(path.read_text())
        change(config)
        path.write_text(yaml.safe_dump(config, sort_keys=False))

    def connect(self, connector: str, connection: str, gateway: ArmGateway | None = None) -> None:
        """A user connects to the connector and builds a Logic App on the connection."""
        connect_logic_app(gateway or self.gateway, connector, connection, f"la-{connection}")

    def apply(self, *args: str) -> None:
        code, out, err = self.cli("apply", "--yes", *args)
        assert code == 0, out + err

    def snapshot(self, connector: str, gateway: ArmGateway | None = None) -> Snapshot:
        gw = gateway or self.gateway
        api = gw.get_custom_api(connector)
        assert api is not None, f"customApi {connector!r} is gone"
        api_id = gw.custom_api_id(connector).lower()
        connections = tuple(
            sorted(
                str(c["name"])
                for c in gw.list_connections()
                if str(((c.get("properties") or {}).get("api") or {}).get("id", "")).lower() == api_id
            )
        )
        grants = gw.list_role_assignments(gw.custom_api_id(connector))
        assignments = tuple(sorted(str(ra["id"]).lower() for ra in grants))
        return Snapshot(api.get("etag"), dict(api.get("tags") or {}), connections, assignments)

    def state_of(self, connector: str, expected: Snapshot, gateway: ArmGateway | None = None) -> str:
        """'untouched', or what happened to the connector (for the failure message)."""
        gw = gateway or self.gateway
        if gw.get_custom_api(connector) is None:
            left = [name for name in expected.connections if gw.get_connection(name) is not None]
            return f"{connector!r} DELETED with {len(expected.connections) - len(left)} connection(s)"
        after = self.snapshot(connector, gw)
        return "untouched" if after == expected else f"{connector!r} CHANGED: {expected} -> {after}"

    def assert_untouched(self, expected: Snapshot, connector: str, gateway: ArmGateway | None = None) -> None:
        """The connector, its connections (a new one included) and its role assignments are as they were."""
        state = self.state_of(connector, expected, gateway)
        assert state == "untouched", state

    def assert_blocked(
        self, result: tuple[int, str, str], expected: Snapshot, connector: str, gateway: ArmGateway | None = None
    ) -> None:
        """Exit 1 and the connector exactly as `expected`; the message says what happened instead."""
        code, out, err = result
        state = self.state_of(connector, expected, gateway)
        assert (code, state) == (1, "untouched"), f"exit {code} (want 1), {state}\n{out}{err}"

    def assert_deleted(self, connector: str, *connections: str) -> None:
        assert self.gateway.get_custom_api(connector) is None, f"customApi {connector!r} still exists"
        for name in connections:
            assert self.gateway.get_connection(name) is None, f"connection {name!r} still exists"


def deployed_world(
    tmp_path: Path,
    emulator: EmulatorServer,
    gateway: ArmGateway,
    monkeypatch: pytest.MonkeyPatch,
    *names: str,
    deletion: str = "protect",
    config: Callable[[dict[str, Any]], None] | None = None,
) -> World:
    """`names` in git (shared with sales-team), committed and applied to environment `dev` on the emulator."""
    info = emulator.info
    assert info is not None
    (tmp_path / "repo").mkdir()
    root = make_repo(tmp_path / "repo")
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    emulator.add_principal(SALES_GROUP, "Group", "Sales")
    (root / "connectorops.yaml").write_text(config_text(info, resource_group=gateway.target.resource_group))
    (root / "policies").mkdir()
    (root / "policies" / "sharing.yaml").write_text(SHARING)
    (root / ".gitignore").write_text(".connectorops/\n")
    world = World(root, git.Repo.init(root), emulator, gateway)
    with world.repo.config_writer() as writer:
        writer.set_value("user", "name", "safety")
        writer.set_value("user", "email", "safety@example.com")
    for name in names:
        world.write(name, deletion=deletion)
    if config is not None:
        world.edit_config(config)
    world.commit("deployed connectors")
    world.apply()
    for name in names:
        assert gateway.get_custom_api(name) is not None, f"{name!r} was not deployed"
    return world


class ConnectionTrap:
    """A user creates a connection the instant after the emulator has answered the command's n-th list of
    connections: the plan saw none, anything that looks again before the DELETE sees it.

    Installed in place of `EmulatorServer.answer`; the connection is written through the emulator's own
    route before the list answer is sent, so it exists by the time the command reads that answer.
    """

    def __init__(
        self, emulator: EmulatorServer, gateway: ArmGateway, connector: str, connection: str, *, after_lists: int = 1
    ) -> None:
        info = emulator.info
        assert info is not None
        self.emulator = emulator
        self.original = emulator.answer
        self.token = info.token
        self.base_url = info.base_url
        self.gateway = gateway
        self.connector = connector
        self.connection = connection
        self.after_lists = after_lists
        self.lists = 0
        self.fired = False
        self.lock = threading.Lock()  # the emulator answers each request on its own thread

    def install(self, monkeypatch: pytest.MonkeyPatch) -> ConnectionTrap:
        monkeypatch.setattr(self.emulator, "answer", self)
        return self

    def __call__(self, request: ArmRequest) -> ArmResponse | None:
        response = self.original(request)
        if request.method == "GET" and request.path.rstrip("/").lower().endswith(CONNECTIONS_PATH):
            with self.lock:
                self.lists += 1
                if self.lists == self.after_lists and not self.fired:
                    self.fired = True
                    self._create_connection()
        return response

    def _create_connection(self) -> None:
        body = {
            "location": self.gateway.target.location,
            "properties": {"displayName": self.connection, "api": {"id": self.gateway.custom_api_id(self.connector)}},
        }
        created = self.original(
            ArmRequest(
                method="PUT",
                path=self.gateway.connection_id(self.connection),
                query={"api-version": CONNECTIONS_API_VERSION},
                headers={"authorization": f"Bearer {self.token}", "content-type": "application/json"},
                body=json.dumps(body).encode(),
                base_url=self.base_url,
            )
        )
        assert created is not None and created.status in (200, 201), created


def forge_plan(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit a saved plan and give it the fingerprint connectorops itself computes for the edited content."""
    data = json.loads(path.read_text())
    edit(data)
    data["fingerprint"] = Plan.from_dict(data).fingerprint
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def actions_of(data: dict[str, Any], name: str, kind: str = "delete") -> list[dict[str, Any]]:
    """The saved plan's actions of customApi `name` of `kind` (and of its role assignments)."""
    return [a for a in data["actions"] if a["connector"] == name and a["kind"] == kind]


def managed(api: dict[str, Any] | None) -> bool:
    return api is not None and tags.is_managed(api.get("tags"))
