"""Shared inputs for the Pulumi program and CrossGuard tests: a small repository and a fake gateway.

The mock monitor records the resource options (`protect`, `retainOnDelete`) that Pulumi's own
MockMonitor receives but does not pass to `Mocks.new_resource`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from in_memory_target import FakeLocation, InMemoryTarget
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from connectorops.pulumi_stack.program import DeclaredStack, declare_stack
from connectorops.pulumi_stack.settings import StackSettings
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
RESOURCE_GROUP = "rg-connectors-dev"
LOCATION = "westeurope"
SALES_GROUP = "11111111-1111-1111-1111-111111111111"

CONFIG = """
default: dev
environments:
  local: {{target: local}}
  dev:
    target: azure
    subscriptionId: {subscription}
    resourceGroup: {resource_group}
    location: {location}
    mode: pulumi
"""

SHARING = f"""
apiVersion: connectorops/v1
kind: SharingPolicy
principals:
  sales-team: {{objectId: {SALES_GROUP}, type: Group, displayName: Sales}}
rules:
  - name: teams-use-their-connectors
    effect: allow
    principals: [sales-team]
    roles: [use]
"""

CERTIFICATION = "apiVersion: connectorops/v1\nkind: CertificationPolicy\ndefault: advisory\n"


def make_repo(
    tmp_path: Path, *, sharing: bool = True, subscription: str = SUBSCRIPTION, resource_group: str = RESOURCE_GROUP
) -> Path:
    """tmp_path as a repository: the example `orders` (aad OAuth, secret ref) and `d7sms` connectors."""
    config = CONFIG.format(subscription=subscription, resource_group=resource_group, location=LOCATION)
    (tmp_path / "connectorops.yaml").write_text(config)
    for name in ("orders", "d7sms"):
        shutil.copytree(ROOT / "connectors" / name, tmp_path / "connectors" / name)
    yaml_path = tmp_path / "connectors" / "orders" / "connector.yaml"
    text = yaml_path.read_text()
    if sharing:
        text = text.replace(
            "  lifecycle: {deletion: protect}",
            "  sharing: [{principal: sales-team, role: use}]\n  lifecycle: {deletion: protect}",
        )
    yaml_path.write_text(text)
    (tmp_path / "policies").mkdir()
    # The example connectors are not certification-ready; only the tests that want a mandatory rule set one.
    (tmp_path / "policies" / "certification.yaml").write_text(CERTIFICATION)
    if sharing:
        (tmp_path / "policies" / "sharing.yaml").write_text(SHARING)
    return tmp_path


def pulumi_target() -> InMemoryTarget:
    """The shared in-memory target, in the stack's subscription and resource group."""
    return InMemoryTarget(target=FakeLocation(SUBSCRIPTION, RESOURCE_GROUP, LOCATION))


@dataclass
class Registration:
    type: str
    name: str
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool


STACK_TYPE = "pulumi:pulumi:Stack"


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, tuple[bool, bool]] = {}

    def RegisterResource(self, request: Any) -> Any:
        # The stack itself is registered by the first program a test process runs: not a declared resource
        # (recording it made the "nothing declared" tests depend on which test ran first).
        if request.type != STACK_TYPE:
            self.options[request.name] = (bool(request.protect), bool(request.retainOnDelete))
        return super().RegisterResource(request)


class ArmLikeMocks(pulumi.runtime.Mocks):
    """Resources get ARM-shaped ids; every registration is recorded with its raw (serialized) inputs."""

    def __init__(self, subscription: str = SUBSCRIPTION) -> None:
        self.subscription = subscription
        self.created: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append((args.typ, args.name, args.inputs))
        if args.typ == "azure-native:web:CustomApi":
            rid = (
                f"/subscriptions/{self.subscription}/resourceGroups/{args.inputs['resourceGroupName']}"
                f"/providers/Microsoft.Web/customApis/{args.inputs['apiName']}"
            )
        else:
            rid = f"{args.inputs.get('scope', '')}/providers/Microsoft.Authorization/roleAssignments/" + str(
                args.inputs.get("roleAssignmentName")
            )
        return rid, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def install_mocks(subscription: str = SUBSCRIPTION) -> tuple[ArmLikeMocks, RecordingMonitor]:
    mocks = ArmLikeMocks(subscription)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="connectorops", stack="dev", preview=False, monitor=monitor)
    return mocks, monitor


def run_program(
    settings: StackSettings,
    gateway: InMemoryTarget | ArmGateway,
    environ: dict[str, str] | None = None,
    installed: tuple[ArmLikeMocks, RecordingMonitor] | None = None,
) -> tuple[ArmLikeMocks, RecordingMonitor, DeclaredStack]:
    mocks, monitor = installed or install_mocks()
    box: dict[str, DeclaredStack] = {}

    @pulumi.runtime.test
    def program() -> Any:
        declared = declare_stack(settings, ResourceGroupTarget(gateway), environ=environ or {})
        box["declared"] = declared
        resources = [*declared.custom_apis.values(), *declared.role_assignments.values()]
        return pulumi.Output.all(*[r.id for r in resources])

    program()
    return mocks, monitor, box["declared"]


def unwrap_secret(value: Any) -> tuple[bool, Any]:
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return True, value["value"]
    return False, value


def commit_all(repo: Path, message: str = "change") -> str:
    """Commit everything in `repo` (a git repository is created on first use); the new sha."""
    import git

    try:
        handle = git.Repo(repo)
    except git.InvalidGitRepositoryError:
        handle = git.Repo.init(repo, initial_branch="main")
        with handle.config_writer() as cw:
            cw.set_value("user", "name", "t")
            cw.set_value("user", "email", "t@example.com")
    handle.git.add("-A")
    handle.index.commit(message)
    return handle.head.commit.hexsha


def deployed_tags(
    name: str, commit: str | None, *, deletion: str = "protect", environment: str = "dev"
) -> dict[str, str]:
    """The tags a previous `pulumi up` (or apply) left on a connector deployed from `commit`."""
    found = {
        "managed-by": "connectorops",
        "connectorops-environment": environment,
        "connectorops-deletion": deletion,
        "connectorops-source": f"connectors/{name}/connector.yaml",
    }
    if commit is not None:
        found["connectorops-commit"] = commit
    return found
