"""open_gateway for both kinds of environment, and `connectorops emulator serve` as a separate process.

The azure path is pointed at a served emulator through armEndpoint + caBundle + token-env: the
gateway reaches it exactly as it reaches Azure (nothing in it knows the target is an emulator).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connectorops.errors import AuthenticationError, SpecError
from connectorops.spec.models import AzureEnvironment, LocalEnvironment, ProjectConfig
from connectorops.targets.arm.connect import emulator_db_path, open_gateway

pytestmark = pytest.mark.integration

ALICE = "0d4a8a8e-5a52-4a77-9a0f-0b8a4b6c1a01"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
SHARING_POLICY = f"""
apiVersion: connectorops/v1
kind: SharingPolicy
principals:
  alice: {{objectId: {ALICE}, type: User, displayName: Alice}}
rules: []
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`connectorops emulator serve` in a subprocess; its first stdout line parsed."""
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "sharing.yaml").write_text(SHARING_POLICY)
    command = ["--repo", str(repo), "emulator", "serve", "--db", str(tmp_path / "served" / "e.db")]
    process = subprocess.Popen(
        [sys.executable, "-m", "connectorops.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        info = json.loads(line)
        yield {**info, "process": process}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def test_serve_prints_one_json_line_then_stops_cleanly_on_sigterm(served: dict[str, Any]) -> None:
    assert set(served) - {"process"} == {
        "base_url", "token", "ca_path", "subscription_id", "powerapps_url", "flow_url", "environment_id",
    }  # fmt: skip
    assert served["base_url"].startswith("https://127.0.0.1:")
    assert served["powerapps_url"] == served["flow_url"] == served["base_url"]  # origins of the same server
    environments = requests.get(
        f"{served['flow_url']}/providers/Microsoft.ProcessSimple/environments",
        params={"api-version": "2016-11-01"},
        headers={"Authorization": f"Bearer {served['token']}"},  # the ARM token works for this surface too
        verify=served["ca_path"],
    )
    assert [e["name"] for e in environments.json()["value"]] == [served["environment_id"]]
    assert Path(served["ca_path"]).is_file()
    process: subprocess.Popen[str] = served["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert process.stdout is not None and process.stdout.read() == ""  # nothing after the JSON line


def test_azure_environment_with_token_env_reaches_any_https_arm_endpoint(
    served: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_copy = tmp_path / "certs" / "ca.pem"
    ca_copy.parent.mkdir()
    ca_copy.write_text(Path(served["ca_path"]).read_text())
    config = ProjectConfig(
        default="dev",
        environments={
            "dev": AzureEnvironment(
                target="azure",
                subscriptionId=served["subscription_id"],
                resourceGroup="rg-dev",
                location="westeurope",
                armEndpoint=served["base_url"],
                caBundle="certs/ca.pem",
                credential="token-env",
            )
        },
    )
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", served["token"])
    with pytest.raises(SpecError) as no_group, open_gateway(tmp_path, config, "dev"):
        pytest.fail("a missing resource group must stop before the first request of a plan")
    problem = no_group.value.problem
    assert problem.field == "environments.dev.resourceGroup" and "'rg-dev' does not exist" in problem.message
    assert problem.hint == (
        f"create it first: az group create --subscription {served['subscription_id']} --name rg-dev "
        "--location westeurope"
    )
    group = requests.put(  # what `az group create` sends
        f"{served['base_url']}/subscriptions/{served['subscription_id']}/resourcegroups/rg-dev",
        params={"api-version": "2021-04-01"},
        json={"location": "westeurope"},
        headers={"Authorization": f"Bearer {served['token']}"},
        verify=served["ca_path"],
        timeout=10,
    )
    assert group.status_code == 201
    with open_gateway(tmp_path, config, "dev") as gateway:
        created = gateway.put_custom_api("orders", {"location": "westeurope", "properties": {"displayName": "O"}})
        assert (
            created["id"] == f"/subscriptions/{served['subscription_id']}/resourceGroups/rg-dev/providers/"
            "Microsoft.Web/customApis/orders"
        )
        assert [a["name"] for a in gateway.list_custom_apis()] == ["orders"]
        # the served emulator's directory was seeded from the repository's policies/sharing.yaml
        role = f"/subscriptions/{served['subscription_id']}/providers/Microsoft.Authorization/roleDefinitions/{READER}"
        shared = gateway.put_role_assignment(
            created["id"], str(uuid.uuid4()), {"properties": {"roleDefinitionId": role, "principalId": ALICE}}
        )
        assert shared["properties"]["principalType"] == "User"
        assert gateway.target.credential_scope == f"{served['base_url']}/.default"
    monkeypatch.delenv("CONNECTOROPS_ARM_TOKEN")
    with pytest.raises(AuthenticationError) as caught, open_gateway(tmp_path, config, "dev") as gateway:
        gateway.list_custom_apis()  # (the resource group check on opening is the first request now)
    assert "CONNECTOROPS_ARM_TOKEN" in str(caught.value)


def test_missing_ca_bundle_and_unknown_environment_are_spec_errors(tmp_path: Path) -> None:
    config = ProjectConfig(
        default="dev",
        environments={
            "dev": AzureEnvironment(
                target="azure",
                subscriptionId=str(uuid.uuid4()),
                resourceGroup="rg",
                location="westeurope",
                caBundle="certs/missing.pem",
                credential="token-env",
            )
        },
    )
    with pytest.raises(SpecError) as missing, open_gateway(tmp_path, config, "dev"):
        pass
    assert missing.value.problem.field == "environments.dev.caBundle"
    with pytest.raises(SpecError) as unknown, open_gateway(tmp_path, config, "prod"):
        pass
    assert "dev" in str(unknown.value)


def test_local_environment_keeps_state_under_the_state_dir_and_seeds_principals(tmp_path: Path) -> None:
    config = ProjectConfig()  # local is the default: {target: local}
    local = config.environments["local"]
    assert isinstance(local, LocalEnvironment)
    principals = [(ALICE, "User", "Alice")]
    with open_gateway(tmp_path, config, "local", principals=principals) as gateway:
        assert gateway.target.resource_group == "rg-connectors-local"
        # the group did not exist: the local target creates it on first use, as `az group create` would
        gateway.put_custom_api("orders", {"location": "westeurope", "properties": {"displayName": "Orders"}})
        gateway.put_role_assignment(
            gateway.custom_api_id("orders"),
            str(uuid.uuid4()),
            {
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{gateway.target.subscription_id}/providers/"
                    f"Microsoft.Authorization/roleDefinitions/{READER}",
                    "principalId": ALICE,
                }
            },
        )
        first_subscription = gateway.target.subscription_id
        first_url = gateway.target.base_url
    assert emulator_db_path(tmp_path, local.stateDir) == tmp_path / ".connectorops" / "emulator.db"
    assert (tmp_path / ".connectorops" / "emulator.db").is_file()
    with open_gateway(tmp_path, config, "local") as gateway:
        assert gateway.target.subscription_id == first_subscription
        api = gateway.get_custom_api("orders")
        assert api is not None and api["location"] == "westeurope"
        assert len(gateway.list_role_assignments(gateway.custom_api_id("orders"))) == 1
    ca = tmp_path / ".connectorops" / "emulator-ca.pem"
    with pytest.raises(requests.exceptions.ConnectionError):  # stopped: nothing listens there any more
        requests.get(first_url, timeout=2, verify=str(ca))


def test_local_subscription_override_is_used(tmp_path: Path) -> None:
    chosen = str(uuid.uuid4())
    config = ProjectConfig(environments={"local": LocalEnvironment(target="local", subscriptionId=chosen)})
    with open_gateway(tmp_path, config, "local") as gateway:
        created = gateway.put_custom_api("orders", {"location": "westeurope", "properties": {}})
    assert created["id"].startswith(f"/subscriptions/{chosen}/")
    assert os.path.isdir(tmp_path / ".connectorops")
