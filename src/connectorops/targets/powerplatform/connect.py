"""Open a Power Platform environment of connectorops.yaml: the real service, or the emulator's surface.

An environment id the service does not know is a SpecError naming connectorops.yaml's field, raised by the
first list (observe lists before anything is written, so nothing is written).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from connectorops.errors import GatewayError, SpecError
from connectorops.spec.models import LocalEnvironment, PowerPlatformEnvironment, ProjectConfig
from connectorops.targets.arm.connect import CONFIG_FILE, ca_bundle_path, environment_config, local_emulator
from connectorops.targets.powerplatform.client import PowerPlatformClient, PowerPlatformLocation
from connectorops.targets.powerplatform.target import PowerPlatformTarget
from connectorops.targets.transport.credentials import (
    POWERPLATFORM_TOKEN_ENV_VAR,
    StaticTokenCredential,
    build_credential,
)
from connectorops.targets.transport.pipeline import RetrySettings

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
    chosen = environment_config(config, environment)
    if isinstance(chosen, LocalEnvironment):
        with local_emulator(repo_root, chosen, principals) as (_, info):
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
    if not isinstance(chosen, PowerPlatformEnvironment):
        raise SpecError(
            f"environment {environment!r} is not a Power Platform environment",
            file=CONFIG_FILE,
            field=f"environments.{environment}.target",
        )
    location = PowerPlatformLocation(
        environment_id=chosen.environmentId,
        api_endpoint=chosen.apiEndpoint.rstrip("/"),
        flow_endpoint=chosen.flowEndpoint.rstrip("/"),
        credential=build_credential(chosen.credential, variable=POWERPLATFORM_TOKEN_ENV_VAR),
        ca_bundle=ca_bundle_path(repo_root, environment, chosen.caBundle),
        credential_scope=chosen.tokenScope,
        flow_credential_scope=chosen.flowTokenScope,
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
