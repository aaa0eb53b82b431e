"""Issue 12 bad input through the real CLI: a real paconn folder (Blackbaud: policy templates, script.csx,
scriptOperations), copied to tmp and broken one way at a time.

`validate` and `plan` both refuse it with exit 1, naming apiProperties.json or script.csx, the line and what
to do; nothing is written. The connector strips its extras for the ARM `local` environment, so the
unbroken copy validates: what is refused is the definition itself, on any target.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import invoke

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
SUBJECT = CORPUS / "certified-connectors/Blackbaud Raiser's Edge NXT Constituents"
PROPERTIES = "connectors/bb/paconn/apiProperties.json"
SCRIPT = "connectors/bb/paconn/script.csx"
CONFIG = """default: local
environments:
  local: {target: local}
  makers-local: {target: local, platform: powerplatform}
"""
CONNECTOR = {
    "apiVersion": "connectorops/v1",
    "kind": "Connector",
    "metadata": {"name": "bb"},
    "spec": {"definition": {"paconn": "paconn"}, "strip": ["policyTemplates", "customCode"]},
}

pytestmark = pytest.mark.skipif(not SUBJECT.is_dir(), reason="shared corpus not available")


def make_repo(root: Path) -> Path:
    (root / "connectorops.yaml").write_text(CONFIG)
    shutil.copytree(SUBJECT, root / "connectors/bb/paconn")
    (root / "connectors/bb/connector.yaml").write_text(json.dumps(CONNECTOR))
    return root


def replace_in(root: Path, relative: str, old: str, new: str) -> int:
    """Replace the one occurrence of `old`; returns its 1-based line."""
    path = root / relative
    text = path.read_text("utf-8-sig")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def run(root: Path, *args: str) -> tuple[int, str]:
    result = invoke(["--repo", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file but the local target's state (plan starts the embedded emulator, which keeps its CA there)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".connectorops" not in p.relative_to(root).parts
    }


def deployed(root: Path) -> list[str]:
    """Connectors in the emulator's state: ARM customApis and Power Platform apis."""
    database = root / ".connectorops/emulator.db"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        # the local target creates its resource group on connect; no connector may be there
        rows = connection.execute("SELECT key, rtype FROM resources")
        return [
            key
            for key, rtype in rows
            if rtype == "microsoft.web/customapis" or "/apis/" in key.lower() or key.startswith("/pp/blobs")
        ]


@pytest.mark.parametrize("environment", ["local", "makers-local"])
def test_the_unbroken_copy_validates_and_applies(tmp_path: Path, environment: str) -> None:
    root = make_repo(tmp_path)
    code, text = run(root, "validate", "-e", environment)
    assert code == 0, text
    code, text = run(root, "apply", "--yes", "-e", environment)
    assert code == 0, text
    assert deployed(root)  # what the refusals below must not leave behind


def unknown_template_operation(root: Path) -> tuple[str, list[str]]:
    line = replace_in(root, PROPERTIES, '"CreateOrganizationConstituent"', '"CreateOrganisationConstituent"')
    return f"{PROPERTIES}:{line}: /properties/policyTemplateInstances/1/parameters/x-ms-apimTemplate-operationName/1", [
        "policy template 1 'Create constituent endpoint routing' (routerequesttoendpoint) names operationId "
        "'CreateOrganisationConstituent'",
        "did you mean 'CreateOrganizationConstituent'",
        "fix or remove 'CreateOrganisationConstituent' in that list",
    ]


def unknown_template_id(root: Path) -> tuple[str, list[str]]:
    old = '"templateId": "setheader"'
    line = replace_in(root, PROPERTIES, old, '"templateId": "setheaders"')
    return f"{PROPERTIES}:{line}: /properties/policyTemplateInstances/0/templateId", [
        "policy template 0 'SKY API Subscription Key' has templateId 'setheaders'",
        "did you mean 'setheader'",
        "use one of: convertarraytoobject, convertobjecttoarray, dynamichosturl",
    ]


def unknown_script_operation(root: Path) -> tuple[str, list[str]]:
    line = replace_in(root, PROPERTIES, '"ListConstituentCustomFields"', '"ListConstituentCustomField"')
    return f"{PROPERTIES}:{line}: /properties/scriptOperations/0", [
        "scriptOperations names operationId 'ListConstituentCustomField'",
        "did you mean 'ListConstituentCustomFields'",
    ]


def script_too_large(root: Path) -> tuple[str, list[str]]:
    path = root / SCRIPT
    path.write_bytes(path.read_bytes() + b"//" + b"x" * 1_048_576 + b"\n")
    size = path.stat().st_size
    return f"{SCRIPT}:", [f"script.csx is {size:,} bytes, over the 1 MB limit for custom code (1,048,576 bytes)"]


BREAKERS: dict[str, Callable[[Path], tuple[str, list[str]]]] = {
    "template names an unknown operationId": unknown_template_operation,
    "unknown templateId": unknown_template_id,
    "scriptOperations names an unknown operationId": unknown_script_operation,
    "script.csx over 1 MB": script_too_large,
}


@pytest.mark.parametrize("environment", ["local", "makers-local"])  # ARM, and the Power Platform surface
@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("case", sorted(BREAKERS))
def test_broken_reference_is_refused_naming_file_line_and_fix(
    tmp_path: Path, case: str, command: str, environment: str
) -> None:
    root = make_repo(tmp_path)
    where, says = BREAKERS[case](root)
    before = snapshot(root)
    code, text = run(root, command, "-e", environment)
    assert code == 1, text
    assert where in text, text
    for words in says:
        assert words in text, (words, text)
    assert "Traceback" not in text
    assert snapshot(root) == before  # no cache entry, no file touched
    assert deployed(root) == []


def test_validate_json_reports_every_broken_reference_at_once(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    for breaker in (unknown_template_operation, unknown_template_id, unknown_script_operation):
        breaker(root)
    code, out = run(root, "validate", "--json")
    [connector] = json.loads(out)["connectors"]
    errors = [(p["code"], p["field"]) for p in connector["problems"] if p["severity"] == "error"]
    assert code == 1
    assert errors == [
        ("UnknownPolicyTemplate", "/properties/policyTemplateInstances/0/templateId"),
        ("UnknownOperationId", "/properties/policyTemplateInstances/1/parameters/x-ms-apimTemplate-operationName/1"),
        ("UnknownOperationId", "/properties/scriptOperations/0"),
    ]
