"""`connectorops import` against the emulator, then `plan`: only adoption actions; apply; then no changes."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops_support import CONNECTOROPS, RESOURCE_GROUP, config_text, openapi
from PIL import Image

from connectorops import tags
from connectorops.definitions.auth import apply_auth
from connectorops.emulator.server import EmulatorServer
from connectorops.spec.models import OAuth2Auth
from connectorops.targets.arm.gateway import ArmGateway
from connectorops.targets.arm.render import regional_redirects

pytestmark = [pytest.mark.integration]
CLIENT_SECRET = "portal-typed-secret-value"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (15, 108, 189)).save(out, format="PNG")
    return out.getvalue()


def api_key_body() -> dict[str, Any]:
    """A connector as the portal's wizard creates it: API key in a header, icon as a data URI."""
    swagger = openapi("Legacy Orders", host="legacy.contoso.com")
    swagger["securityDefinitions"] = {"api_key": {"type": "apiKey", "in": "header", "name": "X-Key"}}
    swagger["security"] = [{"api_key": []}]
    label = "API Key"
    return {
        "location": "westeurope",
        "tags": {"owner": "ops-team"},
        "properties": {
            "displayName": "Legacy Orders",
            "description": "Orders, the old way",
            "brandColor": "#AA3300",
            "iconUri": "data:image/png;base64," + base64.b64encode(png()).decode(),
            "apiType": "Rest",
            "backendService": {"serviceUrl": "https://legacy.contoso.com/api"},
            "capabilities": [],
            "connectionParameters": {
                "api_key": {
                    "type": "securestring",
                    "uiDefinition": {
                        "displayName": label,
                        "description": f"The {label} for this api",
                        "tooltip": f"Provide your {label}",
                        "constraints": {"tabIndex": 2, "clearText": False, "required": "true"},
                    },
                }
            },
            "swagger": swagger,
        },
    }


def oauth_body() -> dict[str, Any]:
    """An Entra ID connector whose client secret someone typed into the portal."""
    auth = OAuth2Auth(
        type="oauth2", identityProvider="aad", clientId="5c3f4b6e-0000-4000-8000-000000000001", resourceUri="api://crm"
    )
    applied = apply_auth(
        openapi("CRM", host="crm.contoso.com"), auth, existing_parameters=None, connector_file="x", definition_file="y"
    )
    # as the portal saves a Logic Apps connector: the region's consent redirect URL
    params = json.loads(json.dumps(regional_redirects(applied.connection_parameters, "westeurope")))
    params["token"]["oAuthSettings"]["clientSecret"] = CLIENT_SECRET
    return {
        "location": "westeurope",
        "properties": {
            "displayName": "CRM",
            "description": "",
            "brandColor": "#007ee5",
            "apiType": "Rest",
            "backendService": {"serviceUrl": "https://crm.contoso.com/api"},
            "connectionParameters": params,
            "swagger": applied.swagger,
        },
    }


def cli(repo: Path, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONNECTOROPS_ARM_TOKEN": token, "LEGACY_CRM_CLIENT_SECRET": "from-the-pipeline"}
    return subprocess.run(
        [CONNECTOROPS, "--repo", str(repo), "-e", "dev", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_import_then_plan_shows_only_adoptions(tmp_path: Path, emulator: EmulatorServer, make_gateway) -> None:  # type: ignore[no-untyped-def]
    info = emulator.info
    assert info is not None
    target: ArmGateway = make_gateway(emulator, resource_group=RESOURCE_GROUP)
    target.put_custom_api("legacy-orders", api_key_body())
    target.put_custom_api("legacy-crm", oauth_body())
    repo = tmp_path / "repo"
    (repo / "connectors" / "legacy-crm").mkdir(parents=True)
    (repo / "connectors" / "legacy-crm" / "NOTES.md").write_text("hand-written notes, keep me\n")
    (repo / "connectorops.yaml").write_text(config_text(info))

    first = cli(repo, info.token, "import")
    assert first.returncode == 1, first.stderr  # one folder refused
    assert "connectors/legacy-crm already exists" in first.stderr
    assert (repo / "connectors/legacy-crm/NOTES.md").read_text() == "hand-written notes, keep me\n"
    folder = repo / "connectors/legacy-orders"
    assert sorted(p.name for p in folder.iterdir()) == ["connector.yaml", "icon.png", "openapi.json"]
    assert (folder / "icon.png").read_bytes() == png()
    doc = yaml.safe_load((folder / "connector.yaml").read_text())
    assert doc["metadata"]["labels"] == {"connectorops/adopt": "true"}
    assert doc["spec"]["auth"] == {"type": "apiKey", "name": "X-Key", "in": "header", "label": "API Key"}

    forced = cli(repo, info.token, "import", "--select", "legacy-crm", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "LEGACY_CRM_CLIENT_SECRET" in forced.stdout
    crm = yaml.safe_load((repo / "connectors/legacy-crm/connector.yaml").read_text())
    assert crm["spec"]["auth"]["clientSecret"] == {"env": "LEGACY_CRM_CLIENT_SECRET"}
    for path in repo.rglob("*"):
        if path.is_file():
            assert CLIENT_SECRET.encode() not in path.read_bytes(), f"secret written to {path}"
    assert "warning" not in forced.stderr, forced.stderr  # round trip: the YAML renders what is deployed

    planned = cli(repo, info.token, "plan", "--json")
    assert planned.returncode == 2, planned.stderr
    plan = json.loads(planned.stdout)
    changes = [a for a in plan["actions"] if a["kind"] != "noop"]
    assert sorted((a["kind"], a["name"]) for a in changes) == [("adopt", "legacy-crm"), ("adopt", "legacy-orders")]
    assert all(set(a["body"]) == {"tags"} for a in changes), "adoption should only add tags"

    applied = cli(repo, info.token, "apply", "--yes")
    assert applied.returncode == 0, applied.stderr + applied.stdout
    adopted = target.get_custom_api("legacy-orders") or {}
    assert tags.is_managed(adopted["tags"]) and adopted["tags"]["owner"] == "ops-team"
    again = cli(repo, info.token, "plan", "--json")
    assert again.returncode == 0, again.stdout
    assert cli(repo, info.token, "import").stdout.count("imported") == 0
