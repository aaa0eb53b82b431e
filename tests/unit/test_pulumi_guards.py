"""Mass-deletion guards of the Pulumi program: empty desired set, max deletions, what counts as ours."""

from __future__ import annotations

import shutil
from pathlib import Path

import pulumi
import pytest
from pulumi_support import SUBSCRIPTION, install_mocks, make_repo, pulumi_target, run_program

from connectorops.errors import PlanBlocked
from connectorops.pulumi_stack.guards import check_deletions, managed_custom_api_names
from connectorops.pulumi_stack.settings import StackSettings

OURS = {"managed-by": "connectorops", "connectorops-environment": "dev", "connectorops-deletion": "protect"}


def api(name: str, **tags: str) -> dict[str, object]:
    return {"name": name, "tags": tags}


def test_only_our_non_orphan_custom_apis_of_this_environment_count() -> None:
    observed = [
        api("a", **OURS),
        api("b", **{**OURS, "connectorops-environment": "prod"}),
        api("c", **{**OURS, "connectorops-deletion": "orphan"}),
        api("d", **{"managed-by": "someone-else", "connectorops-environment": "dev"}),
        {"name": "e"},
        api("f", **OURS),
        # Managed but written before the environment tag existed: the engine's plan counts it as
        # this environment's, so the Pulumi guard must too.
        api("g", **{"managed-by": "connectorops"}),
    ]
    assert managed_custom_api_names(observed, "dev") == ["a", "f", "g"]


def test_deletions_are_what_git_no_longer_declares() -> None:
    assert check_deletions(["a", "B", "c"], {"b"}, allow_empty=False, max_deletions=3) == ["a", "c"]
    assert check_deletions(["a"], {"a", "new"}, allow_empty=False, max_deletions=0) == []


def test_an_empty_desired_set_is_refused_unless_allowed() -> None:
    with pytest.raises(PlanBlocked, match="no connectors") as caught:
        check_deletions(["a"], set(), allow_empty=False, max_deletions=3)
    assert "connectorops:allowEmpty" in (caught.value.problem.hint or "")
    assert check_deletions(["a"], set(), allow_empty=True, max_deletions=3) == ["a"]
    assert check_deletions([], set(), allow_empty=False, max_deletions=3) == []  # a new, empty stack


def test_more_deletions_than_allowed_are_refused() -> None:
    with pytest.raises(PlanBlocked, match=r"delete 4 connectors \(a, b, c, d\), more than connectorops:maxDeletions 3"):
        check_deletions(["a", "b", "c", "d", "keep"], {"keep"}, allow_empty=False, max_deletions=3)
    assert len(check_deletions(["a", "b", "c", "d", "keep"], {"keep"}, allow_empty=False, max_deletions=4)) == 4


def test_the_program_refuses_to_empty_an_environment_before_declaring_anything(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    for name in ("orders", "d7sms"):
        shutil.rmtree(repo / "connectors" / name)
    gateway = pulumi_target()
    gateway.add_custom_api("orders", OURS)
    settings = StackSettings(
        repo_root=repo, environment="dev", subscription_id=SUBSCRIPTION, drop_ui_definition=frozenset({"d7sms"})
    )
    mocks, monitor = install_mocks()
    with pytest.raises(pulumi.RunError, match="refusing to delete them all"):
        run_program(settings, gateway, {}, (mocks, monitor))
    assert mocks.created == []
    allowed = StackSettings(
        repo_root=repo,
        environment="dev",
        subscription_id=SUBSCRIPTION,
        allow_empty=True,
        drop_ui_definition=frozenset({"d7sms"}),
    )
    mocks, _, declared = run_program(allowed, gateway, {})
    assert mocks.created == [] and declared.custom_apis == {}
