"""detect_drift: each drift class, and exit codes."""

from __future__ import annotations

from dataclasses import replace

from engine_support import RG_ID, InMemoryTarget, desired_api, desired_state, grant

from connectorops.engine.drift import detect_drift
from connectorops.engine.observe import observe


def _drift(gw: InMemoryTarget, desired: object) -> dict[str, list[str]]:
    observed = observe(gw, desired=desired.custom_apis, drift=True)  # type: ignore[attr-defined]
    report = detect_drift(desired, observed, gw)  # type: ignore[arg-type]
    found: dict[str, list[str]] = {}
    for item in report.items:
        found.setdefault(item.kind, []).append(item.connector)
    found["exit"] = [str(report.exit_code)]
    return found


def test_in_sync_is_exit_zero_with_swagger_compared() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    assert _drift(gw, desired_state(api)) == {"exit": ["0"]}
    assert gw.requests.counts[("GET", "swagger")] == 1  # drift mode downloads the deployed swagger


def test_modified_out_of_band_names_fields_including_swagger() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    gw.swaggers["orders"]["paths"]["/orders"]["get"]["summary"] = "edited in the portal"
    desired = desired_state(api)
    report = detect_drift(desired, observe(gw, desired=desired.custom_apis, drift=True), gw)
    (item,) = report.items
    assert item.kind == "modified" and report.exit_code == 2
    assert [c.path for c in item.changes] == ["properties.swagger.paths['/orders'].get.summary"]


def test_deleted_pending_undeclared_and_unmanaged() -> None:
    gw = InMemoryTarget()
    gw.put_custom_api("stale", desired_api("stale").body)
    gw.put_custom_api("gone", desired_api("gone").body)
    gw.put_custom_api("handmade", {"location": "westeurope", "properties": {}, "tags": {}})
    desired = desired_state(desired_api("orders"), desired_api("stale", description="Changed in git."))
    found = _drift(gw, desired)
    assert found == {
        "deleted": ["orders"],
        "pending": ["stale"],
        "undeclared": ["gone"],
        "unmanaged": ["handmade"],
        "exit": ["2"],
    }


def test_sharing_extra_missing_and_inherited() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    wanted = grant()
    stranger = grant(principal_id="22222222-2222-2222-2222-222222222222")
    gw.put_role_assignment(stranger.scope, "oob", stranger.body())
    gw.role_assignments[f"{stranger.scope}/providers/microsoft.authorization/roleassignments/oob".lower()][
        "properties"
    ]["createdOn"] = "2026-11-01T10:00:00Z"
    gw.put_role_assignment(RG_ID, "rg-level", stranger.body())
    desired = desired_state(api, grants=(wanted,))
    report = detect_drift(desired, observe(gw, desired=desired.custom_apis, drift=True), gw)
    kinds = {i.kind: i for i in report.items}
    assert set(kinds) == {"extra-role-assignment", "missing-role-assignment", "inherited-role-assignment"}
    assert kinds["extra-role-assignment"].since == "2026-11-01T10:00:00Z"
    assert "22222222" in str(kinds["extra-role-assignment"].principal)
    assert kinds["inherited-role-assignment"].severity == "info"
    assert report.exit_code == 2


def test_out_of_band_grant_is_named_in_the_words_of_the_policy() -> None:
    gw = InMemoryTarget()
    api = desired_api()
    gw.put_custom_api("orders", api.body)
    stranger = grant(principal_id="22222222-2222-2222-2222-222222222222")
    gw.put_role_assignment(stranger.scope, "oob", stranger.body())
    desired = replace(
        desired_state(api),
        principal_names={"22222222-2222-2222-2222-222222222222": "alice"},
        role_names={"acdd72a7-3385-48ef-bd42-f606fba81ae7": "use"},
    )
    report = detect_drift(desired, observe(gw, desired=desired.custom_apis, drift=True), gw)
    (item,) = report.items
    assert (item.kind, item.principal, item.role) == ("extra-role-assignment", "alice (Group)", "use")
    assert item.commit is None
