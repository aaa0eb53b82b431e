"""`connectorops init`: what a new team repository gets, that it never overwrites, and the reusable action."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cli_runner import invoke

from connectorops import __version__
from connectorops.ci.environments import ci_environments, read_project_config
from connectorops.commands.validate import validate_repository
from connectorops.scaffold.files import default_action, starter_files
from connectorops.spec.source import FileSystemTree

ROOT = Path(__file__).resolve().parents[2]
CORE_FILES = {
    "connectorops.yaml",
    ".gitignore",
    "connectors/tickets/connector.yaml",
    "connectors/tickets/openapi.yaml",
    "connectors/tickets/icon.png",
    "policies/sharing.yaml",
    "policies/certification.yaml",
    ".github/workflows/pr-plan.yml",
    ".github/workflows/deploy.yml",
    ".github/workflows/drift.yml",
    ".github/workflows/policy-review.yml",
}


def init(*args: str) -> tuple[int, str]:
    result = invoke(["init", *args])
    return result.exit_code, result.stderr


def test_init_writes_the_starter_repository_and_the_next_three_commands(tmp_path: Path) -> None:
    code, err = init(str(tmp_path / "team"))
    assert code == 0
    written = {p.relative_to(tmp_path / "team").as_posix() for p in (tmp_path / "team").rglob("*") if p.is_file()}
    assert written == CORE_FILES
    for path in CORE_FILES:
        assert f"wrote {path}" in err
    assert err.rstrip().endswith("connectorops validate\n  connectorops plan\n  connectorops apply --yes")
    report = validate_repository(FileSystemTree(tmp_path / "team"), tmp_path / "team", None)
    assert report.ok, [str(p) for p in report.all_problems()]
    assert [(c.name, c.source, c.operations) for c in report.connectors] == [("tickets", "openapi", 3)]


def test_init_with_pulumi_adds_the_program_and_pulumi_steps(tmp_path: Path) -> None:
    assert init(str(tmp_path / "p"), "--pulumi")[0] == 0
    assert init(str(tmp_path / "e"))[0] == 0
    project = yaml.safe_load((tmp_path / "p" / "Pulumi.yaml").read_text())
    assert project["main"] == "infra/" and project["name"] == "connectorops"
    program = (tmp_path / "p" / "infra" / "__main__.py").read_text()
    assert "connectorops.pulumi_stack.program import run" in program
    assert not (tmp_path / "e" / "Pulumi.yaml").exists() and not (tmp_path / "e" / "infra").exists()
    assert "pulumi/actions@v6" in (tmp_path / "p" / ".github/workflows/deploy.yml").read_text()
    engine_only = (tmp_path / "e" / ".github/workflows/deploy.yml").read_text()
    assert "pulumi/actions@v6" not in engine_only and "extras: pulumi" not in engine_only
    assert "connectorops apply" in engine_only


def test_init_never_overwrites_and_says_what_it_kept(tmp_path: Path) -> None:
    mine = "default: local\nenvironments: {local: {target: local}}\n# ours\n"
    (tmp_path / "connectorops.yaml").write_text(mine)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "sharing.yaml").write_text("# ours too\n")
    code, err = init(str(tmp_path))
    assert code == 0
    assert (tmp_path / "connectorops.yaml").read_text() == mine
    assert (tmp_path / "policies" / "sharing.yaml").read_text() == "# ours too\n"
    assert "kept  connectorops.yaml (exists; not overwritten)" in err
    assert "wrote connectors/tickets/connector.yaml" in err
    code, err = init(str(tmp_path))  # a second run writes nothing
    assert code == 0 and "nothing written" in err and "wrote" not in err


def test_init_refuses_a_file_as_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, err = init(str(tmp_path / "file"))
    assert code == 1 and "is not a directory" in err and "Traceback" not in err


def test_workflows_install_this_release_from_pypi_through_the_action_with_oidc() -> None:
    files = starter_files(version=__version__, action=default_action(__version__), pulumi=True)
    workflows = {p: v.decode() for p, v in files.items() if p.startswith(".github/workflows/")}
    assert len(workflows) == 4
    for path, text in workflows.items():
        assert ".ci/run" not in text and ".venv/bin" not in text and "pip install -e" not in text, path
        assert "@@" not in text, path
        document = yaml.safe_load(text)
        uses = [s for job in document["jobs"].values() for s in job["steps"] if "connectorops" in s.get("uses", "")]
        assert uses, path
        for step in uses:
            assert step["uses"] == f"connectorops/connectorops@v{__version__}"
            assert step["with"]["version"] == __version__
        for job in document["jobs"].values():
            if any("azure/login" in s.get("uses", "") for s in job["steps"]):
                assert job["permissions"]["id-token"] == "write", path  # OIDC, no stored secret
    commands = {
        s["with"].get("command")
        for text in workflows.values()
        for job in yaml.safe_load(text)["jobs"].values()
        for s in job["steps"]
        if "connectorops/" in s.get("uses", "")
    }
    assert {"plan", "apply --yes", "drift", "certify", "validate"} <= commands


def test_scaffolded_jobs_log_in_to_azure_or_power_platform_by_the_matrix_target() -> None:
    files = starter_files(version=__version__, action=default_action(__version__), pulumi=True)
    logins: dict[str, list[dict[str, object]]] = {}
    for path, content in files.items():
        if path.startswith(".github/workflows/"):
            for name, job in yaml.safe_load(content.decode())["jobs"].items():
                found = [s for s in job["steps"] if str(s.get("uses", "")).startswith("azure/login@")]
                if found:
                    logins[f"{path}:{name}"] = found
    assert sorted(logins) == [
        ".github/workflows/deploy.yml:deploy",
        ".github/workflows/drift.yml:drift",
        ".github/workflows/pr-plan.yml:plan",
    ]
    for where, (azure, powerplatform) in ((w, tuple(s)) for w, s in logins.items()):
        assert azure["if"] == "matrix.target == 'azure'" and "subscription-id" in azure["with"], where
        assert powerplatform["if"] == "matrix.target == 'powerplatform'", where
        assert powerplatform["with"] == {
            "client-id": "${{ vars.POWERPLATFORM_CLIENT_ID || vars.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "allow-no-subscriptions": True,
        }, where


def test_init_action_option_replaces_the_action_reference(tmp_path: Path) -> None:
    assert init(str(tmp_path), "--action", "contoso/connectorops-fork@abc123")[0] == 0
    text = (tmp_path / ".github/workflows/pr-plan.yml").read_text()
    assert "uses: contoso/connectorops-fork@abc123" in text


def test_the_powerplatform_environment_is_offered_commented_out_and_validates_uncommented(tmp_path: Path) -> None:
    assert init(str(tmp_path))[0] == 0
    text = (tmp_path / "connectorops.yaml").read_text()
    config = yaml.safe_load(text)
    assert set(config["environments"]) == {"local", "dev"}  # opt-in: no CI job for a tenant nobody filled in
    assert config["environments"]["dev"]["target"] == "azure"
    assert "#   target: powerplatform" in text and "NOT SUPPORTED" not in text
    uncommented = text.replace("  # makers:", "  makers:").replace("  #   ", "    ")
    (tmp_path / "connectorops.yaml").write_text(uncommented)
    report = validate_repository(FileSystemTree(tmp_path), tmp_path, "makers")
    assert report.ok, [str(p) for p in report.all_problems()]
    config = yaml.safe_load(uncommented)
    assert config["environments"]["makers"]["target"] == "powerplatform"
    matrix = ci_environments(read_project_config(tmp_path))
    assert [(e.name, e.target) for e in matrix] == [("dev", "azure"), ("makers", "powerplatform")]


def test_the_action_is_composite_and_keeps_inputs_out_of_shell_scripts() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["version"]["required"] is True
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env: a `${{ inputs.x }}` inside `run:` would be a shell injection.
            assert "${{" not in step["run"], step["name"]
    comment = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/github-script"))
    script = comment["with"]["script"]
    assert "updateComment" in script and "createComment" in script and "<!-- connectorops:" in script


@pytest.mark.parametrize("bad", ["0.1.0; rm -rf /", "latest && curl x"])
def test_the_action_refuses_a_version_that_is_not_a_release(bad: str, tmp_path: Path) -> None:
    # Run the install step's script the way the runner does, with a fake pip that must not be reached.
    import subprocess

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = next(s for s in action["runs"]["steps"] if s.get("name") == "Install connectorops")["run"]
    env = {"CONNECTOROPS_VERSION": bad, "CONNECTOROPS_EXTRAS": "", "RUNNER_TEMP": str(tmp_path)}
    env["PATH"] = "/usr/bin:/bin"
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "input version must be a release" in done.stdout
    assert not (tmp_path / "connectorops-venv").exists()
