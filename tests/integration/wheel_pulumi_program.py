"""Run by test_wheel_install with the python of a fresh venv holding `connectorops[pulumi]` from the wheel.

argv[1]: a repository made by `connectorops init --pulumi`. Starts the installed package's emulator,
points the repository's `dev` environment at it (armEndpoint, caBundle, token-env, mode: pulumi), runs
the scaffolded infra/__main__.py under `pulumi.runtime.set_mocks` with a stack config, and prints
one JSON line: what the program declared (type, name and the inputs the test checks).
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc

from connectorops.emulator.server import EmulatorServer

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # the scaffold's placeholder
RESOURCE_GROUP = "rg-connectors-dev"


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.declared: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.declared.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        return f"/mock/{args.typ}/{args.name}", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def unwrap(value: Any) -> Any:
    """A secret input as its plain value (the mocks see Pulumi's wire form)."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return value["value"]
    return value


def point_dev_at(repo: Path, base_url: str, ca_path: str) -> None:
    config = repo / "connectorops.yaml"
    lines = []
    for line in config.read_text().splitlines():
        if line.startswith("    credential: default"):
            line = f"    credential: token-env\n    armEndpoint: {base_url}\n    caBundle: {ca_path}"
        elif line.startswith("    mode: engine"):
            line = "    mode: pulumi"
        lines.append(line)
    config.write_text("\n".join(lines) + "\n")


def summary(mocks: RecordingMocks) -> list[dict[str, Any]]:
    found = []
    for resource in mocks.declared:
        inputs = resource["inputs"]
        item: dict[str, Any] = {"type": resource["type"], "name": resource["name"]}
        if resource["type"] == "azure-native:web:CustomApi":
            properties = unwrap(inputs["properties"])
            item.update(
                apiName=inputs["apiName"],
                resourceGroupName=inputs["resourceGroupName"],
                displayName=properties["displayName"],
                swaggerTitle=properties["swagger"]["info"]["title"],
                connectionParameters=properties.get("connectionParameters"),
                tags=inputs.get("tags"),
            )
        else:
            item.update(principalId=inputs.get("principalId"), scope=inputs.get("scope"))
        found.append(item)
    return found


def main(repo: Path) -> None:
    server = EmulatorServer(None)
    info = server.start()
    try:
        server.ensure_resource_group(SUBSCRIPTION, RESOURCE_GROUP, "westeurope")
        point_dev_at(repo, info.base_url, str(info.ca_path))
        os.environ["CONNECTOROPS_ARM_TOKEN"] = info.token
        mocks = RecordingMocks()
        pulumi.runtime.set_mocks(mocks, project="connectorops", stack="dev", preview=False)
        # The scaffolded connector's API key dialog cannot go through azure-native: this stack accepts that.
        pulumi.runtime.set_all_config(
            {"connectorops:environment": "dev", "connectorops:dropUiDefinition": '["tickets"]'}
        )

        @pulumi.runtime.test
        def program() -> None:
            runpy.run_path(str(repo / "infra" / "__main__.py"), run_name="__main__")

        program()
    finally:
        server.stop()
    print(json.dumps(summary(mocks), sort_keys=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
