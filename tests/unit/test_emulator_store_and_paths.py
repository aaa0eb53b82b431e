"""The emulator's SQLite store and ARM path parsing, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectorops.emulator.paths import parse_arm_path
from connectorops.emulator.protocol import ArmError, ArmRequest, check_preconditions, require_api_version
from connectorops.emulator.store import EmulatorStore

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"


def test_identity_is_created_once_and_survives_reopening(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    first = EmulatorStore(db)
    identity = (first.token(), first.subscription_id(), first.signing_key())
    first.put(f"{RG}/providers/Microsoft.Web/customApis/a", "Microsoft.Web/customApis", RG, {"name": "a"})
    first.close()
    again = EmulatorStore(db)
    assert (again.token(), again.subscription_id(), again.signing_key()) == identity
    stored = again.get(f"{RG.upper()}/providers/microsoft.web/customapis/A")  # ids compare case-insensitively
    assert stored is not None and stored.body == {"name": "a"}
    assert EmulatorStore(None).token() != identity[0]


def test_list_page_covers_the_parent_and_below_but_not_lookalike_prefixes() -> None:
    store = EmulatorStore(None)
    for rg in ("rg", "rg2", "other"):
        parent = f"/subscriptions/{SUB}/resourceGroups/{rg}"
        store.put(f"{parent}/providers/t/x/{rg}-api", "t/x", parent, {"rg": rg})
    in_rg = store.list_page("t/x", RG, after=None, limit=10)
    assert [r.body["rg"] for r in in_rg] == ["rg"]  # not rg2
    in_sub = store.list_page("t/x", f"/subscriptions/{SUB}", after=None, limit=10)
    assert sorted(r.body["rg"] for r in in_sub) == ["other", "rg", "rg2"]
    first = store.list_page("t/x", f"/subscriptions/{SUB}", after=None, limit=1)
    second = store.list_page("t/x", f"/subscriptions/{SUB}", after=first[0].key, limit=1)
    assert first[0].key < second[0].key


def test_a_failed_transaction_leaves_nothing_behind() -> None:
    store = EmulatorStore(None)
    with pytest.raises(RuntimeError), store.transaction():
        store.put(f"{RG}/a", "t", RG, {})
        raise RuntimeError("boom")
    assert store.get(f"{RG}/a") is None


def test_paths_split_into_scope_provider_type_name_and_action() -> None:
    path = parse_arm_path(f"{RG}/providers/Microsoft.Web/customApis/orders/move")
    assert (path.resource_group, path.namespace, path.type_name, path.name, path.action) == (
        "rg",
        "Microsoft.Web",
        "customApis",
        "orders",
        "move",
    )
    extension = parse_arm_path(
        f"{RG}/providers/Microsoft.Web/customApis/orders/providers/Microsoft.Authorization/roleAssignments/g"
    )
    assert extension.scope == f"{RG}/providers/Microsoft.Web/customApis/orders"
    assert extension.kind == ("microsoft.authorization", "roleassignments")
    assert parse_arm_path(f"/subscriptions/{SUB}/providers/Microsoft.Web/customApis").resource_group is None


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/", 404, "NotFound"),
        ("/subscriptions/not-a-guid/providers/Microsoft.Web/customApis", 400, "InvalidSubscriptionId"),
        (f"{RG}/customApis/x", 404, "NotFound"),
        (f"{RG}/providers/Microsoft.Web", 404, "NotFound"),
    ],
)
def test_malformed_paths_are_arm_errors(path: str, status: int, code: str) -> None:
    with pytest.raises(ArmError) as caught:
        parse_arm_path(path)
    assert (caught.value.status, caught.value.code) == (status, code)


def _request(query: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> ArmRequest:
    return ArmRequest("PUT", "/x", query or {}, headers or {}, b"", "https://h")


def test_api_version_errors_follow_arm() -> None:
    assert require_api_version(_request({"api-version": "2016-06-01"}), "T", ["2016-06-01"]) == "2016-06-01"
    for query, code in (
        ({}, "MissingApiVersionParameter"),
        ({"api-version": "x"}, "InvalidApiVersionParameter"),
        ({"api-version": "2020-01-01"}, "NoRegisteredProviderFound"),
    ):
        with pytest.raises(ArmError) as caught:
            require_api_version(_request(query), "T", ["2016-06-01"])
        assert (caught.value.status, caught.value.code) == (400, code)


def test_preconditions() -> None:
    check_preconditions(_request(headers={"if-match": '"e1"'}), '"e1"', exists=True)
    check_preconditions(_request(headers={"if-match": "*"}), '"e1"', exists=True)
    check_preconditions(_request(headers={"if-none-match": "*"}), None, exists=False)
    for headers, etag, exists in (
        ({"if-match": '"e0"'}, '"e1"', True),
        ({"if-match": "*"}, None, False),
        ({"if-none-match": "*"}, '"e1"', True),
    ):
        with pytest.raises(ArmError) as caught:
            check_preconditions(_request(headers=headers), etag, exists=exists)
        assert (caught.value.status, caught.value.code) == (412, "PreconditionFailed")
