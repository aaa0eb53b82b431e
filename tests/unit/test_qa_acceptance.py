"""Acceptance regressions found by using the product like a platform team would (QA round 2).

Each test pins a defect that once showed a traceback, a confusing error or a request too early.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from cli_runner import invoke
from engine_support import InMemoryTarget, desired_api, desired_state
from rich.console import Console

from connectorops.commands.apply import execute
from connectorops.commands.context import CliContext
from connectorops.engine.apply import EXIT_INTERRUPTED, apply_plan
from connectorops.engine.observe import observe
from connectorops.engine.plan import Plan, make_plan
from connectorops.engine.planfile import load_plan, save_plan
from connectorops.engine.secrets import SecretError, inject_secrets
from connectorops.engine.target import TargetId
from connectorops.errors import AuthenticationError, GitError, PlanError, Severity, SpecError
from connectorops.gitops.inputs import load_inputs
from connectorops.gitops.workspace import RetryPolicy, Workspace
from connectorops.policy.certification.findings import Finding
from connectorops.report.text import render_plan
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway, ArmTarget

AZURE_ENV = (
    "default: local\n"
    "environments:\n"
    "  local: {target: local}\n"
    "  dev:\n"
    "    target: azure\n"
    "    subscriptionId: 00000000-0000-0000-0000-000000000000\n"
    "    resourceGroup: rg-dev\n"
    "    location: westeurope\n"
    "    armEndpoint: https://127.0.0.1:9\n"
    "    credential: token-env\n"
)


class _NoCredential:
    """What DefaultAzureCredential does on a machine with no login: a long multi-line error."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError(
            "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
            "Attempted credentials:\n\tEnvironmentCredential: unavailable\n\tAzureCliCredential: not found"
        )


def _plan(environment: str = "local") -> Plan:
    return Plan(environment=environment, target=TargetId.from_dict({"subscriptionId": "s", "resourceGroup": "rg"}))


def test_missing_azure_login_is_an_authentication_error_with_what_to_do() -> None:
    target = ArmTarget(
        base_url="https://127.0.0.1:9",  # never reached: the token is asked for first
        subscription_id="00000000-0000-0000-0000-000000000000",
        resource_group="rg",
        location="westeurope",
        credential=_NoCredential(),
    )
    with ArmGateway(target) as gateway, pytest.raises(AuthenticationError) as caught:
        gateway.list_custom_apis()
    message = str(caught.value)
    assert "no Azure credential could get a token" in message
    assert "az login" in message and "token-env" in message and "CONNECTOROPS_ARM_TOKEN" in message
    assert "Attempted credentials" not in message  # one line, not azure-identity's whole list


def test_default_credential_warnings_do_not_reach_stderr_without_logging_configured() -> None:
    script = (
        "import logging\n"
        "from connectorops.targets.transport.credentials import build_credential\n"
        "build_credential('default')\n"
        "logging.getLogger('azure.identity._credentials.chained').warning('DefaultAzureCredential failed')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "DefaultAzureCredential failed" not in result.stderr


def test_plan_file_for_another_environment_is_refused_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "connectorops.yaml").write_text(AZURE_ENV)
    (tmp_path / "connectors").mkdir()
    plan_file = tmp_path / "plan.json"
    save_plan(_plan("local"), plan_file)
    result = invoke(["--repo", str(tmp_path), "-e", "dev", "apply", "--plan", str(plan_file), "--yes"])
    assert result.exit_code == 1
    # Before the fix the token-env credential (unset here) or the unreachable endpoint failed first.
    assert "the plan was made for environment 'local', not 'dev'" in result.stderr
    assert "CONNECTOROPS_ARM_TOKEN" not in result.stderr and "could not reach" not in result.stderr


@pytest.mark.parametrize(
    ("path", "value"),
    [(("actions",), "x"), (("actions",), 3), (("actions", 0), None), (("actions", 0), [1]), (("options",), [])],
)
def test_hand_edited_plan_with_wrong_shapes_is_a_plan_error(tmp_path: Path, path: tuple[Any, ...], value: Any) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(_plan(), plan_file)
    data = json.loads(plan_file.read_text())
    data["actions"] = [{"kind": "noop"}]
    holder: Any = data
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    plan_file.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="malformed plan file|edited"):
        load_plan(plan_file)


def test_plan_file_without_fingerprint_counts_as_edited(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    save_plan(_plan(), plan_file)
    data = json.loads(plan_file.read_text())
    del data["fingerprint"]
    plan_file.write_text(json.dumps(data))
    with pytest.raises(PlanError, match="edited after it was made"):
        load_plan(plan_file)
    data["fingerprint"] = _plan().fingerprint
    plan_file.write_text(json.dumps(data))
    assert load_plan(plan_file) == _plan()


@pytest.mark.parametrize("misnamed", ["connector.yml", "Connector.yaml"])
def test_misnamed_connector_file_is_an_error_so_its_live_connector_is_not_deleted(
    tmp_path: Path, misnamed: str
) -> None:
    folder = tmp_path / "connectors" / "orders"
    folder.mkdir(parents=True)
    (folder / misnamed).write_text("apiVersion: connectorops/v1\nkind: Connector\nmetadata: {name: orders}\n")
    (tmp_path / "connectors" / "notes").mkdir()  # a folder without any connector file stays a warning
    (tmp_path / "connectors" / "notes" / "README.md").write_text("drafts\n")
    repo = load_repository(FileSystemTree(tmp_path))
    errors = [p for p in repo.problems if p.severity == Severity.ERROR]
    assert [(p.file, p.code) for p in errors] == [(f"connectors/orders/{misnamed}", "spec.misnamed_connector_yaml")]
    assert "rename it to connectors/orders/connector.yaml" in str(errors[0])
    warnings = [p for p in repo.problems if p.severity == Severity.WARNING]
    assert [p.code for p in warnings] == ["spec.no_connector_yaml"]


class _CtrlCGateway(InMemoryTarget):
    """Ctrl-C arrives while the third customApi is being written (one worker: a fixed order)."""

    def put_custom_api(
        self, name: str, body: dict[str, Any], *, if_match: str | None = None, if_none_match: str | None = None
    ) -> dict[str, Any]:
        if len(self.sent_bodies) == 2:
            raise KeyboardInterrupt
        return super().put_custom_api(name, body, if_match=if_match, if_none_match=if_none_match)


def test_ctrl_c_mid_apply_reports_what_was_done_and_what_was_not() -> None:
    gw = _CtrlCGateway()
    desired = desired_state(*(desired_api(f"c{i}") for i in range(5)))
    plan = make_plan(desired, observe(gw))  # type: ignore[arg-type]
    report = apply_plan(plan, gw, max_workers=1)  # type: ignore[arg-type]
    assert report.interrupted and report.exit_code == EXIT_INTERRUPTED
    assert [r.name for r in report.done] == ["c0", "c1"] == sorted(gw.custom_apis)
    assert [(r.name, r.status) for r in report.not_done] == [(f"c{i}", "skipped") for i in (2, 3, 4)]
    assert all("interrupted" in r.message for r in report.not_done)
    assert report.to_dict()["interrupted"] is True


def test_certification_summary_line_names_ten_connectors_then_counts_the_rest() -> None:
    findings = tuple(
        Finding("VisibilityMissing", Severity.WARNING, "advisory", "openapi.yaml", "", "m", "h", connector=f"c{i:03}")
        for i in range(300)
    )
    console = Console(record=True, width=200)
    render_plan(Plan(environment="local", target=TargetId("arm"), findings=findings), console)
    line = next(x for x in console.export_text().splitlines() if x.startswith("certification:"))
    assert line.startswith("certification: 300 advisory finding(s) (c000 1, c001 1,")
    assert "c009 1, and 290 more connector(s))" in line and "c010" not in line


@pytest.mark.parametrize("command", [["plan"], ["apply", "--yes"], ["drift"], ["validate"], ["certify"]])
def test_repo_that_is_missing_or_a_file_is_an_error(tmp_path: Path, command: list[str]) -> None:
    a_file = tmp_path / "connectorops.yaml"
    a_file.write_text("default: local\n")
    for repo, problem in ((tmp_path / "typo", "does not exist"), (a_file, "is not a directory")):
        result = invoke(["--repo", str(repo), *command])
        assert result.exit_code == 1, result.output
        assert f"--repo {repo} {problem}" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "typo").exists()  # nothing (no emulator state) created at a mistyped path


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_plan_in_a_directory_that_is_no_connectorops_repository_is_an_error(tmp_path: Path, command: str) -> None:
    result = invoke(["--repo", str(tmp_path), command])
    assert result.exit_code == 1  # was 0, "Plan: no changes."
    assert "not a connectorops repository: neither connectorops.yaml nor connectors/" in result.stderr


@pytest.mark.parametrize("arguments", [["plan", "--no-such-flag"], ["plan", "--max-deletions", "-1"]])
def test_a_command_line_that_does_not_parse_exits_1_not_2(arguments: list[str]) -> None:
    # 2 means "changes present" to CI; a usage error must not look like one.
    result = subprocess.run(
        [sys.executable, "-m", "connectorops.cli", *arguments], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "Usage:" in result.stderr


def test_emulator_state_under_a_file_is_an_error_naming_it(tmp_path: Path) -> None:
    in_the_way = tmp_path / "state"
    in_the_way.write_text("not a folder\n")
    config = "default: local\nenvironments:\n  local: {target: local, stateDir: state}\n"
    (tmp_path / "connectorops.yaml").write_text(config)
    (tmp_path / "connectors").mkdir()
    result = invoke(["--repo", str(tmp_path), "plan"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot open the emulator state file" in result.stderr and str(in_the_way) in result.stderr
    served = invoke(["emulator", "serve", "--db", str(in_the_way / "x.db")])
    assert served.exit_code == 1 and "cannot open the emulator state file" in served.stderr


def test_plan_out_to_a_folder_or_under_a_file_is_a_plan_error(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x\n")
    with pytest.raises(PlanError, match="cannot write the plan file: Is a directory"):
        save_plan(_plan(), tmp_path)
    with pytest.raises(PlanError, match=r"cannot write the plan file: .*notes\.txt"):
        save_plan(_plan(), a_file / "plan.json")


def test_import_into_a_file_is_refused_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    (tmp_path / "connectors").mkdir()
    (tmp_path / "notes.txt").write_text("x\n")
    result = invoke(["--repo", str(tmp_path), "import", "--into", "notes.txt"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--into: notes.txt is a file, not a folder" in result.stderr
    assert not (tmp_path / ".connectorops").exists()  # the embedded emulator was never started


def test_controller_fetch_error_names_git_s_cause_not_its_generic_advice(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-repo"
    workspace = Workspace(str(missing), "main", tmp_path / "cache", retry=RetryPolicy(attempts=1))
    with pytest.raises(GitError) as caught:
        workspace.sync()
    message = str(caught.value)
    assert "does not appear to be a git repository" in message and str(missing) in message
    assert "and the repository exists" not in message  # git's last stderr line, shown alone before


def test_definition_path_too_long_for_the_file_system_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "connectors" / "orders").mkdir(parents=True)
    too_long = "x" * 300 + ".yaml"  # ENAMETOOLONG, which pathlib's exists()/is_dir() raise on Python 3.11
    (tmp_path / "connectors" / "orders" / "connector.yaml").write_text(
        f"apiVersion: connectorops/v1\nkind: Connector\nmetadata: {{name: orders}}\nspec:\n"
        f"  definition: {{openapi: {too_long}}}\n"
    )
    result = invoke(["--repo", str(tmp_path), "validate", "--json"])
    assert result.exit_code == 1 and not isinstance(result.exception, OSError)
    problems = json.loads(result.stdout)["connectors"][0]["problems"]
    assert [p["field"] for p in problems] == ["spec.definition.openapi"] and "does not exist" in problems[0]["message"]
    tree = FileSystemTree(tmp_path)
    assert not tree.exists(f"connectors/orders/{too_long}") and not tree.is_dir(f"connectors/orders/{too_long}")
    with pytest.raises(SpecError, match="cannot read"):
        tree.read_bytes(f"connectors/orders/{too_long}")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["plan", "--json", "--markdown"], "--json and --markdown are both given"),
        (["drift", "--json", "--markdown"], "--json and --markdown are both given"),
        (["certify", "--json", "--markdown"], "--json and --markdown are both given"),
        (["plan", "--at", "main", "--head", "feature"], "--at main and --head feature name two desired states"),
    ],
)
def test_contradicting_options_are_refused_before_any_work(tmp_path: Path, arguments: list[str], message: str) -> None:
    (tmp_path / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    (tmp_path / "connectors").mkdir()
    result = invoke(["--repo", str(tmp_path), *arguments])
    assert result.exit_code == 1 and message in result.stderr and result.stdout == ""
    assert not (tmp_path / ".connectorops").exists()


def test_planning_uncommitted_changes_for_azure_warns_that_the_commit_tag_will_not_match(tmp_path: Path) -> None:
    (tmp_path / "connectorops.yaml").write_text(AZURE_ENV)
    folder = tmp_path / "connectors" / "orders"
    folder.mkdir(parents=True)
    (folder / "openapi.json").write_text(json.dumps({
        "swagger": "2.0", "info": {"title": "Orders", "version": "1"}, "host": "orders.contoso.com",
        "paths": {"/o": {"get": {"operationId": "ListOrders", "responses": {"200": {"description": "ok"}}}}},
    }))  # fmt: skip
    connector = "apiVersion: connectorops/v1\nkind: Connector\nmetadata: {name: orders}\nspec:\n"
    (folder / "connector.yaml").write_text(connector + "  definition: {openapi: openapi.json}\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=qa", "-c", "user.email=qa@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "orders"], check=True)

    def warnings(environment: str) -> list[str]:
        problems = load_inputs(tmp_path, environment).repo.problems
        return [p.message for p in problems if p.code == "git.uncommitted_changes"]

    assert warnings("dev") == []  # clean tree
    edited = connector + "  displayName: Orders v2\n  definition: {openapi: openapi.json}\n"
    (folder / "connector.yaml").write_text(edited)
    (tmp_path / "notes.txt").write_text("outside connectorops' files\n")
    [message] = warnings("dev")
    assert message.startswith("uncommitted changes (connectors/orders/connector.yaml) are planned")
    assert warnings("local") == []  # the laptop loop: edit, plan, apply locally, commit later


class _SigtermGateway(InMemoryTarget):
    """A cancelled CI job: SIGTERM arrives (once) while the third customApi is being written."""

    once = threading.Lock()
    signalled = False  # set on the instance when the signal is sent

    def put_custom_api(
        self, name: str, body: dict[str, Any], *, if_match: str | None = None, if_none_match: str | None = None
    ) -> dict[str, Any]:
        with self.once:
            send = len(self.sent_bodies) == 2 and not self.signalled
            self.signalled = self.signalled or send
        if send:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.5)  # the handler runs in the main thread, which is waiting for the actions
        return super().put_custom_api(name, body, if_match=if_match, if_none_match=if_none_match)


def test_sigterm_mid_apply_stops_like_ctrl_c_and_restores_the_default_handler(tmp_path: Path) -> None:
    # Collect earlier tests' garbage first: a KeyboardInterrupt raised while the main thread runs a finalizer
    # (GitPython's Repo.__del__) is swallowed by Python, which would make this test depend on GC timing.
    gc.collect()
    gw = _SigtermGateway()
    plan = make_plan(desired_state(*(desired_api(f"c{i:02}") for i in range(12))), observe(gw))  # type: ignore[arg-type]
    ctx = CliContext(tmp_path, None, Console(record=True, width=200), Console(stderr=True, record=True))
    before = signal.getsignal(signal.SIGTERM)
    report = execute(ctx, plan, ResourceGroupTarget(gw), json_output=False, lock_timeout=0)  # type: ignore[arg-type]
    assert report.interrupted and report.exit_code == EXIT_INTERRUPTED  # the default handler would kill the run
    assert len(report.results) == 12 and report.not_done  # nothing new started after SIGTERM
    assert {r.name for r in report.done} <= set(gw.custom_apis)
    assert "Apply interrupted:" in ctx.console.export_text()
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("blank", ["", "   ", "\n"])
def test_blank_secret_variable_counts_as_unset(blank: str) -> None:
    body = {"properties": {"connectionParameters": {"token": {"oAuthSettings": {"clientId": "a"}}}}}
    pointer = "/token/oAuthSettings/clientSecret"
    with pytest.raises(SecretError, match=r"ORDERS_SECRET is not set \(or blank\)"):
        inject_secrets(body, {pointer: {"env": "ORDERS_SECRET"}}, connector="orders", environ={"ORDERS_SECRET": blank})
