"""The remembered desired state (engine/desired_memo.py) never changes a plan, through the real CLI.

Each test plans once (the memo is written), changes ONE input, plans again, and checks that the second plan
shows the change and equals the plan made with the memo folder deleted. Unchanged inputs must hit the memo
(the import probe of test_lazy_imports proves that in a fresh process); the target's identity, the safety
guards and the secrets are checked with the memo warm.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_e2e_support import OPENAPI, commit_all, connect_logic_app, make_repo, remove_connector, write_connector
from gitops_support import config_text
from powerplatform_support import CORPUS, PowerPlatformHttp

from connectorops.cli import main
from connectorops.emulator.server import EmulatorInfo, EmulatorServer
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm.connect import open_gateway

pytestmark = pytest.mark.integration

MEMO = Path(".connectorops") / "cache" / "desired"
GOVEE = "independent-publisher-connectors/Govee"  # script.csx + scriptOperations
MODELS = {"Order": {"type": "object", "properties": {"id": {"type": "string"}}}}


def new_repo(tmp_path: Path, *names: str) -> Path:
    (tmp_path / "repo").mkdir()
    return make_repo(tmp_path / "repo", *names)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    """`connectorops --repo ROOT ARGS` in this process, as its entry point runs it: (exit code, stdout, stderr)."""
    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = ["connectorops", "--repo", str(root), *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exiting:
        code = exiting.code if isinstance(exiting.code, int) else int(exiting.code is not None)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def plan(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """`plan --json`: the exit code and the plan without its clock."""
    code, out, err = cli(root, "plan", "--json", *args)
    assert out.strip(), err  # a plan, not an error before planning
    data = json.loads(out)
    data.pop("createdAt")
    data.pop("fingerprint")  # of the plan's content, which is compared itself
    # the local Power Platform surface's endpoint is the embedded emulator's port, new in every run
    if str(data["target"].get("apiEndpoint", "")).startswith("https://127.0.0.1:"):
        data["target"].pop("apiEndpoint")
    return code, data


def entries(root: Path) -> dict[str, str]:
    """The memo's entries (their values): file name -> content."""
    folder = root / MEMO / "values"
    return {p.name: p.read_text() for p in folder.glob("*.json")} if folder.is_dir() else {}


def warm(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Plan twice (the second from the memo) and check that an entry is there: the memo is warm."""
    first = plan(root, *args)
    assert entries(root), "the first plan remembered nothing"
    assert plan(root, *args) == first
    return first


def replanned(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Plan with the memo as it is, then with the memo folder deleted: both must be the same plan."""
    remembered = plan(root, *args)
    shutil.rmtree(root / MEMO, ignore_errors=True)
    assert plan(root, *args) == remembered
    return remembered


PLANTED = "test.planted"


def plant(root: Path) -> None:
    """Add a problem to the one remembered desired state: a plan that shows it was made from the memo."""
    (path,) = (root / MEMO / "values").glob("*.json")
    entry = json.loads(path.read_text())
    problem = {"severity": "info", "code": PLANTED, "message": "planted by the test"}
    entry["value"]["value"]["desired"]["problems"].append(problem)
    path.write_text(json.dumps(entry))


def codes(data: dict[str, Any]) -> list[str]:
    return [p["code"] for p in data["problems"]]


def without_planted(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "problems": [p for p in data["problems"] if p["code"] != PLANTED]}


def actions(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{a['resourceType']}:{a['name']}": a for a in data["actions"]}


def kinds(data: dict[str, Any]) -> dict[str, str]:
    return {key: action["kind"] for key, action in actions(data).items()}


def change_paths(action: dict[str, Any]) -> set[str]:
    return {change["path"] for change in action["changes"]}


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    """orders (openapi.json with a $ref'd models.json) and billing, deployed to the local emulator."""
    root = new_repo(tmp_path, "orders", "billing")
    doc = json.loads(json.dumps(OPENAPI))
    doc["paths"]["/orders"]["get"]["responses"]["200"]["schema"] = {"$ref": "models.json#/Order"}
    write_connector(root, "orders", doc=doc)
    (root / "connectors" / "orders" / "models.json").write_text(json.dumps(MODELS))
    assert cli(root, "apply", "--yes")[0] == 0
    assert warm(root)[0] == 0
    return root


# ---- 2. one input at a time -----------------------------------------------------------------------------------


def test_a_connector_yaml_field(applied: Path) -> None:
    connector = applied / "connectors" / "orders" / "connector.yaml"
    connector.write_text(connector.read_text() + "  displayName: Orders v2\n")
    code, data = replanned(applied)
    update = actions(data)["customApi:orders"]
    assert code == 2 and update["kind"] == "update" and "properties.displayName" in change_paths(update)
    assert kinds(data)["customApi:billing"] == "noop"


def test_the_openapi_file(applied: Path) -> None:
    path = applied / "connectors" / "billing" / "openapi.json"
    doc = json.loads(path.read_text())
    doc["paths"]["/invoices"] = {"get": {"operationId": "ListInvoices", "responses": {"200": {"description": "ok"}}}}
    path.write_text(json.dumps(doc))
    code, data = replanned(applied)
    update = actions(data)["customApi:billing"]
    assert code == 2 and update["kind"] == "update"
    assert any("/invoices" in p for p in change_paths(update)), change_paths(update)


def test_a_refd_file(applied: Path) -> None:
    models = {"Order": {"type": "object", "properties": {"id": {"type": "string"}, "total": {"type": "number"}}}}
    (applied / "connectors" / "orders" / "models.json").write_text(json.dumps(models))
    code, data = replanned(applied)
    update = actions(data)["customApi:orders"]
    assert code == 2 and update["kind"] == "update"
    assert any(p.endswith("properties.total") or "total" in p for p in change_paths(update)), change_paths(update)


def test_a_new_connector_folder(applied: Path) -> None:
    write_connector(applied, "shipping")
    code, data = replanned(applied)
    assert code == 2 and kinds(data) == {
        "customApi:orders": "noop",
        "customApi:billing": "noop",
        "customApi:shipping": "create",
    }
    # apply does what the remembered plan said, and the next plan from the memo has nothing left
    code, out, err = cli(applied, "apply", "--yes")
    assert code == 0 and "Apply complete: 1 action(s) done." in out, out + err
    code, data = replanned(applied)
    assert code == 0 and set(kinds(data).values()) == {"noop"}


def test_a_removed_connector_folder_is_a_planned_and_guarded_deletion(applied: Path) -> None:
    remove_connector(applied, "billing")
    code, data = replanned(applied)
    assert kinds(data)["customApi:billing"] == "delete"
    code, limited = replanned(applied, "--max-deletions", "0")
    assert code == 1 and actions(limited)["customApi:billing"]["verdict"] == "block"


def test_the_sharing_policy(applied: Path) -> None:
    write_connector(applied, "billing", extra="  sharing: [{principal: support-team, role: use}]\n")
    policy = Path(__file__).resolve().parents[2] / "policies" / "sharing.yaml"
    (applied / "policies").mkdir()
    (applied / "policies" / "sharing.yaml").write_text(policy.read_text())
    code, data = replanned(applied)
    grants = [a for a in data["actions"] if a["resourceType"] != "customApi"]
    assert code == 2 and [g["kind"] for g in grants] == ["create"]
    support = "c7e2d1a8-4b6f-4a93-8d05-6f1e2b9c7a04"
    assert support in json.dumps(grants[0])
    assert cli(applied, "apply", "--yes")[0] == 0
    assert warm(applied)[0] == 0
    # the principal's object id changes in the policy: the old grant goes, a new one comes
    other = "d8f3e2b9-5c70-4ba4-9e16-7a2f3c0d8b15"
    text = (applied / "policies" / "sharing.yaml").read_text().replace(support, other)
    (applied / "policies" / "sharing.yaml").write_text(text)
    code, data = replanned(applied)
    grants = [a for a in data["actions"] if a["resourceType"] != "customApi"]
    assert code == 2 and sorted(g["kind"] for g in grants) == ["create", "delete"]
    created = next(g for g in grants if g["kind"] == "create")
    assert other in json.dumps(created) and support not in json.dumps(created)


def test_a_certification_findings_enforcement(applied: Path) -> None:
    (applied / "policies").mkdir()
    policy = applied / "policies" / "certification.yaml"
    policy.write_text("apiVersion: connectorops/v1\nkind: CertificationPolicy\ndefault: advisory\n")
    code, data = replanned(applied)
    assert code == 0 and data["findings"] and not any(f["enforcement"] == "mandatory" for f in data["findings"])
    rule = data["findings"][0]["ruleId"]
    assert warm(applied)[0] == 0
    policy.write_text(policy.read_text() + f"rules:\n  {rule}: mandatory\n")
    code, data = replanned(applied)
    assert code == 1 and {f["ruleId"] for f in data["findings"] if f["enforcement"] == "mandatory"} == {rule}


def test_connectorops_yaml_location_and_default_environment(applied: Path) -> None:
    config = applied / "connectorops.yaml"
    config.write_text("default: local\nenvironments:\n  local: {target: local, location: northeurope}\n")
    code, data = replanned(applied)
    assert data["target"]["location"] == "northeurope"
    assert data["actions"] and all(a["body"]["location"] == "northeurope" for a in data["actions"] if a["body"])
    config.write_text(
        "default: other\nenvironments:\n  local: {target: local}\n  other: {target: local, resourceGroup: rg-other}\n"
    )
    assert warm(applied, "-e", "local")[0] == 0  # the environment asked for is part of the key
    code, data = replanned(applied)
    assert code == 2 and data["environment"] == "other" and data["target"]["resourceGroup"] == "rg-other"
    assert set(kinds(data).values()) == {"create"}
    code, data = replanned(applied, "-e", "local")
    assert code == 0 and data["environment"] == "local"


def test_another_environment_asked_for(applied: Path) -> None:
    config = applied / "connectorops.yaml"
    config.write_text(
        "default: local\nenvironments:\n  local: {target: local}\n  other: {target: local, resourceGroup: rg-other}\n"
    )
    assert warm(applied)[0] == 0
    code, data = replanned(applied, "-e", "other")
    assert code == 2 and data["environment"] == "other" and set(kinds(data).values()) == {"create"}
    code, data = replanned(applied)
    assert code == 0 and data["environment"] == "local"


def test_a_file_replaced_by_a_symlink_or_a_fifo_is_the_same_clear_error(applied: Path, tmp_path: Path) -> None:
    path = applied / "connectors" / "billing" / "openapi.json"
    outside = tmp_path / "outside.json"
    outside.write_text(path.read_text())
    path.unlink()
    path.symlink_to(outside)
    code, out, err = cli(applied, "plan")
    assert code == 1 and "connectors/billing/openapi.json" in out + err and "Traceback" not in out + err
    shutil.rmtree(applied / MEMO)
    assert cli(applied, "plan") == (code, out, err)
    path.unlink()
    os.mkfifo(path)
    code, out, err = cli(applied, "plan")
    assert code == 1 and "named pipe" in out + err and "Traceback" not in out + err
    shutil.rmtree(applied / MEMO, ignore_errors=True)
    assert cli(applied, "plan") == (code, out, err)


def test_a_symlink_inside_the_repository_to_the_same_content(applied: Path) -> None:
    path = applied / "connectors" / "billing" / "openapi.json"
    copy = applied / "connectors" / "billing" / "same.json"
    copy.write_text(path.read_text())
    path.unlink()
    path.symlink_to("same.json")
    code, data = replanned(applied)
    assert code == 0 and set(kinds(data).values()) == {"noop"}


@pytest.fixture(scope="module")
def served() -> Iterator[EmulatorInfo]:
    """One emulator for the module's `azure` environments (each test uses its own resource group)."""
    server = EmulatorServer(None)
    info = server.start()
    try:
        yield info
    finally:
        server.stop()


# ---- a paconn folder on the Power Platform surface ------------------------------------------------------------


@pytest.fixture
def paconn_repo(tmp_path: Path, served: EmulatorInfo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """govee (corpus: script.csx) and d7sms (icon.png) on a `powerplatform` environment of the module's emulator
    (the local Power Platform surface is no choice: its endpoint, part of the target's identity, is a new
    port in every run, so a remembered state is never used there)."""
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    environment = str(uuid.uuid4())
    http = PowerPlatformHttp(served)
    http.add_environment(environment)
    http.close()
    monkeypatch.setenv("CONNECTOROPS_POWERPLATFORM_TOKEN", served.token)
    root = tmp_path / "repo"
    (root / "connectors").mkdir(parents=True)
    (root / "connectorops.yaml").write_text(
        "default: makers\nenvironments:\n  makers:\n    target: powerplatform\n"
        f"    environmentId: {environment}\n"
        f"    apiEndpoint: {served.powerapps_url}\n    flowEndpoint: {served.flow_url}\n"
        f"    caBundle: {served.ca_path}\n    credential: token-env\n"
    )
    shutil.copytree(CORPUS / GOVEE, root / "connectors" / "govee" / "paconn")
    (root / "connectors" / "govee" / "connector.yaml").write_text(
        "apiVersion: connectorops/v1\nkind: Connector\nmetadata: {name: govee}\n"
        "spec:\n  definition: {paconn: paconn}\n  lifecycle: {deletion: allow-connection-loss}\n"
    )
    shutil.copytree(Path(__file__).resolve().parents[2] / "connectors" / "d7sms", root / "connectors" / "d7sms")
    code, out, err = cli(root, "apply", "--yes")
    assert code == 0, out + err
    assert warm(root)[0] == 0
    return root


def test_a_paconn_script(paconn_repo: Path) -> None:
    script = paconn_repo / "connectors" / "govee" / "paconn" / "script.csx"
    script.write_bytes(script.read_bytes() + b"\n// v2\n")
    code, data = replanned(paconn_repo)
    update = actions(data)["customApi:govee"]
    assert code == 2 and update["kind"] == "update" and "files['script.csx']" in json.dumps(update["changes"])
    assert kinds(data)["customApi:d7sms"] == "noop"


def test_a_paconn_icon(paconn_repo: Path) -> None:
    icon = paconn_repo / "connectors" / "d7sms" / "paconn" / "icon.png"
    icon.write_bytes(icon.read_bytes() + b"\0")  # PNG readers ignore trailing bytes; the digest changes
    code, data = replanned(paconn_repo)
    update = actions(data)["customApi:d7sms"]
    assert code == 2 and update["kind"] == "update" and "icon.png" in json.dumps(update["changes"])


def test_a_paconn_api_properties(paconn_repo: Path) -> None:
    path = paconn_repo / "connectors" / "govee" / "paconn" / "apiProperties.json"
    properties = json.loads(path.read_text())
    properties["properties"]["iconBrandColor"] = "#123456"
    path.write_text(json.dumps(properties))
    code, data = replanned(paconn_repo)
    update = actions(data)["customApi:govee"]
    assert code == 2 and update["kind"] == "update" and "#123456" in json.dumps(update["changes"])


# ---- git ------------------------------------------------------------------------------------------------------


def test_a_new_commit_is_the_commit_tag_of_the_body(tmp_path: Path) -> None:
    root = new_repo(tmp_path, "orders")
    first = commit_all(root)
    code, data = warm(root)
    assert code == 2 and data["commit"] == first
    assert actions(data)["customApi:orders"]["body"]["tags"]["connectorops-commit"] == first
    second = commit_all(root, "empty")  # no file changed: only git says something new
    code, data = replanned(root)
    assert code == 2 and data["commit"] == second
    assert actions(data)["customApi:orders"]["body"]["tags"]["connectorops-commit"] == second


def azure_repo(tmp_path: Path, info: EmulatorInfo, monkeypatch: pytest.MonkeyPatch, group: str) -> Path:
    server_group(info, group)
    monkeypatch.setenv("CONNECTOROPS_ARM_TOKEN", info.token)
    root = new_repo(tmp_path, "orders")
    (root / "connectorops.yaml").write_text(config_text(info, group))
    (root / "README.md").write_text("docs\n")
    commit_all(root)
    return root


def server_group(info: EmulatorInfo, group: str) -> None:
    import requests

    url = f"{info.base_url}/subscriptions/{info.subscription_id}/resourcegroups/{group}?api-version=2021-04-01"
    answer = requests.put(
        url, json={"location": "westeurope"}, headers={"Authorization": f"Bearer {info.token}"}, verify=info.ca_path
    )
    assert answer.status_code in (200, 201), answer.text


def warning_codes(data: dict[str, Any]) -> list[str]:
    return [p["code"] for p in data["problems"] if p["code"] == "git.uncommitted_changes"]


def test_the_uncommitted_warning_comes_and_goes_with_the_working_tree(
    tmp_path: Path, served: EmulatorInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = azure_repo(tmp_path, served, monkeypatch, "rg-memo-dirty")
    code, clean = warm(root)
    assert code == 2 and warning_codes(clean) == []
    plant(root)
    # a file loading never reads: the remembered state is used, and the warning is git's, told fresh
    notes = root / "connectors" / "orders" / "NOTES.md"
    notes.write_text("notes\n")
    code, dirty = plan(root)
    assert codes(dirty) == ["git.uncommitted_changes", PLANTED] and "connectors/orders/NOTES.md" in json.dumps(dirty)
    notes.unlink()  # clean again, same commit
    code, again = plan(root)
    assert codes(again) == [PLANTED] and without_planted(again) == clean
    shutil.rmtree(root / MEMO)
    notes.write_text("notes\n")
    assert plan(root) == (code, without_planted(dirty))
    notes.unlink()
    # a connector edited and not committed: warned; then committed: no warning, the new commit in the tags
    write_connector(root, "orders", extra="  displayName: Orders v2\n")
    code, dirty = replanned(root)
    assert warning_codes(dirty) == ["git.uncommitted_changes"] and "connectors/orders" in json.dumps(dirty)
    assert actions(dirty)["customApi:orders"]["body"]["properties"]["displayName"] == "Orders v2"
    sha = commit_all(root)
    code, committed = replanned(root)
    assert warning_codes(committed) == [] and committed["commit"] == sha
    orders = actions(committed)["customApi:orders"]["body"]
    assert orders["properties"]["displayName"] == "Orders v2" and orders["tags"]["connectorops-commit"] == sha


# ---- 3. the target's identity ---------------------------------------------------------------------------------


def test_a_reset_emulator_state_is_planned_with_the_new_subscription(applied: Path) -> None:
    code, before = warm(applied)
    old = before["target"]["subscriptionId"]
    for name in os.listdir(applied / ".connectorops"):
        if name.startswith("emulator"):
            (applied / ".connectorops" / name).unlink()
    code, after = replanned(applied)
    new = after["target"]["subscriptionId"]
    assert new != old and code == 2 and set(kinds(after).values()) == {"create"}
    assert old not in json.dumps(after) and all(new in a["resourceId"] for a in after["actions"])


def test_a_deleted_state_folder_elsewhere_is_a_new_target(tmp_path: Path) -> None:
    root = new_repo(tmp_path, "orders")
    (root / "connectorops.yaml").write_text(
        "default: local\nenvironments:\n  local: {target: local, stateDir: state}\n"
    )
    assert cli(root, "apply", "--yes")[0] == 0
    code, before = warm(root)
    assert code == 0 and entries(root)
    shutil.rmtree(root / "state")
    code, after = replanned(root)
    assert code == 2 and kinds(after) == {"customApi:orders": "create"}
    assert after["target"]["subscriptionId"] != before["target"]["subscriptionId"]


# ---- 4. safety ------------------------------------------------------------------------------------------------


def test_a_warm_plan_of_a_removed_connector_still_sees_new_connections(applied: Path) -> None:
    remove_connector(applied, "orders")
    code, before = warm(applied)  # remembered without orders, while nothing uses it
    assert code == 2 and kinds(before)["customApi:orders"] == "delete"
    config = load_repository(FileSystemTree(applied)).config
    with open_gateway(applied, config, "local") as gateway:
        connect_logic_app(gateway, "orders", "orders-conn", "la-invoices")
    plant(applied)
    code, data = plan(applied)  # the repository did not change: the remembered state is used
    assert code == 1 and codes(data) == [PLANTED]
    deletion = actions(data)["customApi:orders"]
    assert deletion["verdict"] == "block" and "la-invoices" in json.dumps(deletion)
    shutil.rmtree(applied / MEMO)
    assert plan(applied) == (code, without_planted(data))
    code, _, err = cli(applied, "apply", "--yes")
    assert code == 1 and "nothing was applied" in err
    with open_gateway(applied, config, "local") as gateway:
        assert gateway.get_custom_api("orders") is not None


# ---- 5. secrets -----------------------------------------------------------------------------------------------


def test_no_secret_value_in_any_file_after_warm_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "MEMO_TEST_ORDERS_SECRET"
    value = "memo-" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:24]
    monkeypatch.setenv(name, value)
    root = new_repo(tmp_path, "billing")
    write_connector(
        root,
        "orders",
        extra="  auth:\n    type: oauth2\n    identityProvider: aad\n"
        "    clientId: 6f0c3b9e-2a41-4c8e-9a57-1d2b3c4d5e6f\n"
        f"    clientSecret: {{env: {name}}}\n    resourceUri: api://contoso-orders\n",
    )
    code, data = warm(root)
    assert code == 2 and name in json.dumps(data) and value not in json.dumps(data)
    assert cli(root, "plan", "--out", str(root / ".connectorops" / "plan.json"))[0] == 2
    assert warm(root, "-e", "local")[0] == 2
    files = [p for p in (root / ".connectorops").rglob("*") if p.is_file()]
    assert len(entries(root)) == 2 and any(p.parent.parent.name == "desired" for p in files)
    assert name in "".join(entries(root).values())  # the reference is remembered, the value never
    assert [p for p in files if value.encode() in p.read_bytes()] == []


# ---- no error from outside the tree is remembered -------------------------------------------------------------


def test_a_failed_download_is_not_remembered(applied: Path) -> None:
    """A URL definition is read from the download cache or the network, not from the tree: an error there
    (a refused address here; an outage in real life) must not outlive its cause."""
    doc = json.dumps(OPENAPI).encode()
    digest = hashlib.sha256(doc).hexdigest()
    folder = applied / "connectors" / "pets"
    folder.mkdir()
    document = {
        "apiVersion": "connectorops/v1",
        "kind": "Connector",
        "metadata": {"name": "pets"},
        "spec": {"definition": {"url": "https://127.0.0.1:9/openapi.json", "sha256": digest}},
    }
    (folder / "connector.yaml").write_text(yaml.safe_dump(document))
    code, data = plan(applied)
    assert code == 1 and "loopback" in json.dumps(data["problems"])
    downloads = applied / ".connectorops" / "cache" / "definitions"
    downloads.mkdir(parents=True, exist_ok=True)
    (downloads / f"{digest}.bin").write_bytes(doc)  # as if the download had worked this time
    code, data = replanned(applied)
    assert code == 2 and kinds(data)["customApi:pets"] == "create" and data["problems"] == []


# ---- a target whose identity changes in every run -------------------------------------------------------------


def test_a_local_power_platform_plan_starts_the_emulator_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its endpoint (a new port each run) is part of its identity, so the remembered state never fits: the
    fresh plan is made on the target already open for the check, not on a second emulator."""
    root = new_repo(tmp_path)
    (root / "connectorops.yaml").write_text(
        "default: makers\nenvironments:\n  makers: {target: local, platform: powerplatform}\n"
    )
    write_connector(root, "orders")
    starts: list[Path | None] = []
    start = EmulatorServer.start

    def counted(server: EmulatorServer) -> EmulatorInfo:
        starts.append(server.db_path)
        return start(server)

    monkeypatch.setattr(EmulatorServer, "start", counted)
    first = plan(root)
    assert first[0] == 2 and entries(root) and len(starts) == 1
    second = plan(root)
    assert len(starts) == 2 and second == first
    shutil.rmtree(root / MEMO)
    assert plan(root) == first


def test_a_missing_ca_bundle_outside_the_repository_is_the_loaders_error(
    tmp_path: Path, served: EmulatorInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An absolute caBundle is not a file of the tree: the memo cannot see it go, so it is checked."""
    root = azure_repo(tmp_path, served, monkeypatch, "rg-memo-ca")
    bundle = tmp_path / "ca.pem"
    shutil.copy(served.ca_path, bundle)
    config = root / "connectorops.yaml"
    config.write_text(config.read_text().replace(served.ca_path, str(bundle)))
    assert warm(root)[0] == 2
    bundle.unlink()
    code, out, err = cli(root, "plan")
    assert code == 1 and "connectorops.yaml:" in err and "environments.dev.caBundle" in err and "is not a file" in err
    shutil.rmtree(root / MEMO, ignore_errors=True)
    assert cli(root, "plan") == (code, out, err)


def test_another_environments_missing_ca_bundle_is_the_loaders_error_too(
    tmp_path: Path, served: EmulatorInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading checks every environment's caBundle, not only the one planned: so does a remembered state."""
    root = azure_repo(tmp_path, served, monkeypatch, "rg-memo-ca-other")
    bundle = tmp_path / "other-ca.pem"
    shutil.copy(served.ca_path, bundle)
    config = root / "connectorops.yaml"
    other = (
        "  other:\n    target: azure\n    subscriptionId: 00000000-0000-0000-0000-0000000000cc\n"
        f"    resourceGroup: rg-other\n    location: westeurope\n    caBundle: {bundle}\n"
    )
    config.write_text(config.read_text().rstrip("\n") + "\n" + other)
    assert warm(root)[0] == 2
    bundle.unlink()
    code, out, err = cli(root, "plan")
    assert code == 1 and "environments.other.caBundle" in err and "is not a file" in err
    shutil.rmtree(root / MEMO, ignore_errors=True)
    assert cli(root, "plan") == (code, out, err)


def test_the_working_tree_and_the_same_commit_share_an_entry_only_while_their_files_agree(tmp_path: Path) -> None:
    """`plan` and `plan --at HEAD` ask for the same (environment, commit): the answers of each tree decide."""
    root = new_repo(tmp_path, "orders", "billing")
    sha = commit_all(root)
    code, working = warm(root)
    assert code == 2 and working["commit"] == sha
    assert replanned(root, "--at", "HEAD") == (code, working)
    write_connector(root, "billing", extra="  displayName: Billing v2\n")  # not committed
    code, edited = replanned(root)
    assert actions(edited)["customApi:billing"]["body"]["properties"]["displayName"] == "Billing v2"
    code, at_head = replanned(root, "--at", "HEAD")
    assert at_head == working  # HEAD's billing, not the working tree's


def test_a_copy_of_the_repository_with_its_state_plans_as_the_original(applied: Path, tmp_path: Path) -> None:
    code, original = warm(applied)
    copy = tmp_path / "copy"
    shutil.copytree(applied, copy, symlinks=True)
    assert replanned(copy) == (code, original)
    write_connector(copy, "shipping")
    code, data = replanned(copy)
    assert kinds(data)["customApi:shipping"] == "create" and kinds(plan(applied)[1]) == kinds(original)
