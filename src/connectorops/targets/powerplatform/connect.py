"""Open a Power Platform environment of connectorops.yaml: the real service, or the emulator's surface.

An environment id the service does not know is a SpecError naming connectorops.yaml's field, raised by the
first list (observe lists before anything is written, so nothing is written).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from connectorops.errors import GatewayError, SpecError
from connectorops.targets.address import ArmAddress, LocalAddress, PowerPlatformAddress, address_of
from connectorops.targets.arm.connect import CONFIG_FILE, ca_bundle_path, environment_config, local_emulator
from connectorops.targets.powerplatform.client import PowerPlatformClient, PowerPlatformLocation
from connectorops.targets.powerplatform.target import PowerPlatformTarget
from connectorops.targets.transport.credentials import (
    POWERPLATFORM_TOKEN_ENV_VAR,
    StaticTokenCredential,
    build_credential,
)
from connectorops.targets.transport.pipeline import RetrySettings

if TYPE_CHECKING:
    from connectorops.spec.models import ProjectConfig

ENVIRONMENT_NOT_FOUND = "EnvironmentNotFound"


@contextmanager
def open_powerplatform(
    repo_root: Path,
    config: ProjectConfig,
    environment: str,
    *,
    principals: Iterable[tuple[str, str, str]] = (),
    settings: RetrySettings | None = None,
) -> Iterator[PowerPlatformTarget]:
    """The target of a `powerplatform` environment, or of `local` with `platform: powerplatform`."""
    address = address_of(environment_config(config, environment))
    if isinstance(address, ArmAddress):
        raise SpecError(
            f"environment {environment!r} is not a Power Platform environment",
            file=CONFIG_FILE,
            field=f"environments.{environment}.target",
        )
    with open_powerplatform_at(repo_root, environment, address, principals=principals, settings=settings) as target:
        yield target


@contextmanager
def open_powerplatform_at(
    repo_root: Path,
    environment: str,
    address: PowerPlatformAddress | LocalAddress,
    *,
    principals: Iterable[tuple[str, str, str]] = (),
    settings: RetrySettings | None = None,
) -> Iterator[PowerPlatformTarget]:
    """The target of environment `environment` at `address` (see open_powerplatform), closed on exit."""
    if isinstance(address, LocalAddress):
        with local_emulator(repo_root, address, principals) as (_, info):
            location = PowerPlatformLocation(
                environment_id=info.environment_id,
                api_endpoint=info.powerapps_url,
                flow_endpoint=info.flow_url,
                credential=StaticTokenCredential(info.token),
                ca_bundle=info.ca_path,
            )
            with _opened(location, settings, environment, field="platform") as target:
                yield target
        return
    location = PowerPlatformLocation(
        environment_id=address.environment_id,
        api_endpoint=address.api_endpoint.rstrip("/"),
        flow_endpoint=address.flow_endpoint.rstrip("/"),
        credential=build_credential(address.credential, variable=POWERPLATFORM_TOKEN_ENV_VAR),
        ca_bundle=ca_bundle_path(repo_root, environment, address.ca_bundle),
        credential_scope=address.token_scope,
        flow_credential_scope=address.flow_token_scope,
    )
    with _opened(location, settings, environment, field="environmentId") as target:
        yield target


@contextmanager
def _opened(
    location: PowerPlatformLocation, settings: RetrySettings | None, environment: str, *, field: str
) -> Iterator[PowerPlatformTarget]:
    with PowerPlatformClient(location, settings=settings) as client:
        try:
            yield PowerPlatformTarget(client)
        except GatewayError as error:
            if error.arm_code != ENVIRONMENT_NOT_FOUND:
                raise
            raise SpecError(
                f"Power Platform environment {location.environment_id!r} does not exist at {location.api_endpoint} "
                "(or this identity cannot see it)",
                file=CONFIG_FILE,
                field=f"environments.{environment}.{field}",
                hint="copy the environment id from the Power Platform admin center (Environments > Details), or "
                "list yours with `pac admin list`",
            ) from None
