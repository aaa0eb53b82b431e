"""`plan --at/--base/--head` and certification gating through the CLI on the local target."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from cli_runner import invoke
from engine_e2e_support import make_repo, openapi, write_connector

pytestmark = pytest.mark.integration


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def _commit(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo.head.commit.hexsha


def test_plan_at_a_revision_and_pull_request_marks_touched_connectors(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", "zulu")
    (root / ".gitignore").write_text(".connectorops/\n")
    repo = git.Repo.init(root)
    base = _commit(repo, "two connectors")
    assert cli(root, "apply", "--yes")[0] == 0
    write_connector(root, "zulu", doc=openapi(info={"title": "Zulu", "version": "2", "description": "Zulu v2."}))
    head = _commit(repo, "change zulu")

    code, out, _ = cli(root, "plan", "--json", "--base", base, "--head", head)
    data = json.loads(out)
    assert code == 2
    assert [(a["name"], a["kind"], a["touched"]) for a in data["actions"]] == [
        ("zulu", "update", True),
        ("alpha", "noop", False),
    ]
    assert data["commit"] == head and data["options"]["touched"] == ["zulu"]
    code, out, _ = cli(root, "plan", "--markdown", "--base", base, "--head", head)
    assert "changed in this PR" in out

    code, out, _ = cli(root, "plan", "--json", "--at", base)
    assert code == 0 and json.loads(out)["commit"] == base  # the deployed state is what base declares
    code, _, err = cli(root, "plan", "--at", "no-such-revision")
    assert code == 1 and "no-such-revision" in err


def test_mandatory_certification_finding_blocks_plan_and_apply(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "orders")
    (root / "policies").mkdir()
    (root / "policies" / "certification.yaml").write_text(
        "apiVersion: connectorops/v1\nkind: CertificationPolicy\nrules: {VisibilityMissing: mandatory}\n"
    )
    code, out, _ = cli(root, "plan")
    assert code == 1 and "[certification, mandatory] VisibilityMissing" in out
    code, out, _ = cli(root, "plan", "--json")
    mandatory = {f["ruleId"] for f in json.loads(out)["findings"] if f["enforcement"] == "mandatory"}
    assert code == 1 and mandatory == {"VisibilityMissing"}
    code, _, err = cli(root, "apply", "--yes")
    assert code == 1 and "nothing was applied" in err
