"""A plain HTTP client for the emulator's Power Platform surface (requests, the emulator's CA and
token), and real paconn folders from the corpus: what the Power Platform emulator tests share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from connectorops.emulator.server import EmulatorInfo

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
# A certified connector with script.csx, scriptOperations and policy templates naming operationIds.
BLACKBAUD = CORPUS / "certified-connectors" / "Blackbaud Raiser's Edge NXT Constituents"
APIS = "2016-11-01"
PERMISSIONS = "2017-06-01"


def openapi(title: str = "Orders", operations: tuple[str, ...] = ("ListOrders",)) -> dict[str, Any]:
    return {
        "swagger": "2.0",
        "info": {"title": title, "version": "1.0", "description": f"{title} API"},
        "host": "orders.contoso.com",
        "basePath": "/v1",
        "schemes": ["https"],
        "paths": {
            f"/{op.lower()}": {"get": {"operationId": op, "responses": {"200": {"description": "ok"}}}}
            for op in operations
        },
        "x-connectorops": {"managedBy": "connectorops", "name": title.lower()},
    }


def paconn_properties(folder: Path) -> dict[str, Any]:
    """apiProperties.json's properties without stackOwner (the service refuses it, #614), plus the
    swagger as openApiDefinition: the body paconn sends."""
    properties = json.loads((folder / "apiProperties.json").read_text(encoding="utf-8-sig"))["properties"]
    properties.pop("stackOwner", None)
    swagger = json.loads((folder / "apiDefinition.swagger.json").read_text(encoding="utf-8-sig"))
    properties["openApiDefinition"] = swagger
    properties["displayName"] = swagger["info"]["title"]
    return dict(properties)


class PowerPlatformHttp:
    """requests.Session on one emulator: the maker's token, its CA, its default environment."""

    def __init__(self, info: EmulatorInfo, token: str | None = None) -> None:
        self.info = info
        self.env = info.environment_id
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
        self.session.verify = info.ca_path
        self.session.headers["Authorization"] = f"Bearer {token or info.token}"

    def close(self) -> None:
        self.session.close()

    def powerapps(self, path: str) -> str:
        return f"{self.info.powerapps_url}/providers/Microsoft.PowerApps/{path}"

    def flows(self, path: str = "", env: str | None = None) -> str:
        base = f"{self.info.flow_url}/providers/Microsoft.ProcessSimple/environments/{env or self.env}/flows"
        return f"{base}/{path}" if path else base

    def query(self, env: str | None = None, version: str = APIS, **extra: str) -> dict[str, str]:
        return {"api-version": version, "$filter": f"environment eq '{env or self.env}'", **extra}

    def create_api(self, properties: dict[str, Any], env: str | None = None) -> dict[str, Any]:
        response = self.session.post(self.powerapps("apis"), params=self.query(env), json={"properties": properties})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get_api(self, name: str, env: str | None = None, **extra: str) -> requests.Response:
        return self.session.get(self.powerapps(f"apis/{name}"), params=self.query(env, **extra))

    def upload(self, content: bytes, file: str, env: str | None = None) -> str:
        """generateResourceStorage, then a PUT of the bytes with the SAS only: the blob's URL."""
        response = self.session.post(
            self.powerapps("objectIds/me/generateResourceStorage"),
            params={"api-version": APIS},
            json={"environment": {"name": env or self.env}},
        )
        assert response.status_code == 200, response.text
        sas = response.json()["sharedAccessSignature"]
        container, _, query = sas.partition("?")
        blob = f"{container}/{file}?{query}"
        put = requests.put(blob, data=content, headers={"x-ms-blob-type": "BlockBlob"}, verify=self.info.ca_path)
        assert put.status_code == 201, put.text
        return blob

    def add_environment(self, env: str) -> None:
        response = self.session.put(f"{self.info.powerapps_url}/_emulator/powerplatform/environments/{env}", json={})
        assert response.status_code in (200, 201), response.text
