"""Stack settings from `pulumi config`, and the project's own Pulumi.yaml / Pulumi.dev.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pulumi
import pytest
import yaml
from pulumi_support import pulumi_target, run_program

from connectorops.ci.environments import read_project_config
from connectorops.errors import SpecError
from connectorops.pulumi_stack.settings import StackSettings, settings_from_config
from connectorops.spec.models import AzureEnvironment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack_config() -> Iterator[Callable[..., None]]:
    """Replace the whole stack config for one test (as `pulumi config` would), then empty it."""

    def use(**config: str) -> None:
        pulumi.runtime.set_all_config({key.replace("__", ":"): value for key, value in config.items()})

    use()
    yield use
    use()


def test_settings_from_the_stack_config(stack_config: Callable[..., None], tmp_path: Path) -> None:
    stack_config(
        connectorops__environment="dev",
        connectorops__allowConnectionLoss=json.dumps(["orders", "d7sms"]),
        connectorops__cacheDir=".cache",
        connectorops__allowEmpty="true",
        connectorops__maxDeletions="5",
        **{"azure-native__subscriptionId": "sub"},
    )
    settings = settings_from_config(tmp_path)
    assert settings.environment == "dev"
    assert settings.allow_connection_loss == frozenset({"orders", "d7sms"})
    assert settings.subscription_id == "sub"
    assert settings.cache_dir == tmp_path / ".cache"
    assert settings.resource_group is None
    assert settings.allow_empty is True and settings.max_deletions == 5


def test_guard_defaults_match_the_cli(stack_config: Callable[..., None], tmp_path: Path) -> None:
    stack_config(connectorops__environment="dev")
    settings = settings_from_config(tmp_path)
    assert (settings.allow_empty, settings.max_deletions, settings.allow_connection_loss) == (False, 3, frozenset())


def test_a_non_list_allow_connection_loss_is_a_spec_error(stack_config: Callable[..., None], tmp_path: Path) -> None:
    stack_config(connectorops__environment="dev", connectorops__allowConnectionLoss='{"a": 1}')
    with pytest.raises(SpecError, match="allowConnectionLoss must be a list"):
        settings_from_config(tmp_path)


def test_the_environment_is_required(stack_config: Callable[..., None], tmp_path: Path) -> None:
    with pytest.raises(pulumi.ConfigMissingError):
        settings_from_config(tmp_path)


def test_pulumi_yaml_runs_infra_with_the_project_venv() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "connectorops"  # the config namespace the program reads
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert project["main"] == "infra/"
    assert (ROOT / "infra" / "__main__.py").is_file()
    # Thin: the program's logic is in the package, where it is typed and tested.
    assert len((ROOT / "infra" / "__main__.py").read_text().splitlines()) <= 15


def test_every_stack_file_agrees_with_connectorops_yaml() -> None:
    config = read_project_config(ROOT)
    stacks = sorted(ROOT.glob("Pulumi.*.yaml"))
    assert stacks, "at least Pulumi.dev.yaml"
    for path in stacks:
        values = yaml.safe_load(path.read_text())["config"]
        environment = config.environments[values["connectorops:environment"]]
        assert isinstance(environment, AzureEnvironment), path.name
        assert values["azure-native:subscriptionId"] == environment.subscriptionId, path.name
        assert values["azure-native:location"] == environment.location, path.name
        assert values.get("connectorops:resourceGroup", environment.resourceGroup) == environment.resourceGroup


def test_the_repository_dev_stack_declares_one_custom_api_per_connector() -> None:
    values = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    settings = StackSettings(
        repo_root=ROOT,
        environment=values["connectorops:environment"],
        subscription_id=values["azure-native:subscriptionId"],
        location=values["azure-native:location"],
        resource_group=values.get("connectorops:resourceGroup"),
        drop_ui_definition=frozenset(values.get("connectorops:dropUiDefinition") or ()),
    )
    secrets = {"ORDERS_DEV_CLIENT_SECRET": "x", "ORDERS_CLIENT_SECRET": "x"}
    mocks, _, declared = run_program(settings, pulumi_target(), secrets)
    connectors = sorted(p.parent.name for p in (ROOT / "connectors").glob("*/connector.yaml"))
    custom_apis = sorted(name for typ, name, _ in mocks.created if typ == "azure-native:web:CustomApi")
    assert custom_apis == connectors
    assert set(declared.custom_apis) == set(connectors)


def test_infra_main_runs_the_program_on_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    from connectorops.pulumi_stack import program

    roots: list[Path] = []
    monkeypatch.setattr(program, "run", roots.append)
    runpy.run_path(str(ROOT / "infra" / "__main__.py"), run_name="__main__")
    assert roots == [ROOT]


def test_power_platform_environments_need_no_azure_native_config_and_local_arm_is_refused(tmp_path: Path) -> None:
    from connectorops.pulumi_stack.settings import check_stack_matches
    from connectorops.spec.models import LocalEnvironment, PowerPlatformEnvironment

    settings = StackSettings(repo_root=tmp_path, environment="makers", subscription_id="anything", location="x")
    makers = PowerPlatformEnvironment(target="powerplatform", environmentId="00000000-0000-0000-0000-000000000001")
    check_stack_matches(settings, "makers", makers)  # azure-native's config is not this stack's business
    check_stack_matches(settings, "makers-local", LocalEnvironment(target="local", platform="powerplatform"))
    with pytest.raises(SpecError, match="Pulumi deploys only to Azure and Power Platform"):
        check_stack_matches(settings, "local", LocalEnvironment(target="local"))
