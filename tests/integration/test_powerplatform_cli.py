"""`connectorops plan | apply | drift` on Power Platform environments, through the CLI.

Real paconn folders of the shared corpus (policy templates, script.csx, connectionParameterSets) on
`{target: local, platform: powerplatform}` (the embedded emulator's Power Platform surface), inspected afterwards
by opening the emulator on the same state file; and `target: powerplatform` against a running emulator, where
the requests it answered can be counted.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from cli_runner import invoke
from emulator_support import MakeEmulator
from paconn_corpus import raw_properties
from powerplatform_support import CORPUS, PowerPlatformHttp, openapi

from connectorops.emulator.routes.custom_apis import write_only_digest
from connectorops.emulator.server import EmulatorInfo, EmulatorServer
from connectorops.targets.powerplatform import PowerPlatformClient, PowerPlatformLocation, PowerPlatformTarget
from connectorops.targets.transport.credentials import StaticTokenCredential

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available"),
]

BLACKBAUD = "certified-connectors/Blackbaud Raiser's Edge NXT Constituents"  # script.csx + policy templates
SETS = "certified-connectors/3E Events"  # connectionParameterSets + policy templates
GOVEE = "independent-publisher-connectors/Govee"  # script.csx + scriptOperations
FOLDERS = {"blackbaud": BLACKBAUD, "threee": SETS, "govee": GOVEE}
LOCAL_CONFIG = "default: makers\nenvironments:\n  makers: {target: local, platform: powerplatform}\n"


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = invoke(["--repo", str(root), *args])
    return result.exit_code, result.stdout + result.stderr


def add_paconn(root: Path, name: str, folder: str) -> None:
    target = root / "connectors" / name
    shutil.copytree(CORPUS / folder, target / "paconn")
    (target / "connector.yaml").write_text(
        f"apiVersion: connectorops/v1\nkind: Connector\nmetadata: {{name: {name}}}\n"
        "spec:\n  definition: {paconn: paconn}\n  lifecycle: {deletion: allow-connection-loss}\n"
    )


def make_repo(tmp_path: Path, config: str, folders: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "connectorops.yaml").write_text(config)
    for name, folder in folders.items():
        add_paconn(root, name, folder)
    return root


@contextmanager
def local_state(root: Path) -> Iterator[tuple[EmulatorServer, PowerPlatformHttp]]:
    """The emulator on the repository's state file, as the CLI left it (to look, or to act as a maker)."""
    server = EmulatorServer(root / ".connectorops" / "emulator.db")
    info = server.start()
    http = PowerPlatformHttp(info)
    try:
        yield server, http
    finally:
        http.close()
        server.stop()


def apis_by_name(http: PowerPlatformHttp) -> dict[str, dict[str, Any]]:
    """Connector name (from our record) -> the service's item with its stored definition."""
    listed = http.session.get(http.powerapps("apis"), params=http.query(**{"$expand": "properties.swagger"}))
    assert listed.status_code == 200, listed.text
    return {item["properties"]["swagger"]["x-connectorops"]["name"]: item for item in listed.json()["value"]}


def test_paconn_folders_plan_apply_no_changes_drift_fix_and_delete(tmp_path: Path) -> None:
    root = make_repo(tmp_path, LOCAL_CONFIG, FOLDERS)
    code, out = cli(root, "plan")
    assert code == 2 and "Plan: 3 create." in out, out
    code, out = cli(root, "apply", "--yes")
    assert code == 0 and "Apply complete: 3 action(s) done." in out, out
    code, out = cli(root, "plan")
    assert code == 0 and "Plan: no changes." in out, out
    code, out = cli(root, "drift", "--json")
    assert code == 0 and json.loads(out)["summary"]["drift"] == 0, out

    # A changed script.csx is an update naming the file, uploaded and then in sync.
    script = root / "connectors" / "govee" / "paconn" / "script.csx"
    script.write_bytes(script.read_bytes() + b"\n// v2\n")
    code, out = cli(root, "plan")
    assert code == 2 and "Plan: 1 update." in out and "files['script.csx']" in out, out
    assert cli(root, "apply", "--yes")[0] == 0
    assert cli(root, "plan")[0] == 0
    with local_state(root) as (_, http):
        item = apis_by_name(http)["govee"]
        url = item["properties"]["scriptDefinitionUrl"]
        assert http.session.get(url).content == script.read_bytes()

        # A maker removes the policy templates in the portal: drift, and --fix puts them back.
        blackbaud = apis_by_name(http)["blackbaud"]
        patched = dict(blackbaud["properties"], policyTemplateInstances=[])
        patched["openApiDefinition"] = patched.pop("swagger")
        body = {k: v for k, v in patched.items() if k not in ("environment", "isCustomApi", "apiDefinitions",
                                                              "createdTime", "changedTime", "publisher")}  # fmt: skip
        answer = http.session.patch(
            http.powerapps(f"apis/{blackbaud['name']}"), params=http.query(), json={"properties": body}
        )
        assert answer.status_code == 200, answer.text
    code, out = cli(root, "drift")
    assert code == 2 and "policyTemplateInstances" in out, out
    assert cli(root, "drift", "--fix")[0] == 0
    assert cli(root, "drift")[0] == 0
    with local_state(root) as (_, http):
        restored = apis_by_name(http)["blackbaud"]["properties"]["policyTemplateInstances"]
        assert restored == raw_properties(BLACKBAUD)["policyTemplateInstances"]

    # Removed from git: deleted (its lifecycle allows connection loss), the others stay.
    shutil.rmtree(root / "connectors" / "govee")
    code, out = cli(root, "plan")
    assert code == 2 and "Plan: 1 delete." in out, out
    assert cli(root, "apply", "--yes")[0] == 0
    assert cli(root, "plan")[0] == 0
    with local_state(root) as (_, http):
        assert sorted(apis_by_name(http)) == ["blackbaud", "threee"]


def test_a_get_returns_policy_templates_script_operations_and_parameter_sets_exactly_as_given(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path, LOCAL_CONFIG, FOLDERS)
    assert cli(root, "apply", "--yes")[0] == 0
    with local_state(root) as (_, http):
        deployed = apis_by_name(http)
        for name, folder in FOLDERS.items():
            item = deployed[name]
            got = http.get_api(item["name"], **{"$expand": "properties.swagger"}).json()["properties"]
            raw = raw_properties(folder)
            assert got.get("policyTemplateInstances", []) == raw.get("policyTemplateInstances", []), name
            assert got.get("scriptOperations") == raw.get("scriptOperations"), name
            if "connectionParameterSets" in raw:
                # as given; only the "[[DUMMY]]" clientSecret placeholders are not sent (secrets are never read)
                assert _without_dummy_secrets(raw["connectionParameterSets"]) == got["connectionParameterSets"]
            script = CORPUS / folder / "script.csx"
            if script.exists():
                assert http.session.get(got["scriptDefinitionUrl"]).content == script.read_bytes(), name
            swagger = json.loads((CORPUS / folder / "apiDefinition.swagger.json").read_text("utf-8-sig"))
            record = got["swagger"].pop("x-connectorops")
            assert record["name"] == name and record["managedBy"] == "connectorops"
            assert got["swagger"]["paths"].keys() == swagger["paths"].keys()
            assert got["displayName"] == swagger["info"]["title"]


def _without_dummy_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_dummy_secrets(v) for k, v in value.items() if k != "clientSecret"}
    if isinstance(value, list):
        return [_without_dummy_secrets(v) for v in value]
    return value


def _remote_config(info: EmulatorInfo, environment_id: str | None = None) -> str:
    return (
        "default: makers\nenvironments:\n  makers:\n    target: powerplatform\n"
        f"    environmentId: {environment_id or info.environment_id}\n"
        f"    apiEndpoint: {info.powerapps_url}\n    flowEndpoint: {info.flow_url}\n"
        f"    caBundle: {info.ca_path}\n    credential: token-env\n"
    )


def _counts(info: EmulatorInfo, reset: bool = False) -> dict[str, int]:
    url = f"{info.base_url}/_emulator/requests"
    headers = {"Authorization": f"Bearer {info.token}"}
    if reset:
        assert requests.delete(url, headers=headers, verify=info.ca_path, timeout=10).status_code == 204
        return {}
    counts: dict[str, int] = requests.get(url, headers=headers, verify=info.ca_path, timeout=10).json()["byVerbAndType"]
    return counts


def test_an_unknown_environment_id_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, make_emulator: MakeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_emulator()
    info = server.info
    assert info is not None
    missing = "0badc0de-0000-4000-8000-000000000000"
    root = make_repo(tmp_path, _remote_config(info, missing), {"govee": GOVEE})
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", info.token)
    for command in (("plan",), ("apply", "--yes"), ("drift",)):
        code, out = cli(root, *command)
        assert code == 1, out
        assert "Traceback" not in out
        assert f"Power Platform environment '{missing}' does not exist" in out
        assert "connectorops.yaml" in out and "environments.makers.environmentId" in out
    assert all(key.startswith("GET ") for key in _counts(info)), _counts(info)


def _served_repo(tmp_path: Path, server: EmulatorServer, count: int) -> tuple[Path, EmulatorInfo]:
    """tmp_path/repo with `count` OpenAPI connectors for the served emulator's Power Platform environment."""
    info = server.info
    assert info is not None
    root = tmp_path / "repo"
    root.mkdir()
    (root / "connectorops.yaml").write_text(_remote_config(info))
    _openapi_repo(root, count)
    return root, info


def _openapi_repo(root: Path, count: int) -> None:
    for n in range(count):
        folder = root / "connectors" / f"c{n:03d}"
        folder.mkdir(parents=True)
        swagger = {
            "swagger": "2.0",
            "info": {"title": f"Connector {n}", "version": "1.0", "description": f"Connector number {n}."},
            "host": f"c{n}.contoso.com",
            "schemes": ["https"],
            "paths": {"/items": {"get": {"operationId": "ListItems", "summary": "List items",
                                         "responses": {"200": {"description": "The items."}}}}},
        }  # fmt: skip
        (folder / "openapi.json").write_text(json.dumps(swagger))
        (folder / "connector.yaml").write_text(
            f"apiVersion: connectorops/v1\nkind: Connector\nmetadata: {{name: c{n:03d}}}\n"
            "spec:\n  definition: {openapi: openapi.json}\n"
        )


@pytest.mark.parametrize("count", [30, 300])
def test_a_no_op_plan_makes_a_constant_number_of_list_requests(
    count: int, tmp_path: Path, make_emulator: MakeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one page either way: paging aside
    root, info = _served_repo(tmp_path, make_emulator(pp_page_size=1000), count)
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", info.token)
    code, out = cli(root, "apply", "--yes")
    assert code == 0 and f"Apply complete: {count} action(s) done." in out, out[-2000:]
    _counts(info, reset=True)
    code, out = cli(root, "plan")
    assert code == 0 and "Plan: no changes." in out, out[-2000:]
    # One list per collection, whatever the number of connectors: apis (with permissions and definitions),
    # the environment's connections, its flows. No request per connector.
    assert _counts(info) == {
        "GET Microsoft.PowerApps/apis": 1,
        "GET Microsoft.PowerApps/connections": 1,
        "GET Microsoft.ProcessSimple/flows": 1,
    }


def test_icon_and_script_are_uploaded_only_when_their_content_changed(
    tmp_path: Path, make_emulator: MakeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_emulator()
    info = server.info
    assert info is not None
    root = make_repo(tmp_path, _remote_config(info), {"govee": GOVEE})
    icon = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    (root / "connectors" / "govee" / "icon.png").write_bytes(icon)
    yaml_file = root / "connectors" / "govee" / "connector.yaml"
    yaml_file.write_text(yaml_file.read_text() + "  icon: icon.png\n")
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", info.token)
    _counts(info, reset=True)
    assert cli(root, "apply", "--yes")[0] == 0
    assert _counts(info).get("PUT blobs") == 2  # icon.png and script.csx
    # A description change re-sends the body, not the files.
    yaml_file.write_text(yaml_file.read_text() + "  description: Lights, now described.\n")
    _counts(info, reset=True)
    code, out = cli(root, "apply", "--yes")
    assert code == 0 and "updated" in out, out
    assert "PUT blobs" not in _counts(info) and _counts(info).get("PATCH Microsoft.PowerApps/apis") == 1
    # A new script: that one file only.
    script = root / "connectors" / "govee" / "paconn" / "script.csx"
    script.write_bytes(script.read_bytes() + b"\n// v2\n")
    _counts(info, reset=True)
    assert cli(root, "apply", "--yes")[0] == 0
    assert _counts(info).get("PUT blobs") == 1
    assert cli(root, "plan")[0] == 0
    http = PowerPlatformHttp(info)
    (item,) = apis_by_name(http).values()
    assert http.session.get(item["properties"]["scriptDefinitionUrl"]).content == script.read_bytes()
    assert http.session.get(item["properties"]["iconUri"]).content == icon
    http.close()


SECRET_VAR = "PP_TEST_ORDERS_SECRET"
SECRET_VALUE = "pp-Secret-Value-5a4b3c2d"


def test_the_client_secret_reaches_the_service_at_write_time_only(
    tmp_path: Path, make_emulator: MakeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_emulator()
    root, info = _served_repo(tmp_path, server, 1)
    yaml_file = root / "connectors" / "c000" / "connector.yaml"
    yaml_file.write_text(
        yaml_file.read_text()
        + "  auth:\n    type: oauth2\n    identityProvider: aad\n    clientId: app-1\n"
        + f"    resourceUri: api://orders\n    clientSecret: {{env: {SECRET_VAR}}}\n"
    )
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", info.token)
    monkeypatch.setenv(SECRET_VAR, SECRET_VALUE)
    outputs = [cli(root, "plan", "--json")[1], cli(root, "plan", "--markdown")[1]]
    code, out = cli(root, "apply", "--yes", "--json")
    assert code == 0, out
    outputs += [out, cli(root, "drift", "--json")[1]]
    assert not [o for o in outputs if SECRET_VALUE in o]
    (row,) = server.store.list_all("pp/apis")
    key = "connectionParameters.token"
    assert row.extra["writeOnlyDigests"] == {key: write_only_digest(server.context, row.key, key, SECRET_VALUE)}
    assert SECRET_VALUE not in json.dumps(row.body) and SECRET_VALUE not in json.dumps(row.extra["swagger"])
    assert cli(root, "plan")[0] == 0


def test_with_parameter_sets_the_secret_goes_into_each_set_as_paconn_sends_it(make_emulator: MakeEmulator) -> None:
    server = make_emulator()
    info = server.info
    assert info is not None
    location = PowerPlatformLocation(
        info.environment_id, info.powerapps_url, info.flow_url, StaticTokenCredential(info.token),
        ca_bundle=info.ca_path,
    )  # fmt: skip
    oauth = {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "oauth2generic", "clientId": "app"}}
    sets = {
        "values": [{"name": "one", "parameters": {"token": oauth}}, {"name": "two", "parameters": {"token": oauth}}]
    }
    body = {
        "properties": {
            "openApiDefinition": {**openapi(), "x-connectorops": {}},
            "displayName": "Orders",
            "connectionParameterSets": sets,
            # what apply's inject_secrets writes for a {env: ...} reference (pointer /token/oAuthSettings/clientSecret)
            "connectionParameters": {"token": {"oAuthSettings": {"clientSecret": SECRET_VALUE}}},
        },
        "tags": {"managed-by": "connectorops"},
    }
    with PowerPlatformClient(location) as client:
        PowerPlatformTarget(client).create_connector("orders", body)
    (row,) = server.store.list_all("pp/apis")
    keys = [f"connectionParameterSets.values[{i}].parameters.token" for i in (0, 1)]
    assert row.extra["writeOnlyDigests"] == {
        k: write_only_digest(server.context, row.key, k, SECRET_VALUE) for k in keys
    }
    assert "connectionParameters" not in row.body["properties"]


def test_a_bad_environment_id_in_connectorops_yaml_is_named_with_its_line(tmp_path: Path) -> None:
    config = "default: makers\nenvironments:\n  makers:\n    target: powerplatform\n    environmentId: my-env\n"
    root = make_repo(tmp_path, config, {"govee": GOVEE})
    for command in (("validate",), ("plan",), ("apply", "--yes")):
        code, out = cli(root, *command)
        assert code == 1 and "Traceback" not in out, out
        assert "connectorops.yaml:5" in out and "Power Platform environment id" in out, out
    assert not (root / ".connectorops").exists()


def test_validate_lets_a_power_platform_environment_carry_what_arm_cannot(tmp_path: Path) -> None:
    config = LOCAL_CONFIG + "  logic: {target: local}\n"
    root = make_repo(tmp_path, config, {"blackbaud": BLACKBAUD})
    code, out = cli(root, "validate", "-e", "makers")
    assert code == 0 and "TargetCannotCarry" not in out and "cannot be deployed" not in out, out
    code, out = cli(root, "validate", "-e", "logic")
    assert code == 1 and "cannot be deployed to environment 'logic'" in out, out


def test_deleting_a_connector_with_a_connection_is_blocked_naming_it(
    tmp_path: Path, make_emulator: MakeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, info = _served_repo(tmp_path, make_emulator(), 2)
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", info.token)
    assert cli(root, "apply", "--yes")[0] == 0
    http = PowerPlatformHttp(info)
    api_name = apis_by_name(http)["c001"]["name"]
    made = http.session.put(
        http.powerapps(f"apis/{api_name}/connections/makers-conn"),
        params=http.query(),
        json={"properties": {"displayName": "A maker's connection"}},
    )
    assert made.status_code in (200, 201), made.text
    http.close()
    shutil.rmtree(root / "connectors" / "c001")
    code, out = cli(root, "plan")
    assert code == 1 and "makers-conn" in out and "BLOCKED" in out, out
    code, out = cli(root, "apply", "--yes")
    assert code == 1, out
    http = PowerPlatformHttp(info)
    assert sorted(apis_by_name(http)) == ["c000", "c001"]  # nothing deleted
    http.close()
    code, out = cli(root, "apply", "--yes", "--allow-connection-loss", "c001")
    assert code == 0 and "deleted" in out, out
    http = PowerPlatformHttp(info)
    assert sorted(apis_by_name(http)) == ["c000"]
    http.close()


def test_a_saved_plan_applies_exactly_and_a_stale_one_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path, LOCAL_CONFIG, {"govee": GOVEE})
    plan_file, stale = tmp_path / "plan.json", tmp_path / "stale.json"
    assert cli(root, "plan", "--out", str(plan_file))[0] == 2
    code, out = cli(root, "apply", "--plan", str(plan_file), "--yes")
    assert code == 0 and "created" in out, out
    script = root / "connectors" / "govee" / "paconn" / "script.csx"
    script.write_bytes(script.read_bytes() + b"\n// v2\n")
    assert cli(root, "plan", "--out", str(plan_file))[0] == 2
    stale.write_text(plan_file.read_text())
    assert json.loads(plan_file.read_text())["target"]["kind"] == "powerplatform"
    assert cli(root, "apply", "--plan", str(plan_file), "--yes")[0] == 0
    code, out = cli(root, "apply", "--plan", str(stale), "--yes")
    assert code == 1 and "stale" in out, out
