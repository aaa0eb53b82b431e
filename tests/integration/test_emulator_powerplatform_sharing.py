"""Connector sharing on the emulator's Power Platform surface: permissions and modifyPermissions,
maker and admin paths, the creator as Owner, the tenant only CanView, refusals before any write."""

from __future__ import annotations

from typing import Any

from powerplatform_support import PERMISSIONS, PowerPlatformHttp, openapi

USER = "11111111-1111-1111-1111-111111111111"
GROUP = "22222222-2222-2222-2222-222222222222"
TENANT = "33333333-3333-3333-3333-333333333333"


def _share(principal_id: str, kind: str, role: str) -> dict[str, Any]:
    return {
        "properties": {
            "roleName": role,
            "capabilities": [],
            "NotifyShareTargetOption": "Notify",
            "principal": {"id": principal_id, "type": kind, "tenantId": TENANT},
        }
    }


def _permissions(client: PowerPlatformHttp, name: str) -> dict[str, str]:
    response = client.session.get(
        client.powerapps(f"apis/{name}/permissions"), params=client.query(version=PERMISSIONS)
    )
    assert response.status_code == 200, response.text
    return {p["name"]: p["properties"]["roleName"] for p in response.json()["value"]}


def _modify(client: PowerPlatformHttp, path: str, body: dict[str, Any], admin: bool = False) -> Any:
    params = {"api-version": PERMISSIONS} if admin else client.query(version=PERMISSIONS)
    return client.session.post(client.powerapps(path), params=params, json=body)


def test_the_creator_is_owner_and_maker_shares_are_listed(powerplatform: PowerPlatformHttp) -> None:
    name = powerplatform.create_api({"openApiDefinition": openapi()})["name"]
    owners = _permissions(powerplatform, name)
    assert list(owners.values()) == ["Owner"]
    body = {"put": [_share(USER, "User", "CanEdit"), _share(GROUP, "Group", "CanViewWithShare")], "delete": []}
    response = _modify(powerplatform, f"apis/{name}/modifyPermissions", body)
    assert response.status_code == 200, response.text
    listed = _permissions(powerplatform, name)
    assert listed == {**owners, USER: "CanEdit", GROUP: "CanViewWithShare"}
    item = next(
        p
        for p in powerplatform.session.get(
            powerplatform.powerapps(f"apis/{name}/permissions"), params=powerplatform.query(version=PERMISSIONS)
        ).json()["value"]
        if p["name"] == USER
    )
    assert item["id"] == f"/providers/Microsoft.PowerApps/apis/{name}/permissions/{USER}"
    assert item["properties"]["principal"] == {"id": USER, "type": "User", "tenantId": TENANT}


def test_admin_path_grants_and_revokes_with_the_admin_permission_id(powerplatform: PowerPlatformHttp) -> None:
    name = powerplatform.create_api({"openApiDefinition": openapi()})["name"]
    admin = f"scopes/admin/environments/{powerplatform.env}/apis/{name}/modifyPermissions"
    assert _modify(powerplatform, admin, {"put": [_share(TENANT, "Tenant", "CanView")]}, admin=True).status_code == 200
    assert _permissions(powerplatform, name)[TENANT] == "CanView"
    admin_list = powerplatform.session.get(
        powerplatform.powerapps(f"scopes/admin/environments/{powerplatform.env}/apis/{name}/permissions"),
        params={"api-version": PERMISSIONS},
    )
    assert {p["name"]: p["properties"]["roleName"] for p in admin_list.json()["value"]} == _permissions(
        powerplatform, name
    )
    permission_id = (
        f"/providers/Microsoft.PowerApps/scopes/admin/environments/{powerplatform.env}/apis/{name}/permissions/{TENANT}"
    )
    revoked = _modify(powerplatform, admin, {"delete": [{"id": permission_id}]}, admin=True)
    assert revoked.status_code == 200
    assert TENANT not in _permissions(powerplatform, name)


def test_tenant_with_more_than_can_view_is_refused_and_nothing_is_written(powerplatform: PowerPlatformHttp) -> None:
    name = powerplatform.create_api({"openApiDefinition": openapi()})["name"]
    before = _permissions(powerplatform, name)
    for role in ("CanEdit", "CanViewWithShare"):
        body = {"put": [_share(USER, "User", "CanView"), _share(TENANT, "Tenant", role)]}
        response = _modify(powerplatform, f"apis/{name}/modifyPermissions", body)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "InvalidTenantPermission" and f"not {role}" in error["message"]
        assert _permissions(powerplatform, name) == before  # the user's share in the same body did not land


def test_bad_permission_requests(powerplatform: PowerPlatformHttp) -> None:
    name = powerplatform.create_api({"openApiDefinition": openapi()})["name"]
    owner = next(iter(_permissions(powerplatform, name)))
    bad_role = _modify(powerplatform, f"apis/{name}/modifyPermissions", {"put": [_share(USER, "User", "Owner")]})
    assert bad_role.status_code == 400 and "roleName 'Owner'" in bad_role.json()["error"]["message"]
    owner_id = f"/providers/Microsoft.PowerApps/apis/{name}/permissions/{owner}"
    kept = _modify(powerplatform, f"apis/{name}/modifyPermissions", {"delete": [{"id": owner_id}]})
    assert kept.status_code == 400 and kept.json()["error"]["code"] == "CannotRemoveOwner"
    wrong_version = powerplatform.session.get(
        powerplatform.powerapps(f"apis/{name}/permissions"), params=powerplatform.query()
    )
    assert wrong_version.status_code == 400 and "use '2017-06-01'" in wrong_version.json()["error"]["message"]
    missing = _modify(powerplatform, "apis/shared_nosuch-0/modifyPermissions", {"put": []})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ApiNotFound"
