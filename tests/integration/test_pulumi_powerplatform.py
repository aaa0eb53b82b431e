"""Pulumi on a Power Platform environment, against the emulator's Power Platform surface.

The dynamic provider's methods are called directly and really change the emulator (create, diff, update,
delete and its check at the moment of deletion); the program runs under `pulumi.runtime.set_mocks` with the
real PowerPlatformTarget observing the emulator, so only the Pulumi engine is mocked.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pulumi
import pytest
from powerplatform_support import PowerPlatformHttp
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from connectorops.emulator.server import EmulatorInfo, EmulatorServer
from connectorops.engine.deletion_policy import no_git_history
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.pulumi_stack.powerplatform import (
    ConnectorProvider,
    ConnectorProviderError,
    EnvironmentTarget,
    GrantProvider,
    connector_inputs,
)
from connectorops.pulumi_stack.program import DeclaredStack, declare_stack
from connectorops.pulumi_stack.secrets import secret_values
from connectorops.pulumi_stack.settings import StackSettings
from connectorops.render import DesiredCustomApi
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.powerplatform.client import PowerPlatformClient, PowerPlatformLocation
from connectorops.targets.powerplatform.target import PowerPlatformTarget
from connectorops.targets.transport.credentials import StaticTokenCredential

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
SECRET = "orders-client-secret-value"
ENVIRON = {"ORDERS_CLIENT_SECRET": SECRET}
CONNECTOR_TYPE = "pulumi-python:dynamic/connectorops:PowerPlatformConnector"
GRANT_TYPE = "pulumi-python:dynamic/connectorops:PowerPlatformGrant"
SALES = "11111111-1111-1111-1111-111111111111"
SHARING = f"""
apiVersion: connectorops/v1
kind: SharingPolicy
principals:
  sales-team: {{objectId: {SALES}, type: Group, displayName: Sales}}
rules:
  - {{name: teams-use-their-connectors, effect: allow, principals: [sales-team], roles: [use]}}
"""


def make_repo(root: Path, info: EmulatorInfo) -> Path:
    """`orders` (aad OAuth, secret reference, shared with sales) and `d7sms` (a paconn folder) for `makers`."""
    (root / "connectorops.yaml").write_text(
        "default: makers\nenvironments:\n  makers:\n    target: powerplatform\n"
        f"    environmentId: {info.environment_id}\n    apiEndpoint: {info.powerapps_url}\n"
        f"    flowEndpoint: {info.flow_url}\n    caBundle: {info.ca_path}\n    credential: token-env\n"
        "    mode: pulumi\n"
    )
    for name in ("orders", "d7sms"):
        shutil.copytree(ROOT / "connectors" / name, root / "connectors" / name)
    path = root / "connectors" / "orders" / "connector.yaml"
    path.write_text(
        path.read_text().replace(
            "  lifecycle: {deletion: protect}",
            "  sharing: [{principal: sales-team, role: use}]\n  lifecycle: {deletion: protect}",
        )
    )
    (root / "policies").mkdir()
    (root / "policies" / "sharing.yaml").write_text(SHARING)
    (root / "policies" / "certification.yaml").write_text(
        "apiVersion: connectorops/v1\nkind: CertificationPolicy\ndefault: advisory\n"
    )
    return root


@pytest.fixture
def target(emulator: EmulatorServer) -> Iterator[PowerPlatformTarget]:
    info = emulator.info
    assert info is not None
    location = PowerPlatformLocation(
        environment_id=info.environment_id,
        api_endpoint=info.powerapps_url,
        flow_endpoint=info.flow_url,
        credential=StaticTokenCredential(info.token),
        ca_bundle=info.ca_path,
    )
    with PowerPlatformClient(location) as client:
        yield PowerPlatformTarget(client)


def desired_state(repo: Path, target: PowerPlatformTarget) -> DesiredState:
    return build_desired_state(load_repository(FileSystemTree(repo)), "makers", placement=target, commit=None)


def provider(target: PowerPlatformTarget, config: dict[str, Any] | None = None) -> ConnectorProvider:
    made = ConnectorProvider(lambda: nullcontext(target))
    made.configure(ConfigureRequest(Config(config or {}, "connectorops")))
    return made


def inputs(api: DesiredCustomApi) -> dict[str, Any]:
    """What the provider receives from the engine: the program's inputs, secrets in plain text."""
    return {**connector_inputs(api, "makers"), "secrets": secret_values(api, ENVIRON)}


def stored(http: PowerPlatformHttp, api_name: str) -> dict[str, Any]:
    response = http.get_api(api_name, **{"$expand": "properties.swagger"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_create_diff_update_delete_change_the_emulator(
    tmp_path: Path, emulator: EmulatorServer, target: PowerPlatformTarget, powerplatform: PowerPlatformHttp
) -> None:
    assert emulator.info is not None
    repo = make_repo(tmp_path, emulator.info)
    desired = desired_state(repo, target)
    orders = desired.custom_api("orders")
    assert orders is not None and orders.secret_refs
    made = provider(target)

    created = made.create(inputs(orders))
    api_name = created.id
    assert api_name.startswith("shared_orders") and created.outs is not None
    assert SECRET not in json.dumps(created.outs)
    item = stored(powerplatform, api_name)
    record = item["properties"]["swagger"]["x-connectorops"]
    assert record["name"] == "orders" and record["fingerprint"] == orders.fingerprint
    # the secret went to the service, which never returns it
    token = item["properties"]["connectionParameters"]["token"]["oAuthSettings"]
    assert "clientSecret" not in token and SECRET not in json.dumps(item)

    assert made.diff(api_name, created.outs, inputs(orders)).changes is False
    path = repo / "connectors" / "orders" / "connector.yaml"
    path.write_text(path.read_text().replace("Read, create and cancel", "Read and cancel"))
    changed = desired_state(repo, target).custom_api("orders")
    assert changed is not None and changed.fingerprint != orders.fingerprint
    assert made.diff(api_name, created.outs, inputs(changed)).changes is True

    updated = made.update(api_name, created.outs, inputs(changed))
    item = stored(powerplatform, api_name)
    assert item["properties"]["description"].startswith("Read and cancel")
    assert item["properties"]["swagger"]["x-connectorops"]["fingerprint"] == changed.fingerprint
    assert made.diff(api_name, updated.outs or {}, inputs(changed)).changes is False

    # a maker's connection appears after the last `pulumi up`: delete refuses, naming it
    connection = powerplatform.session.put(
        powerplatform.powerapps(f"apis/{api_name}/connections/orders-conn"),
        params=powerplatform.query(),
        json={"properties": {"displayName": "Mine"}},
    )
    assert connection.status_code in (200, 201), connection.text
    with pytest.raises(ConnectorProviderError) as refused:
        made.delete(api_name, updated.outs or {})
    message = str(refused.value)
    assert "1 live connection(s) to 'orders' are not acknowledged: orders-conn" in message
    assert stored(powerplatform, api_name)["name"] == api_name  # still there

    acknowledged = provider(target, {"connectorops:allowConnectionLoss": '["orders"]'})
    acknowledged.delete(api_name, updated.outs or {})
    assert powerplatform.get_api(api_name).status_code == 404


# the program under mocks --------------------------------------------------------------------------------
class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append((args.typ, args.name, args.inputs))
        return str(args.inputs.get("connector") or args.name), dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class Monitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, tuple[bool, bool]] = {}

    def RegisterResource(self, request: Any) -> Any:
        self.options[request.name] = (bool(request.protect), bool(request.retainOnDelete))
        return super().RegisterResource(request)


def run(
    settings: StackSettings, target: PowerPlatformTarget, mocks: Mocks | None = None
) -> tuple[Mocks, Monitor, DeclaredStack]:
    mocks = mocks or Mocks()
    monitor = Monitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="connectorops", stack="makers", preview=False, monitor=monitor)
    box: dict[str, DeclaredStack] = {}

    @pulumi.runtime.test
    def program() -> Any:
        box["declared"] = declare_stack(settings, target, environ=ENVIRON, deletion_policies=no_git_history)
        resources = [*box["declared"].custom_apis.values(), *box["declared"].role_assignments.values()]
        return pulumi.Output.all(*[r.id for r in resources])

    program()
    return mocks, monitor, box["declared"]


def unwrap(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return True, value["value"]
    return False, value


def test_the_program_declares_dynamic_resources_with_the_engines_inputs(
    tmp_path: Path, emulator: EmulatorServer, target: PowerPlatformTarget
) -> None:
    assert emulator.info is not None
    repo = make_repo(tmp_path, emulator.info)
    mocks, monitor, declared = run(StackSettings(repo_root=repo, environment="makers"), target)
    by_name = {name: (typ, given) for typ, name, given in mocks.created}
    assert {n: t for n, (t, _) in by_name.items()} == {
        "orders": CONNECTOR_TYPE,
        "d7sms": CONNECTOR_TYPE,
        "orders-share-sales-team-use": GRANT_TYPE,
    }
    desired = desired_state(repo, target)
    for api in desired.custom_apis:
        _, given = by_name[api.name]
        assert given["body"] == api.body and given["fingerprint"] == api.fingerprint
        assert given["connector"] == api.name and given["environment"] == "makers"
        assert given["deletionPolicy"] == api.deletion_policy
    is_secret, secrets = unwrap(by_name["orders"][1]["secrets"])
    assert is_secret and secrets == {"/token/oAuthSettings/clientSecret": SECRET}
    assert SECRET not in json.dumps(by_name["d7sms"][1]) and SECRET not in json.dumps(by_name["orders"][1]["body"])
    assert unwrap(by_name["orders"][1]["__provider"])[0] is True  # the pickled provider is encrypted state too
    (grant,) = desired.role_assignments
    _, shared = by_name["orders-share-sales-team-use"]
    assert shared["connector"] == "orders" and shared["name"] == grant.name and shared["body"] == grant.body()
    assert monitor.options["orders"] == (False, False)  # no connections: nothing to protect
    assert set(declared.custom_apis) == {"orders", "d7sms"}


def _orders_deployed(
    tmp_path: Path, emulator: EmulatorServer, target: PowerPlatformTarget
) -> tuple[Path, DesiredState, str]:
    """The example repository, its desired state, and the api name of `orders` created by the connector provider."""
    assert emulator.info is not None
    repo = make_repo(tmp_path, emulator.info)
    desired = desired_state(repo, target)
    orders = desired.custom_api("orders")
    assert orders is not None
    return repo, desired, provider(target).create(inputs(orders)).id


def test_a_blocked_deletion_stops_the_program_before_any_resource(
    tmp_path: Path, emulator: EmulatorServer, target: PowerPlatformTarget, powerplatform: PowerPlatformHttp
) -> None:
    repo, desired, api_name = _orders_deployed(tmp_path, emulator, target)  # by an earlier `pulumi up`
    connection = powerplatform.session.put(
        powerplatform.powerapps(f"apis/{api_name}/connections/orders-conn"),
        params=powerplatform.query(),
        json={"properties": {"displayName": "Mine"}},
    )
    assert connection.status_code in (200, 201), connection.text
    shutil.rmtree(repo / "connectors" / "orders")  # removed from git

    mocks = Mocks()
    with pytest.raises(pulumi.RunError) as caught:
        run(StackSettings(repo_root=repo, environment="makers"), target, mocks)
    assert mocks.created == []
    message = str(caught.value)
    assert "blocked, no resource declared" in message and "deleting 'orders' deletes its 1 connection(s)" in message
    assert "pulumi config set --path 'connectorops:allowConnectionLoss[0]' orders" in message
    assert powerplatform.get_api(api_name).status_code == 200


def test_the_provider_opens_the_environment_from_connectorops_yaml(
    tmp_path: Path, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, powerplatform: PowerPlatformHttp
) -> None:
    """What `pulumi up` runs in the provider process: the pickled recipe, not a live connection."""
    assert emulator.info is not None
    repo = make_repo(tmp_path, emulator.info)
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", emulator.info.token)
    opener = EnvironmentTarget(str(repo), "makers")
    with opener() as opened:
        d7sms = desired_state(repo, opened).custom_api("d7sms")  # type: ignore[arg-type]
    assert d7sms is not None
    created = ConnectorProvider(opener).create(inputs(d7sms))
    record = stored(powerplatform, created.id)["properties"]["swagger"]["x-connectorops"]
    assert record["name"] == "d7sms" and record["fingerprint"] == d7sms.fingerprint


def test_the_grant_provider_shares_and_revokes_on_the_emulator(
    tmp_path: Path, emulator: EmulatorServer, target: PowerPlatformTarget, powerplatform: PowerPlatformHttp
) -> None:
    repo, desired, api_name = _orders_deployed(tmp_path, emulator, target)
    (grant,) = desired.role_assignments
    grants = GrantProvider(lambda: nullcontext(target))

    def shared() -> list[tuple[str, str]]:
        response = powerplatform.session.get(
            powerplatform.powerapps(f"apis/{api_name}/permissions"), params=powerplatform.query(version="2017-06-01")
        )
        assert response.status_code == 200, response.text
        return sorted(
            (p["properties"]["principal"]["id"], p["properties"]["roleName"])
            for p in response.json()["value"]
            if p["properties"]["roleName"] != "Owner"
        )

    created = grants.create({"connector": "orders", "name": grant.name, "body": grant.body()})
    assert shared() == [(SALES, "CanView")]
    grants.delete(created.id, created.outs or {})
    assert shared() == []
