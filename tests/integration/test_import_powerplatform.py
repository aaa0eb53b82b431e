"""`connectorops import` from a Power Platform environment (the emulator's surface): paconn folders, then
`plan` shows only adoptions, `apply` adopts, and the next plan has no changes.

Real data: Microsoft's certified Blackbaud connector (script.csx, scriptOperations, policy templates naming
operationIds), deployed as paconn deploys it, with its icon and script uploaded to the blob store.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops_support import CONNECTOROPS
from PIL import Image
from powerplatform_support import BLACKBAUD, PowerPlatformHttp, paconn_properties

from connectorops.definitions.auth import apply_auth
from connectorops.emulator.server import EmulatorInfo, EmulatorServer
from connectorops.spec.models import OAuth2Auth

pytestmark = [pytest.mark.integration]
CLIENT_SECRET = "maker-typed-secret-value"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (113, 191, 67)).save(out, format="PNG")
    return out.getvalue()


def config(info: EmulatorInfo) -> str:
    return (
        "default: makers\nenvironments:\n  makers:\n    target: powerplatform\n"
        f"    environmentId: {info.environment_id}\n    apiEndpoint: {info.powerapps_url}\n"
        f"    flowEndpoint: {info.flow_url}\n    caBundle: {info.ca_path}\n    credential: token-env\n"
    )


def cli(repo: Path, info: EmulatorInfo, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "CONNECTOROPS_POWERPLATFORM_TOKEN": info.token, "COLUMNS": "250", **env}
    return subprocess.run(
        [CONNECTOROPS, "--repo", str(repo), *args], env=environ, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def crm_properties() -> dict[str, Any]:
    """An Entra ID connector whose client secret a maker typed in (the service never returns it)."""
    swagger = {
        "swagger": "2.0",
        "info": {"title": "CRM", "version": "1.0", "description": "Accounts"},
        "host": "crm.contoso.com",
        "basePath": "/api",
        "schemes": ["https"],
        "paths": {"/accounts": {"get": {"operationId": "ListAccounts", "responses": {"200": {"description": "ok"}}}}},
    }
    auth = OAuth2Auth(
        type="oauth2", identityProvider="aad", clientId="5c3f4b6e-0000-4000-8000-000000000001", resourceUri="api://crm"
    )
    applied = apply_auth(swagger, auth, existing_parameters=None, connector_file="x", definition_file="y")
    parameters = json.loads(json.dumps(applied.connection_parameters))
    parameters["token"]["oAuthSettings"]["clientSecret"] = CLIENT_SECRET
    return {
        "displayName": "CRM",
        "description": "Accounts",
        "iconBrandColor": "#007ee5",
        "backendService": {"serviceUrl": "https://crm.contoso.com/api"},
        "capabilities": [],
        "connectionParameters": parameters,
        "openApiDefinition": applied.swagger,
    }


def test_import_writes_paconn_folders_then_plan_adopts_then_no_changes(
    tmp_path: Path, emulator: EmulatorServer, powerplatform: PowerPlatformHttp
) -> None:
    info = emulator.info
    assert info is not None
    script = (BLACKBAUD / "script.csx").read_bytes()
    blackbaud = paconn_properties(BLACKBAUD)
    blackbaud["iconUri"] = powerplatform.upload(png(), "icon.png")
    blackbaud["scriptDefinitionUrl"] = powerplatform.upload(script, "script.csx")
    blackbaud["backendService"] = {"serviceUrl": "https://api.sky.blackbaud.com/"}  # paconn: scheme://host/basePath
    bb_name = powerplatform.create_api(blackbaud)["name"]
    crm_name = powerplatform.create_api(crm_properties())["name"]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "connectorops.yaml").write_text(config(info))

    imported = cli(repo, info, "import")
    assert imported.returncode == 0, imported.stderr + imported.stdout
    # round trip: the folders render what is deployed; the one note: Blackbaud's generic OAuth ("oauth2") has
    # no connector.yaml auth, so apiProperties.json carries it and no secret reference can be written
    warnings = [line for line in imported.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1 and "OAuth identity provider 'oauth2'" in warnings[0], imported.stderr
    folder = repo / "connectors" / bb_name
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "connector.yaml",
        "paconn/apiDefinition.swagger.json",
        "paconn/apiProperties.json",
        "paconn/icon.png",
        "paconn/script.csx",
    ]
    assert (folder / "paconn" / "script.csx").read_bytes() == script  # byte for byte
    assert (folder / "paconn" / "icon.png").read_bytes() == png()
    given = json.loads((BLACKBAUD / "apiProperties.json").read_text(encoding="utf-8-sig"))["properties"]
    written = json.loads((folder / "paconn" / "apiProperties.json").read_text())["properties"]
    for key in ("policyTemplateInstances", "scriptOperations", "iconBrandColor", "capabilities"):
        assert written[key] == given[key], key
    swagger = json.loads((folder / "paconn" / "apiDefinition.swagger.json").read_text())
    assert swagger == json.loads((BLACKBAUD / "apiDefinition.swagger.json").read_text(encoding="utf-8-sig"))
    doc = yaml.safe_load((folder / "connector.yaml").read_text())
    assert doc["metadata"] == {"name": bb_name, "labels": {"connectorops/adopt": "true"}}
    assert doc["spec"]["definition"] == {"paconn": "paconn"}

    crm = yaml.safe_load((repo / "connectors" / crm_name / "connector.yaml").read_text())
    secret_env = crm["spec"]["auth"]["clientSecret"]["env"]
    assert f"set {secret_env} before `connectorops apply`" in imported.stdout
    for path in repo.rglob("*"):
        if path.is_file():
            assert CLIENT_SECRET.encode() not in path.read_bytes(), f"secret written to {path}"

    planned = cli(repo, info, "plan", "--json", **{secret_env: "from-the-pipeline"})
    assert planned.returncode == 2, planned.stderr
    plan = json.loads(planned.stdout)
    changes = [a for a in plan["actions"] if a["kind"] != "noop"]
    assert sorted((a["kind"], a["name"]) for a in changes) == sorted([("adopt", bb_name), ("adopt", crm_name)])

    applied = cli(repo, info, "apply", "--yes", "--json", **{secret_env: "from-the-pipeline"})
    assert applied.returncode == 0, applied.stderr + applied.stdout
    stored = powerplatform.get_api(bb_name, **{"$expand": "properties.swagger"}).json()
    record = stored["properties"]["swagger"]["x-connectorops"]
    assert record["managedBy"] == "connectorops" and record["name"] == bb_name
    assert stored["properties"]["policyTemplateInstances"] == given["policyTemplateInstances"]
    again = cli(repo, info, "plan", "--json", **{secret_env: "from-the-pipeline"})
    assert again.returncode == 0, again.stdout + again.stderr
    assert cli(repo, info, "import").stdout.count("imported") == 0


def test_import_from_the_local_emulators_power_platform_surface(tmp_path: Path) -> None:
    """`{target: local, platform: powerplatform}`: a connector a maker made in the embedded emulator's state
    (script.csx included) is imported, adopted by the next apply, and then plans no changes."""
    from connectorops.targets.arm.connect import EMULATOR_DB_NAME

    repo = tmp_path / "repo"
    (repo / ".connectorops").mkdir(parents=True)
    (repo / "connectorops.yaml").write_text(
        "default: makers-local\nenvironments:\n  makers-local: {target: local, platform: powerplatform}\n"
    )
    script = (BLACKBAUD / "script.csx").read_bytes()
    server = EmulatorServer(repo / ".connectorops" / EMULATOR_DB_NAME)
    info = server.start()
    try:
        http = PowerPlatformHttp(info)
        properties = crm_properties()
        properties["scriptDefinitionUrl"] = http.upload(script, "script.csx")
        properties["scriptOperations"] = ["ListAccounts"]
        api_name = http.create_api(properties)["name"]
        http.close()
    finally:
        server.stop()

    imported = cli(repo, info, "import")
    assert imported.returncode == 0, imported.stderr + imported.stdout
    folder = repo / "connectors" / api_name
    assert (folder / "paconn" / "script.csx").read_bytes() == script
    secret_env = yaml.safe_load((folder / "connector.yaml").read_text())["spec"]["auth"]["clientSecret"]["env"]
    planned = cli(repo, info, "plan", "--json", **{secret_env: "x-secret"})
    assert planned.returncode == 2, planned.stderr
    assert [(a["kind"], a["name"]) for a in json.loads(planned.stdout)["actions"]] == [("adopt", api_name)]
    applied = cli(repo, info, "apply", "--yes", **{secret_env: "x-secret"})
    assert applied.returncode == 0, applied.stderr + applied.stdout
    again = cli(repo, info, "plan", **{secret_env: "x-secret"})
    assert again.returncode == 0, again.stdout + again.stderr
