"""Mass-deletion guards of the Pulumi program: the engine's plan decides (empty desired set, max
deletions, what counts as ours); the program fails before declaring anything when they block."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pulumi
import pytest
from in_memory_target import InMemoryTarget
from pulumi_support import SUBSCRIPTION, install_mocks, make_repo, pulumi_target, run_program

from connectorops.pulumi_stack.settings import StackSettings

ENVIRON = {"ORDERS_DEV_CLIENT_SECRET": "s3cr3t-value-for-tests"}
OURS = {"managed-by": "connectorops", "connectorops-environment": "dev", "connectorops-deletion": "protect"}


def settings_for(repo: Path, **overrides: object) -> StackSettings:
    values: dict[str, object] = {
        "repo_root": repo,
        "environment": "dev",
        "subscription_id": SUBSCRIPTION,
        "drop_ui_definition": frozenset({"d7sms"}),
    }
    values.update(overrides)
    return StackSettings(**values)  # type: ignore[arg-type]


def refused(repo: Path, gateway: InMemoryTarget, **overrides: object) -> str:
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_program(settings_for(repo, **overrides), gateway, ENVIRON, (mocks, monitor))
    assert mocks.created == []  # nothing declared: Pulumi deletes nothing
    return str(caught.value)


def test_only_our_non_orphan_custom_apis_of_this_environment_count(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, sharing=False)
    gateway = pulumi_target()
    gateway.add_custom_api("a", OURS)
    gateway.add_custom_api("b", {**OURS, "connectorops-environment": "prod"})
    gateway.add_custom_api("c", {**OURS, "connectorops-deletion": "orphan"})
    gateway.add_custom_api("d", {"managed-by": "someone-else", "connectorops-environment": "dev"})
    gateway.add_custom_api("e", {})
    gateway.add_custom_api("f", OURS)
    # Managed but written before the environment tag existed: the engine's plan counts it as this environment's.
    gateway.add_custom_api("g", {"managed-by": "connectorops"})
    message = refused(repo, gateway, max_deletions=2)
    assert "the plan deletes 3 connectors, more than --max-deletions 2" in message
    assert all(f"customApi:{name}:" in message for name in ("a", "f", "g"))
    assert not any(f"customApi:{name}:" in message for name in ("b", "c", "d", "e"))
    _, _, declared = run_program(settings_for(repo, max_deletions=3), gateway, ENVIRON)
    assert set(declared.custom_apis) == {"orders", "d7sms"}


def test_deletions_are_what_git_no_longer_declares(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    repo = make_repo(tmp_path, sharing=False)
    gateway = pulumi_target()
    gateway.add_custom_api("legacy", OURS)
    with caplog.at_level(logging.WARNING):
        run_program(settings_for(repo), gateway, ENVIRON)
    assert "git no longer declares legacy: this update deletes them" in caplog.text
    message = refused(repo, gateway, max_deletions=0)
    assert "customApi:legacy:" in message and "customApi:orders" not in message


def test_an_empty_desired_set_is_refused_unless_allowed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    for name in ("orders", "d7sms"):
        shutil.rmtree(repo / "connectors" / name)
    gateway = pulumi_target()
    _, _, declared = run_program(settings_for(repo), gateway, ENVIRON)  # a new, empty stack
    assert declared.custom_apis == {}
    gateway.add_custom_api("orders", OURS)
    message = refused(repo, gateway)
    assert "refusing to delete everything" in message
    assert "pulumi config set connectorops:allowEmpty true" in message


def test_more_deletions_than_allowed_are_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    repo = make_repo(tmp_path, sharing=False)
    gateway = pulumi_target()
    for name in ("a", "b", "c", "d"):
        gateway.add_custom_api(name, OURS)
    message = refused(repo, gateway, max_deletions=3)
    assert "the plan deletes 4 connectors, more than --max-deletions 3" in message
    assert "pulumi config set connectorops:maxDeletions 4" in message
    with caplog.at_level(logging.WARNING):
        run_program(settings_for(repo, max_deletions=4), gateway, ENVIRON)
    assert "git no longer declares a, b, c, d: this update deletes them" in caplog.text


def test_the_program_refuses_to_empty_an_environment_before_declaring_anything(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    for name in ("orders", "d7sms"):
        shutil.rmtree(repo / "connectors" / name)
    gateway = pulumi_target()
    gateway.add_custom_api("orders", OURS)
    assert "refusing to delete everything" in refused(repo, gateway)
    mocks, _, declared = run_program(settings_for(repo, allow_empty=True), gateway, ENVIRON)
    assert mocks.created == [] and declared.custom_apis == {}
