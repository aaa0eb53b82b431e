"""The emulator's Power Apps `apis` surface over real HTTPS: environment filter, paging, $expand,
server-assigned names, PATCH ignoring displayName, DELETE with cascade, write-only secrets, errors."""

from __future__ import annotations

import json
import re

import requests
from conftest import MakeEmulator
from powerplatform_support import APIS, BLACKBAUD, PERMISSIONS, PowerPlatformHttp, openapi, paconn_properties

from connectorops.emulator.routes.custom_apis import write_only_digest
from connectorops.emulator.server import EmulatorServer

SECRET = "pp-client-secret-value-1"


def _oauth_properties(title: str = "Orders") -> dict[str, object]:
    return {
        "openApiDefinition": openapi(title),
        "displayName": title,
        "description": "orders",
        "iconBrandColor": "#007ee5",
        "backendService": {"serviceUrl": "https://orders.contoso.com/v1"},
        "connectionParameters": {
            "token": {
                "type": "oauthSetting",
                "oAuthSettings": {"identityProvider": "aad", "clientId": "client-1", "clientSecret": SECRET},
            }
        },
    }


def test_create_assigns_the_name_and_get_and_list_return_the_item(powerplatform: PowerPlatformHttp) -> None:
    created = powerplatform.create_api(_oauth_properties("Contoso Orders"))
    name = created["name"]
    assert re.fullmatch(r"shared_contoso-orders-[0-9a-f]{16}", name)
    assert created["id"] == f"/providers/Microsoft.PowerApps/apis/{name}"
    properties = created["properties"]
    assert properties["displayName"] == "Contoso Orders" and properties["isCustomApi"] is True
    assert properties["environment"]["name"] == powerplatform.env
    assert properties["backendService"] == {"serviceUrl": "https://orders.contoso.com/v1"}
    assert properties["scriptDefinitionUrl"] == ""
    got = powerplatform.get_api(name)
    assert got.status_code == 200 and got.json() == created
    listed = powerplatform.session.get(powerplatform.powerapps("apis"), params=powerplatform.query())
    assert [item["name"] for item in listed.json()["value"]] == [name]
    assert "swagger" not in listed.json()["value"][0]["properties"]  # only on $expand


def test_list_is_filtered_by_environment(powerplatform: PowerPlatformHttp) -> None:
    powerplatform.add_environment("env-two")
    mine = powerplatform.create_api(_oauth_properties("Mine"))["name"]
    theirs = powerplatform.create_api(_oauth_properties("Theirs"), env="env-two")["name"]
    first = powerplatform.session.get(powerplatform.powerapps("apis"), params=powerplatform.query()).json()
    second = powerplatform.session.get(powerplatform.powerapps("apis"), params=powerplatform.query("env-two")).json()
    assert [i["name"] for i in first["value"]] == [mine]
    assert [i["name"] for i in second["value"]] == [theirs]
    # Another environment's connector is not found through this one.
    assert powerplatform.get_api(theirs).status_code == 404
    assert powerplatform.get_api(theirs).json()["error"]["code"] == "ApiNotFound"


def test_list_pages_with_absolute_next_links(make_emulator: MakeEmulator) -> None:
    server = make_emulator(pp_page_size=2)
    assert server.info is not None
    client = PowerPlatformHttp(server.info)
    names = {client.create_api(_oauth_properties(f"Api {n}"))["name"] for n in range(5)}
    seen: list[str] = []
    url: str | None = client.powerapps("apis")
    params: dict[str, str] | None = client.query(**{"$expand": "permissions,properties.swagger"})
    pages = 0
    while url:
        body = client.session.get(url, params=params).json()
        pages += 1
        assert len(body["value"]) <= 2
        assert all("swagger" in i["properties"] and "permissions" in i["properties"] for i in body["value"])
        seen += [i["name"] for i in body["value"]]
        url, params = body.get("nextLink"), None
        assert url is None or url.startswith(server.info.powerapps_url + "/providers/Microsoft.PowerApps/apis?")
    client.close()
    assert pages == 3 and sorted(seen) == sorted(names)


def test_expand_returns_the_stored_swagger_verbatim_and_the_owner(powerplatform: PowerPlatformHttp) -> None:
    properties = _oauth_properties()
    name = powerplatform.create_api(properties)["name"]
    body = powerplatform.get_api(name, **{"$expand": "permissions($filter=x),properties.swagger"}).json()
    assert body["properties"]["swagger"] == properties["openApiDefinition"]  # x-connectorops kept
    permissions = body["properties"]["permissions"]
    assert [p["properties"]["roleName"] for p in permissions] == ["Owner"]
    assert permissions[0]["properties"]["principal"]["type"] == "User"


def test_original_swagger_url_downloads_the_stored_swagger(powerplatform: PowerPlatformHttp) -> None:
    properties = _oauth_properties()
    created = powerplatform.create_api(properties)
    url = created["properties"]["apiDefinitions"]["originalSwaggerUrl"]
    assert requests.get(url, verify=powerplatform.info.ca_path).json() == properties["openApiDefinition"]
    unsigned = url.split("?")[0]
    assert requests.get(unsigned, verify=powerplatform.info.ca_path).status_code == 401
    assert powerplatform.session.get(unsigned).json() == properties["openApiDefinition"]  # the token works too


def test_client_secret_is_never_returned_nor_stored(powerplatform: PowerPlatformHttp, emulator: EmulatorServer) -> None:
    name = powerplatform.create_api(_oauth_properties())["name"]
    shown = [
        powerplatform.get_api(name, **{"$expand": "permissions,properties.swagger"}).text,
        powerplatform.session.get(powerplatform.powerapps("apis"), params=powerplatform.query()).text,
    ]
    assert all(SECRET not in text and "clientSecret" not in text for text in shown)
    settings = powerplatform.get_api(name).json()["properties"]["connectionParameters"]["token"]["oAuthSettings"]
    assert settings == {"identityProvider": "aad", "clientId": "client-1"}
    rows = emulator.store.list_all("pp/apis")
    assert rows and all(SECRET not in json.dumps([r.body, r.extra]) for r in rows)


def test_patch_ignores_display_name_and_moves_changed_time(powerplatform: PowerPlatformHttp) -> None:
    created = powerplatform.create_api(_oauth_properties("First Name"))
    properties = _oauth_properties("Second Name")
    properties["description"] = "changed"
    properties["connectionParameters"]["token"]["oAuthSettings"].pop("clientSecret")  # type: ignore[index]
    response = powerplatform.session.patch(
        powerplatform.powerapps(f"apis/{created['name']}"),
        params=powerplatform.query(),
        json={"properties": properties},
    )
    assert response.status_code == 200, response.text
    updated = response.json()["properties"]
    assert updated["displayName"] == "First Name" and updated["description"] == "changed"
    assert updated["createdTime"] == created["properties"]["createdTime"]
    assert updated["changedTime"] > created["properties"]["changedTime"]


def test_delete_cascades_to_connections_and_then_is_404(powerplatform: PowerPlatformHttp) -> None:
    name = powerplatform.create_api(_oauth_properties())["name"]
    connection = powerplatform.session.put(
        powerplatform.powerapps(f"apis/{name}/connections/conn-1"),
        params=powerplatform.query(),
        json={"properties": {"displayName": "mine", "environment": {"name": powerplatform.env}}},
    )
    assert connection.status_code in (200, 201), connection.text
    deleted = powerplatform.session.delete(powerplatform.powerapps(f"apis/{name}"), params=powerplatform.query())
    assert deleted.status_code == 200
    assert powerplatform.get_api(name).status_code == 404
    everywhere = powerplatform.session.get(powerplatform.powerapps("connections"), params=powerplatform.query())
    assert everywhere.status_code == 200 and everywhere.json()["value"] == []
    again = powerplatform.session.delete(powerplatform.powerapps(f"apis/{name}"), params=powerplatform.query())
    assert again.status_code == 404 and again.json()["error"]["code"] == "ApiNotFound"


def test_admin_path_gets_and_deletes(powerplatform: PowerPlatformHttp) -> None:
    name = powerplatform.create_api(_oauth_properties())["name"]
    admin = powerplatform.powerapps(f"scopes/admin/environments/{powerplatform.env}/apis/{name}")
    assert powerplatform.session.get(admin, params={"api-version": APIS}).json()["name"] == name
    assert powerplatform.session.delete(admin, params={"api-version": APIS}).status_code == 200
    assert powerplatform.get_api(name).status_code == 404


def test_bad_create_bodies_are_400_naming_the_field(powerplatform: PowerPlatformHttp) -> None:
    def refused(properties: dict[str, object]) -> str:
        response = powerplatform.session.post(
            powerplatform.powerapps("apis"), params=powerplatform.query(), json={"properties": properties}
        )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "InvalidRequestContent"
        return str(error["message"])

    assert "stackOwner" in refused({**_oauth_properties(), "stackOwner": "Contoso"})
    assert "openApiDefinition is required" in refused({"displayName": "x"})
    assert "openApiDefinition" in refused({"openApiDefinition": {"swagger": "2.0", "info": {"title": "t"}}})
    unknown_template = {**_oauth_properties(), "policyTemplateInstances": [{"templateId": "nosuch", "parameters": {}}]}
    assert "'nosuch' is not a known policy template" in refused(unknown_template)
    unknown_operation = {
        **_oauth_properties(),
        "policyTemplateInstances": [
            {"templateId": "setheader", "parameters": {"x-ms-apimTemplate-operationName": ["NoSuchOp"]}}
        ],
    }
    assert "'NoSuchOp'" in refused(unknown_operation)
    assert "scriptDefinitionUrl" in refused(
        {**_oauth_properties(), "scriptDefinitionUrl": "https://evil.example/x.csx"}
    )


def test_environment_api_version_and_token_errors_use_the_envelope(powerplatform: PowerPlatformHttp) -> None:
    apis = powerplatform.powerapps("apis")
    unknown_env = powerplatform.session.get(apis, params=powerplatform.query("no-such-env"))
    assert unknown_env.status_code == 404 and unknown_env.json()["error"]["code"] == "EnvironmentNotFound"
    no_version = powerplatform.session.get(apis, params={"$filter": f"environment eq '{powerplatform.env}'"})
    assert no_version.status_code == 400 and no_version.json()["error"]["code"] == "MissingApiVersionParameter"
    wrong = powerplatform.session.get(apis, params=powerplatform.query(version=PERMISSIONS))
    assert wrong.status_code == 400 and "use '2016-11-01'" in wrong.json()["error"]["message"]
    no_filter = powerplatform.session.get(apis, params={"api-version": APIS})
    assert no_filter.status_code == 400 and no_filter.json()["error"]["code"] == "MissingEnvironmentFilter"
    no_token = requests.get(apis, params=powerplatform.query(), verify=powerplatform.info.ca_path)
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "AuthenticationFailed"
    bad_token = requests.get(
        apis, params=powerplatform.query(), headers={"Authorization": "Bearer nope"}, verify=powerplatform.info.ca_path
    )
    assert bad_token.status_code == 401 and bad_token.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_a_corpus_connector_round_trips_templates_operations_and_script(powerplatform: PowerPlatformHttp) -> None:
    properties = paconn_properties(BLACKBAUD)
    script = (BLACKBAUD / "script.csx").read_bytes()
    properties["scriptDefinitionUrl"] = powerplatform.upload(script, "script.csx")
    created = powerplatform.create_api(properties)
    got = powerplatform.get_api(created["name"], **{"$expand": "properties.swagger"}).json()["properties"]
    assert got["policyTemplateInstances"] == properties["policyTemplateInstances"]
    assert got["scriptOperations"] == properties["scriptOperations"] == ["ListConstituentCustomFields"]
    assert (
        got["connectionParameters"]["token"]["oAuthSettings"]
        == properties["connectionParameters"]["token"]["oAuthSettings"]
    )  # the corpus file carries no clientSecret: everything comes back
    assert got["swagger"] == properties["openApiDefinition"]
    download = powerplatform.session.get(got["scriptDefinitionUrl"])
    assert download.status_code == 200 and download.content == script
    assert requests.get(got["scriptDefinitionUrl"], verify=powerplatform.info.ca_path).content == script  # signed
    # An update that sends back the URL a GET gave keeps the script.
    properties["scriptDefinitionUrl"] = got["scriptDefinitionUrl"]
    patched = powerplatform.session.patch(
        powerplatform.powerapps(f"apis/{created['name']}"),
        params=powerplatform.query(),
        json={"properties": properties},
    )
    assert patched.status_code == 200, patched.text
    assert powerplatform.session.get(patched.json()["properties"]["scriptDefinitionUrl"]).content == script


def test_a_script_over_one_megabyte_is_refused_naming_the_limit(powerplatform: PowerPlatformHttp) -> None:
    properties = _oauth_properties()
    properties["scriptDefinitionUrl"] = powerplatform.upload(b"/" * (1024 * 1024 + 1), "script.csx")
    response = powerplatform.session.post(
        powerplatform.powerapps("apis"), params=powerplatform.query(), json={"properties": properties}
    )
    assert response.status_code == 400
    assert "the limit is 1 MB (1048576 bytes)" in response.json()["error"]["message"]
    listed = powerplatform.session.get(powerplatform.powerapps("apis"), params=powerplatform.query()).json()
    assert listed["value"] == []  # nothing was created


def test_connection_parameter_set_secrets_are_write_only_and_kept_across_updates(
    powerplatform: PowerPlatformHttp, emulator: EmulatorServer
) -> None:
    def oauth(secret: str | None) -> dict[str, object]:
        settings: dict[str, object] = {"identityProvider": "aad", "clientId": "c"}
        if secret is not None:
            settings["clientSecret"] = secret
        return {"token": {"type": "oauthSetting", "oAuthSettings": settings}}

    def sets(secret: str | None) -> dict[str, object]:
        return {
            "uiDefinition": {"displayName": "Authentication type"},
            "values": [
                {"name": "oauth", "uiDefinition": {"displayName": "OAuth"}, "parameters": oauth(secret)},
                {"name": "key", "uiDefinition": {"displayName": "Key"}, "parameters": {"k": {"type": "securestring"}}},
            ],
        }

    created = powerplatform.create_api({"openApiDefinition": openapi(), "connectionParameterSets": sets(SECRET)})
    shown = powerplatform.get_api(created["name"]).json()["properties"]["connectionParameterSets"]
    assert shown == sets(None)  # everything but the secret comes back
    (row,) = emulator.store.list_all("pp/apis")
    digests = row.extra["writeOnlyDigests"]
    key = "connectionParameterSets.values[0].parameters.token"
    assert digests == {key: write_only_digest(emulator.context, row.key, key, SECRET)}
    # An update without the secret keeps the one the service holds; nothing stores it in clear.
    patch = {"properties": {"openApiDefinition": openapi(), "connectionParameterSets": sets(None)}}
    url = powerplatform.powerapps(f"apis/{created['name']}")
    assert powerplatform.session.patch(url, params=powerplatform.query(), json=patch).status_code == 200
    (row,) = emulator.store.list_all("pp/apis")
    assert row.extra["writeOnlyDigests"] == digests
    assert SECRET not in json.dumps([row.body, row.extra])
