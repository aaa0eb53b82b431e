"""Issue 12 item 6: what an ARM environment cannot carry is never dropped silently.

Real corpus paconn folders through the real CLI on a repository built in tmp: policy templates,
custom code and connectionParameterSets are refused on `target: local` / `target: azure` (exit 1,
file + line + JSON pointer + hint, nothing written, no request but connect's resource-group check);
stripped in connector.yaml they plan with a warning (text and JSON), and apply deploys a customApi
without them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from cli_runner import invoke

from connectorops.definitions.documents import parse_json
from connectorops.emulator.server import EmulatorServer

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
STATE_DIR = ".connectorops"
CONFIG = "default: local\nenvironments:\n  local: {target: local}\n"
PROPERTIES = "apiProperties.json"
HINT = "deploy it to a Power Platform environment (target: powerplatform in connectorops.yaml), or strip them"
# item -> (corpus folder with only that extra, JSON key in apiProperties.json or None: script.csx, strip settings)
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "policyTemplates": (
        "independent-publisher-connectors/Checkly",
        "policyTemplateInstances",
        {"strip": ["policyTemplates"]},
    ),
    "customCode": ("independent-publisher-connectors/Govee", "scriptOperations", {"strip": ["customCode"]}),
    "connectionParameterSets": (
        "certified-connectors/AvePoint Cloud Governance",
        "connectionParameterSets",
        {"strip": ["connectionParameterSets"], "connectionParameterSet": "basic"},
    ),
}
EXTRA_KEYS = ("policyTemplateInstances", "scriptOperations", "connectionParameterSets")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def connector_yaml(name: str, local: dict[str, Any] | None = None) -> str:
    document: dict[str, Any] = {
        "apiVersion": "connectorops/v1",
        "kind": "Connector",
        "metadata": {"name": name},
        "spec": {"definition": {"paconn": "paconn"}},
    }
    if local is not None:
        document["spec"]["environments"] = {"local": local}
    return json.dumps(document)  # JSON is YAML


def make_repo(root: Path, folders: dict[str, str], config: str = CONFIG) -> Path:
    (root / "connectorops.yaml").write_text(config)
    for name, folder in folders.items():
        shutil.copytree(CORPUS / folder, root / "connectors" / name / "paconn")
        (root / "connectors" / name / "connector.yaml").write_text(connector_yaml(name))
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = invoke(["--repo", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines


def deployed(root: Path) -> list[tuple[dict[str, Any], str]]:
    """(body, server-side swagger) of each customApi in the local emulator's state."""
    database = root / STATE_DIR / "emulator.db"
    if not database.exists():
        return []
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT key, body, extra FROM resources WHERE rtype = 'microsoft.web/customapis'")
        # the CLI writer lease is a customApi too; it is no connector
        return [(json.loads(b), extra or "") for key, b, extra in rows.fetchall() if "/connectorops-lease-" not in key]


def files_outside_state(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and STATE_DIR not in p.relative_to(root).parts
    }


def key_line(path: Path, key: str) -> int:
    """The line of `"key":` in the file, found independently of the loader."""
    lines = path.read_text("utf-8-sig").splitlines()
    return next(number for number, text in enumerate(lines, 1) if f'"{key}"' in text)


@pytest.mark.parametrize("item", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_extra_is_refused_on_arm_naming_file_line_key_and_hint(tmp_path: Path, item: str, command: str) -> None:
    folder, key, _ = CASES[item]
    root = make_repo(tmp_path, {"subject": folder})
    before = files_outside_state(root)
    code, out, err = run(root, command)
    text = flat(out + err)
    assert code == 1, text
    properties = f"connectors/subject/paconn/{PROPERTIES}"
    line = key_line(root / properties, key)
    assert f"{properties}:{line}: /properties/{key}" in text
    assert "cannot be deployed to environment 'local'" in text and HINT in text
    assert f"spec.environments.local.strip: [{item}] in connectors/subject/connector.yaml" in text
    if item == "customCode":
        assert "connectors/subject/paconn/script.csx" in text
    assert files_outside_state(root) == before
    assert deployed(root) == []


@pytest.mark.parametrize("item", sorted(CASES))
def test_stripped_extra_plans_with_a_warning_and_apply_deploys_without_it(tmp_path: Path, item: str) -> None:
    folder, key, strip = CASES[item]
    root = make_repo(tmp_path, {"subject": folder})
    (root / "connectors/subject/connector.yaml").write_text(connector_yaml("subject", strip))

    code, out, err = run(root, "plan")
    text = flat(out + err)
    assert code == 2, text
    assert "warning" in text and "not deployed to environment 'local' (target local), stripped" in text
    assert "spec.environments.local.strip" in text

    code, out, _ = run(root, "plan", "--json")
    assert code == 2
    warnings = [p for p in json.loads(out)["problems"] if p["code"] == "StrippedForTarget"]
    assert len(warnings) == 1 and warnings[0]["severity"] == "warning"
    assert warnings[0]["file"] == "connectors/subject/connector.yaml"
    assert warnings[0]["field"] == "spec.environments.local.strip"
    named = {"policyTemplates": "policy templates", "customCode": "custom code", "connectionParameterSets": key}
    assert named[item] in warnings[0]["message"]

    code, out, _ = run(root, "plan", "--markdown")
    assert code == 2 and "not deployed to environment 'local'" in flat(out)

    code, out, err = run(root, "apply", "--yes")
    assert code == 0, out + err
    [(body, swagger)] = deployed(root)
    stored = json.dumps(body) + swagger
    for extra_key in EXTRA_KEYS:
        assert extra_key not in stored
    source = parse_json((CORPUS / folder / PROPERTIES).read_bytes(), PROPERTIES, lenient=True)[0]["properties"]
    if item == "connectionParameterSets":  # the chosen set's parameters, not the top-level oauth `token`
        basic = next(s for s in source[key]["values"] if s["name"] == "basic")
        assert set(body["properties"]["connectionParameters"]) == set(basic["parameters"]) == {"username", "password"}
    assert run(root, "plan")[0] == 0  # deployed as planned: no changes


def test_parameter_sets_stripped_without_a_chosen_set_name_the_sets(tmp_path: Path) -> None:
    folder, _, _ = CASES["connectionParameterSets"]
    root = make_repo(tmp_path, {"subject": folder})
    yaml_path = root / "connectors/subject/connector.yaml"
    for local, said in (
        ({"strip": ["connectionParameterSets"]}, "is not given"),
        ({"strip": ["connectionParameterSets"], "connectionParameterSet": "ldap"}, "names 'ldap', which is not a set"),
    ):
        yaml_path.write_text(connector_yaml("subject", local))
        code, out, err = run(root, "plan")
        text = flat(out + err)
        assert code == 1, text
        assert "connectors/subject/connector.yaml: spec.environments.local.connectionParameterSet:" in text
        field = "spec.environments.local.connectionParameterSet"
        assert f"connectionParameterSets are stripped, but {field} {said}" in text
        assert "set spec.environments.local.connectionParameterSet to one of: oauth, basic" in text
        assert deployed(root) == []


def test_spec_strip_applies_to_every_environment_and_an_unused_item_is_a_warning(tmp_path: Path) -> None:
    folder, _, _ = CASES["policyTemplates"]
    root = make_repo(tmp_path, {"subject": folder})
    document = json.loads(connector_yaml("subject"))
    document["spec"]["strip"] = ["policyTemplates", "customCode"]
    (root / "connectors/subject/connector.yaml").write_text(json.dumps(document))
    code, out, _ = run(root, "validate", "--json")
    problems = json.loads(out)["connectors"][0]["problems"]
    assert code == 0
    assert {(p["code"], p["field"]) for p in problems} >= {
        ("StrippedForTarget", "spec.strip"),
        ("StripUnused", "spec.strip"),
    }


def test_azure_environment_refuses_before_any_request_but_the_resource_group_check(
    tmp_path: Path, make_emulator: Callable[..., EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_emulator()
    info = server.info
    assert info is not None
    server.ensure_resource_group(info.subscription_id, "rg-dev", "westeurope")
    config = (
        "default: dev\nenvironments:\n  dev:\n    target: azure\n"
        f"    subscriptionId: {info.subscription_id}\n    resourceGroup: rg-dev\n    location: westeurope\n"
        f"    armEndpoint: {info.base_url}\n    caBundle: {info.ca_path}\n    credential: token-env\n"
    )
    root = make_repo(tmp_path, {"subject": CASES["customCode"][0]}, config=config)
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    for command in (("plan",), ("apply", "--yes")):
        code, out, err = run(root, *command)
        text = flat(out + err)
        assert code == 1, text
        assert "cannot be deployed to environment 'dev': target azure" in text
    counts = requests.get(
        f"{info.base_url}/_emulator/requests",
        headers={"Authorization": f"Bearer {info.token}"},
        verify=info.ca_path,
        timeout=10,
    ).json()
    # connect's check that the resource group exists (one GET per command), nothing else: no list, no write
    assert counts["byVerbAndType"] == {"GET Microsoft.Resources/resourceGroups": 2}


def corpus_folders() -> list[str]:
    return sorted(f"{g.name}/{f.name}" for g in CORPUS.iterdir() if g.is_dir() for f in g.iterdir() if f.is_dir())


def extras_in_source(folder: str) -> set[str]:
    """What the raw files hold, read without the loader: non-empty extra keys, or a script.csx."""
    path = CORPUS / folder / PROPERTIES
    found: set[str] = set()
    if path.exists():
        properties = parse_json(path.read_bytes(), PROPERTIES, lenient=True)[0].get("properties") or {}
        found |= {k for k in ("policyTemplateInstances", "connectionParameterSets") if properties.get(k)}
        if properties.get("scriptOperations"):
            found.add("scriptOperations")
    if (CORPUS / folder / "script.csx").exists():
        found.add("script.csx")
    return found


def test_every_corpus_folder_with_an_extra_is_refused_on_arm(tmp_path: Path) -> None:
    folders = {f"c{i:02d}": folder for i, folder in enumerate(corpus_folders())}
    root = make_repo(tmp_path, folders)
    code, out, _ = run(root, "validate", "--json")
    report = {c["name"]: c for c in json.loads(out)["connectors"]}
    with_extras = {name for name, folder in folders.items() if extras_in_source(folder)}
    assert code == 1 and len(with_extras) >= 20
    for name, folder in folders.items():
        problems = report[name]["problems"]
        refusals = [p for p in problems if p["code"] == "TargetCannotCarry"]
        if name not in with_extras:
            assert refusals == [], folder
            continue
        resolved = report[name]["operations"] is not None
        if not resolved:  # shipped broken (invalid JSON, iObeya's unknown operationId): refused for that, with its line
            assert any(p["severity"] == "error" and p["line"] for p in problems), folder
            continue
        expected = extras_in_source(folder)
        files = {p["file"].rsplit("/", 1)[-1] + (p["field"] or "") for p in refusals}
        for key in ("policyTemplateInstances", "connectionParameterSets", "scriptOperations"):
            assert (f"{PROPERTIES}/properties/{key}" in files) == (key in expected), (folder, files)
        if "script.csx" in expected and "scriptOperations" not in expected:
            assert "script.csx" in files, folder
        assert all(p["severity"] == "error" and HINT in p["hint"] for p in refusals)
    code, _, err = run(root, "plan")
    assert code == 1 and "cannot be deployed" in flat(err)
    assert deployed(root) == []


def test_new_connector_from_a_paconn_folder_with_extras_needs_strip(tmp_path: Path) -> None:
    (tmp_path / "connectorops.yaml").write_text(CONFIG)
    source = str(CORPUS / CASES["connectionParameterSets"][0])
    code, _, err = run(tmp_path, "new", "connector", "ave", "--from", source)
    assert code == 1 and "pass --strip connectionParameterSets --connection-parameter-set NAME" in flat(err)
    assert not (tmp_path / "connectors").exists() or not any((tmp_path / "connectors").iterdir())
    code, _, err = run(tmp_path, "new", "connector", "ave", "--from", source, "--strip", "connectionParameterSets")
    hint = "pass --connection-parameter-set NAME (set spec.connectionParameterSet to one of: oauth, basic)"
    assert code == 1 and hint in flat(err)
    args = ("--strip", "connectionParameterSets", "--connection-parameter-set", "basic")
    code, _, err = run(tmp_path, "new", "connector", "ave", "--from", source, *args)
    assert code == 0, err
    code, out, _ = run(tmp_path, "validate", "--json")
    [connector] = json.loads(out)["connectors"]
    assert code == 0 and [p["code"] for p in connector["problems"]] == ["StrippedForTarget"]
