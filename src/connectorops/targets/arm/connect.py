"""Open the gateway an environment of connectorops.yaml names: the embedded emulator for
`target: local`, Azure (or any ARM-compatible endpoint) for `target: azure`.

The only place that knows which is which; the gateway itself cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.errors import SpecError
from connectorops.targets.address import ArmAddress, LocalAddress, address_of
from connectorops.targets.arm import builders
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget
from connectorops.targets.transport.credentials import StaticTokenCredential, build_credential
from connectorops.targets.transport.pipeline import RetrySettings

if TYPE_CHECKING:
    from connectorops.emulator.server import EmulatorInfo, EmulatorServer
    from connectorops.spec.models import Environment, ProjectConfig

CONFIG_FILE = "connectorops.yaml"
RESOURCE_GROUPS_API_VERSION = "2021-04-01"
EMULATOR_DB_NAME = "emulator.db"


def environment_config(config: ProjectConfig, environment: str) -> Environment:
    """The environment `environment` of connectorops.yaml; a SpecError naming the defined ones otherwise."""
    chosen = config.environments.get(environment)
    if chosen is None:
        known = ", ".join(sorted(config.environments)) or "none"
        raise SpecError(
            f"unknown environment {environment!r} (defined: {known})",
            file=CONFIG_FILE,
            field="environments",
            hint="pass -e with one of the defined environments",
        )
    return chosen


def emulator_db_path(repo_root: Path, state_dir: str) -> Path:
    """Where a local environment keeps its emulator state (its stateDir: gitignored .connectorops/ by default)."""
    folder = Path(state_dir)
    return (folder if folder.is_absolute() else repo_root / folder) / EMULATOR_DB_NAME


@contextmanager
def open_gateway(
    repo_root: Path,
    config: ProjectConfig,
    environment: str,
    *,
    principals: Iterable[tuple[str, str, str]] = (),
    settings: RetrySettings | None = None,
) -> Iterator[ArmGateway]:
    """A gateway for `environment`, closed (and for `local` the emulator stopped) on exit.

    principals: (object_id, principal_type, display_name) to make known to the emulator's
    directory (ignored for Azure, whose directory is Entra ID).
    """
    address = address_of(environment_config(config, environment))
    if not isinstance(address, LocalAddress | ArmAddress) or (
        isinstance(address, LocalAddress) and address.platform != "arm"
    ):
        raise SpecError(
            f"environment {environment!r} is a Power Platform environment, not an ARM resource group",
            file=CONFIG_FILE,
            field=f"environments.{environment}.target",
            hint="this command works on ARM environments (target azure, or local without platform: powerplatform)",
        )
    with open_arm(repo_root, environment, address, principals=principals, settings=settings) as gateway:
        yield gateway


@contextmanager
def open_arm(
    repo_root: Path,
    environment: str,
    address: ArmAddress | LocalAddress,
    *,
    principals: Iterable[tuple[str, str, str]] = (),
    settings: RetrySettings | None = None,
) -> Iterator[ArmGateway]:
    """The gateway of environment `environment` at `address` (see open_gateway), closed on exit."""
    if isinstance(address, LocalAddress):
        with _local_gateway(repo_root, address, principals, settings) as gateway:
            yield gateway
        return
    target = ArmTarget(
        base_url=address.arm_endpoint.rstrip("/"),
        subscription_id=address.subscription_id,
        resource_group=address.resource_group,
        location=address.location,
        credential=build_credential(address.credential),
        ca_bundle=ca_bundle_path(repo_root, environment, address.ca_bundle),
        # Sovereign clouds and emulators: the token audience is the endpoint itself.
        credential_scope=f"{address.arm_endpoint.rstrip('/')}/.default",
    )
    with ArmGateway(target, settings=settings) as gateway:
        _require_resource_group(gateway, environment)
        yield gateway


def _require_resource_group(gateway: ArmGateway, environment: str) -> None:
    """One clear error before any plan when the environment's resource group does not exist
    (ARM would answer ResourceGroupNotFound to every write in the middle of an apply)."""
    target = gateway.target
    response = gateway.send_request(builders.get_resource(gateway.resource_group_id(), RESOURCE_GROUPS_API_VERSION))
    if response.status_code != 404:
        return  # found, or an answer (403, 5xx) the first real call reports with its own hint
    raise SpecError(
        f"resource group {target.resource_group!r} does not exist in subscription {target.subscription_id}",
        file=CONFIG_FILE,
        field=f"environments.{environment}.resourceGroup",
        hint=f"create it first: az group create --subscription {target.subscription_id} "
        f"--name {target.resource_group} --location {target.location}",
    )


@contextmanager
def _local_gateway(
    repo_root: Path,
    address: LocalAddress,
    principals: Iterable[tuple[str, str, str]],
    settings: RetrySettings | None,
) -> Iterator[ArmGateway]:
    with local_emulator(repo_root, address, principals) as (server, info):
        subscription_id = address.subscription_id or info.subscription_id
        # Like `az group create` before a first deployment: the local target needs no setup step.
        server.ensure_resource_group(subscription_id, address.resource_group, address.location)
        target = ArmTarget(
            base_url=info.base_url,
            subscription_id=subscription_id,
            resource_group=address.resource_group,
            location=address.location,
            credential=StaticTokenCredential(info.token),
            ca_bundle=info.ca_path,
        )
        with ArmGateway(target, settings=settings) as gateway:
            yield gateway


@contextmanager
def local_emulator(
    repo_root: Path, address: LocalAddress, principals: Iterable[tuple[str, str, str]] = ()
) -> Iterator[tuple[EmulatorServer, EmulatorInfo]]:
    """The embedded emulator on the environment's state folder (both surfaces), stopped on exit."""
    # Imported here: the emulator (and its TLS setup) is only needed for local runs.
    from connectorops.emulator.server import EmulatorServer

    db_path = emulator_db_path(repo_root, address.state_dir)
    server = EmulatorServer(db_path, location=address.location)
    _ignore_in_git(db_path.parent)
    try:
        info = server.start()
        for object_id, principal_type, display_name in principals:
            server.add_principal(object_id, principal_type, display_name)
        yield server, info
    finally:
        server.stop()


def _ignore_in_git(state_dir: Path) -> None:
    """Keep the emulator's state (its database holds the emulator token) out of `git add -A`.

    A repository that does not list .connectorops/ in its .gitignore would otherwise show it as
    untracked after the first `connectorops plan`.
    """
    marker = state_dir / ".gitignore"
    # A read-only state folder still works; it is only not hidden from git.
    if state_dir.is_dir() and not marker.exists():
        with suppress(OSError):
            marker.write_text("# connectorops: local emulator state, never committed\n*\n", encoding="utf-8")


def ca_bundle_path(repo_root: Path, environment: str, ca_bundle: str | None) -> str | None:
    if ca_bundle is None:
        return None
    path = Path(ca_bundle)
    path = path if path.is_absolute() else repo_root / path
    if not path.is_file():
        raise SpecError(
            f"caBundle {ca_bundle!r} does not exist",
            file=CONFIG_FILE,
            field=f"environments.{environment}.caBundle",
            hint="a PEM file of the CA that signed the endpoint's certificate, relative to the repository",
        )
    return str(path)
