"""The GitHub workflows: valid YAML, commands that exist in the CLI, least privilege, no secrets.

The workflows only run on GitHub, so these checks are what stands between a typo in a flag
and a broken hourly drift job.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectorops.cli import UsageError, parse

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "&", "2>&1"}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def run_scripts(data: dict[str, Any]) -> list[str]:
    return [step["run"] for job in data["jobs"].values() for step in steps(job) if "run" in step]


def connectorops_invocations(script: str) -> list[list[str]]:
    """Argument lists of every `connectorops ...` command in a shell script."""
    joined = script.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in joined.splitlines():
        if line.strip().startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for index, token in enumerate(tokens):
            if Path(token).name == "connectorops":
                args: list[str] = []
                for arg in tokens[index + 1 :]:
                    if arg in SHELL_OPERATORS:
                        break
                    args.append(arg)
                found.append(args)
    return found


def all_invocations() -> list[tuple[str, list[str]]]:
    return [
        (path.name, args)
        for path in WORKFLOW_FILES
        for script in run_scripts(load(path))
        for args in connectorops_invocations(script)
    ]


def check_against_cli(args: list[str]) -> str:
    """Parse `args` exactly as the CLI would; UsageError on an unknown command or flag. Returns the command path."""
    return str(parse(args).command)


def test_workflow_files_exist_and_parse() -> None:
    names = {path.name for path in WORKFLOW_FILES}
    assert {"pr-plan.yml", "deploy.yml", "drift.yml", "policy-review.yml"} <= names
    for path in WORKFLOW_FILES:
        data = load(path)
        assert data["name"], path.name
        assert data["on"], path.name
        assert data["jobs"], path.name


def test_the_workflows_run_the_documented_commands() -> None:
    commands = {(name, check_against_cli(args)) for name, args in all_invocations()}
    assert ("pr-plan.yml", "validate") in commands
    assert ("pr-plan.yml", "certify") in commands
    assert ("pr-plan.yml", "plan") in commands
    assert ("deploy.yml", "apply") in commands
    assert ("drift.yml", "drift") in commands


def _invocation_id(value: object) -> str:
    return value if isinstance(value, str) else " ".join(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("workflow_name", "args"), all_invocations(), ids=_invocation_id)
def test_every_connectorops_command_line_parses_with_the_cli(workflow_name: str, args: list[str]) -> None:
    check_against_cli(args)


def test_the_cli_check_rejects_an_unknown_flag_and_command() -> None:
    # The checker above must be able to fail, or the parametrized test proves nothing.
    with pytest.raises(UsageError, match="--no-such-flag"):
        check_against_cli(["plan", "--no-such-flag"])
    with pytest.raises(UsageError, match="frobnicate"):
        check_against_cli(["frobnicate"])
    assert check_against_cli(["-e", "dev", "drift", "--markdown"]) == "drift"
    assert check_against_cli(["emulator", "serve", "--port", "0"]) == "emulator serve"


def test_invocation_extraction_handles_redirects_and_continuations() -> None:
    script = '.venv/bin/connectorops plan --markdown \\\n  -e "$ENV" > plan.md\necho connectorops\n'
    assert connectorops_invocations(script) == [["plan", "--markdown", "-e", "$ENV"], []]


def test_pr_plan_plans_every_environment_with_base_and_head() -> None:
    data = workflow("pr-plan.yml")
    plan_lines = [a for s in run_scripts(data) for a in connectorops_invocations(s) if a and a[0] == "plan"]
    assert len(plan_lines) == 1
    args = plan_lines[0]
    for flag in ("--markdown", "-e", "--base", "--head"):
        assert flag in args
    job = data["jobs"]["plan"]
    assert "fromJSON(needs.environments.outputs.matrix)" in str(job["strategy"]["matrix"])
    assert data["on"]["pull_request"] is not None


def test_pr_plan_edits_one_marked_comment_per_environment() -> None:
    job = workflow("pr-plan.yml")["jobs"]["plan"]
    scripts = [s["with"]["script"] for s in steps(job) if str(s.get("uses", "")).startswith("actions/github-script@")]
    assert len(scripts) == 1
    script = scripts[0]
    assert "<!-- connectorops-plan:${environment} -->" in script
    assert "updateComment" in script and "createComment" in script
    assert "listComments" in script


def test_pulumi_steps_use_pulumi_actions_per_mode() -> None:
    def pulumi_steps(name: str, job: str) -> list[dict[str, Any]]:
        return [s for s in steps(workflow(name)["jobs"][job]) if str(s.get("uses", "")).startswith("pulumi/actions@")]

    (preview,) = pulumi_steps("pr-plan.yml", "plan")
    assert preview["with"]["command"] == "preview"
    assert preview["if"] == "matrix.mode == 'pulumi'"
    (up,) = pulumi_steps("deploy.yml", "deploy")
    assert up["with"]["command"] == "up"
    assert up["if"] == "matrix.mode == 'pulumi'"
    assert up["with"]["policyPacks"] == "policies/crossguard"
    (probe,) = pulumi_steps("drift.yml", "drift")
    assert probe["with"]["command"] == "preview"
    assert probe["with"]["refresh"] is True
    assert probe["with"]["expect-no-changes"] is True
    deploy_steps = steps(workflow("deploy.yml")["jobs"]["deploy"])
    apply_step = next(s for s in deploy_steps if "connectorops apply" in s.get("run", ""))
    assert apply_step["if"] == "matrix.mode == 'engine'"


def test_deploy_is_serialized_per_environment_and_gated_by_an_environment() -> None:
    job = workflow("deploy.yml")["jobs"]["deploy"]
    assert "matrix.environment" in job["concurrency"]["group"]
    assert job["concurrency"]["cancel-in-progress"] is False
    assert job["environment"]["name"] == "${{ matrix.environment }}"
    assert workflow("deploy.yml")["on"]["push"]["branches"] == ["main"]


def test_drift_runs_hourly_and_keeps_a_single_issue() -> None:
    data = workflow("drift.yml")
    (schedule,) = data["on"]["schedule"]
    minute, hour, *_ = schedule["cron"].split()
    assert minute.isdigit() and hour == "*"
    script = next(s["with"]["script"] for s in steps(data["jobs"]["drift"]) if "github-script@" in str(s.get("uses")))
    # Found by label and title (no duplicates), created with the label, closed when drift is gone.
    assert "labels: label" in script and "i.title === title" in script
    assert "labels: [label]" in script
    assert "state: 'closed'" in script
    assert "DRIFT_EXIT === '2'" in script


def test_every_job_declares_least_privilege_permissions() -> None:
    for path in WORKFLOW_FILES:
        data = load(path)
        assert data["permissions"] == {"contents": "read"}, f"{path.name}: top-level permissions must be read-only"
        for job_name, job in data["jobs"].items():
            assert "permissions" in job, f"{path.name}:{job_name} has no permissions block"
            perms = job["permissions"]
            assert perms != "write-all" and isinstance(perms, dict), f"{path.name}:{job_name}"
            uses = [str(s.get("uses", "")) for s in steps(job)]
            needs_oidc = any(u.startswith(("azure/login@", "pulumi/auth-actions@")) for u in uses)
            assert (perms.get("id-token") == "write") == needs_oidc, f"{path.name}:{job_name}: id-token only with OIDC"
            scripts = " ".join(str(s.get("with", {}).get("script", "")) for s in steps(job))
            if "createComment" in scripts:
                assert "write" in (perms.get("pull-requests"), perms.get("issues")), f"{path.name}:{job_name}"
            if "issues.create(" in scripts:
                assert perms.get("issues") == "write", f"{path.name}:{job_name}"
            writes = {k for k, v in perms.items() if v == "write"}
            assert writes <= {"id-token", "pull-requests", "issues"}, f"{path.name}:{job_name}: {writes}"


SECRET_PATTERNS = [
    re.compile(r"client-secret", re.I),
    re.compile(r"\bcreds\s*:", re.I),
    re.compile(r"PULUMI_ACCESS_TOKEN"),
    re.compile(r"AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET"),
    re.compile(r"-----BEGIN"),
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),  # no hard-coded ids
    re.compile(r"(password|token)\s*[:=]\s*['\"]?[A-Za-z0-9/+]{16,}", re.I),
]


def test_no_secret_or_credential_literal_in_any_workflow() -> None:
    for path in WORKFLOW_FILES:
        text = path.read_text()
        for pattern in SECRET_PATTERNS:
            assert not pattern.search(text), f"{path.name}: matches {pattern.pattern}"


def test_azure_login_is_oidc_with_ids_from_variables() -> None:
    logins = [
        (path.name, step)
        for path in WORKFLOW_FILES
        for job in load(path)["jobs"].values()
        for step in steps(job)
        if str(step.get("uses", "")).startswith("azure/login@")
    ]
    assert len(logins) >= 6  # plan, deploy, drift: an Azure and a Power Platform login each
    for name, step in logins:
        if step["if"] == "matrix.target == 'azure'":
            assert set(step["with"]) == {"client-id", "tenant-id", "subscription-id"}, name
        else:
            # Power Platform has no subscription: a tenant login, from which DefaultAzureCredential gets the
            # https://service.powerapps.com/.default token
            assert step["if"] == "matrix.target == 'powerplatform'", name
            assert set(step["with"]) == {"client-id", "tenant-id", "allow-no-subscriptions"}, name
            assert step["with"].pop("allow-no-subscriptions") is True, name
        for value in step["with"].values():
            assert value.startswith("${{ vars."), name


def test_every_job_that_runs_connectorops_against_a_target_logs_in_for_both_targets() -> None:
    for path in WORKFLOW_FILES:
        for job_name, job in load(path)["jobs"].items():
            conditions = [s.get("if") for s in steps(job) if str(s.get("uses", "")).startswith("azure/login@")]
            if conditions:
                assert conditions == ["matrix.target == 'azure'", "matrix.target == 'powerplatform'"], job_name
                assert "fromJSON(needs.environments.outputs.matrix)" in str(job["strategy"]["matrix"]), job_name


def test_untrusted_pull_request_text_never_reaches_a_shell() -> None:
    # Titles, bodies and branch names are attacker-controlled; they must go through env, not ${{ }} in run.
    risky = re.compile(r"\$\{\{\s*github\.event\.(pull_request\.(title|body|head\.ref)|issue|comment)")
    for path in WORKFLOW_FILES:
        for script in run_scripts(load(path)):
            assert not risky.search(script), path.name
            assert "${{" not in script, f"{path.name}: pass values to run scripts through env"


def test_matrix_helper_module_named_by_the_workflows_is_importable() -> None:
    import importlib

    modules = set()
    for path in WORKFLOW_FILES:
        for script in run_scripts(load(path)):
            modules.update(re.findall(r"python -m ([\w.]+)", script))
    assert "connectorops.ci.environments" in modules
    for module in modules:
        assert hasattr(importlib.import_module(module), "main"), module


def github_scripts() -> list[tuple[str, str]]:
    return [
        (f"{path.name}:{job_name}", str(step["with"]["script"]))
        for path in WORKFLOW_FILES
        for job_name, job in load(path)["jobs"].items()
        for step in steps(job)
        if str(step.get("uses", "")).startswith("actions/github-script@")
    ]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: cannot syntax-check github-script")
@pytest.mark.parametrize(("where", "script"), github_scripts(), ids=[w for w, _ in github_scripts()])
def test_github_script_bodies_are_valid_javascript(where: str, script: str, tmp_path: Path) -> None:
    # actions/github-script runs the body inside an async function with github, context, core, require.
    wrapped = tmp_path / "script.js"
    wrapped.write_text(f"async function run(github, context, core, require) {{\n{script}\n}}\n")
    done = subprocess.run(["node", "--check", str(wrapped)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{where}: {done.stderr}"


def test_the_javascript_check_catches_a_syntax_error(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    broken = tmp_path / "broken.js"
    broken.write_text("async function run() { const x = ; }\n")
    assert subprocess.run(["node", "--check", str(broken)], capture_output=True, check=False).returncode != 0
