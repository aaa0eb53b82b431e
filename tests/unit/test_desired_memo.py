"""engine/desired_memo.py: a remembered desired state comes back equal, or not at all.

A realistic repository (the example connectors: OAuth with an {env: NAME} secret, Postman, paconn; a paconn
folder of the shared corpus with script.csx; sharing and certification policies) is built, remembered and
recalled in another DesiredMemo (another process); a corrupt entry is a miss, never an exception; the key
names the environment asked for, the commit and the code.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from paconn_corpus import CORPUS

from connectorops.definitions.input_memo import RecordingTree
from connectorops.engine import desired_memo
from connectorops.engine.desired import DesiredState, build_desired_state
from connectorops.engine.desired_memo import DesiredMemo, RememberedDesired
from connectorops.engine.target import Placement
from connectorops.errors import Severity
from connectorops.spec.loader import load_repository
from connectorops.spec.source import FileSystemTree
from connectorops.targets.address import (
    ArmAddress,
    LocalAddress,
    PowerPlatformAddress,
    TargetAddress,
    address_from_dict,
    address_to_dict,
)
from connectorops.targets.arm import ArmPlacement
from connectorops.targets.powerplatform.placement import PowerPlatformPlacement

PROJECT = Path(__file__).resolve().parents[2]
GOVEE = "independent-publisher-connectors/Govee"  # script.csx + scriptOperations
COMMIT = "c0ffee" + "0" * 34
ARM = ArmPlacement("00000000-0000-0000-0000-0000000000aa", "rg-memo", "westeurope")
PRINCIPALS = (("5b0b6a39-2f0e-4d8b-9a71-1c6f3e8d2a01", "Group", "Sales"),)


def _repository(root: Path) -> Path:
    """The project's example connectors and policies, orders shared with its team, and a corpus paconn folder."""
    shutil.copytree(PROJECT / "connectors", root / "connectors")
    shutil.copytree(PROJECT / "policies", root / "policies")
    (root / "connectorops.yaml").write_text(
        "default: local\nenvironments:\n  local: {target: local}\n"
        "  makers: {target: powerplatform, environmentId: 11111111-2222-4333-8444-555555555555}\n"
    )
    orders = root / "connectors" / "orders" / "connector.yaml"
    orders.write_text(orders.read_text() + "  sharing: [{principal: sales-team, role: use}]\n")
    if CORPUS.is_dir():
        shutil.copytree(CORPUS / GOVEE, root / "connectors" / "govee" / "paconn")
        (root / "connectors" / "govee" / "connector.yaml").write_text(
            "apiVersion: connectorops/v1\nkind: Connector\nmetadata: {name: govee}\n"
            "spec:\n  definition: {paconn: paconn}\n"
        )
    return root


def _built(root: Path, environment: str, placement: Placement) -> tuple[list[Any], DesiredState]:
    """What loading and building asked of the tree, and the desired state."""
    recording = RecordingTree(FileSystemTree(root))
    repo = load_repository(recording)
    assert repo.errors == [], [str(p) for p in repo.errors]
    desired = build_desired_state(repo, environment, placement=placement, commit=COMMIT, cache_dir=root / "cache")
    return recording.reads, desired


def _remembered(desired: DesiredState, placement: Placement) -> RememberedDesired:
    address = LocalAddress(platform="arm", state_dir=".connectorops", subscription_id=None,
                           resource_group="rg-memo", location="westeurope")  # fmt: skip
    return RememberedDesired(desired.environment, address_to_dict(address), placement.identity, PRINCIPALS, desired)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _repository(tmp_path_factory.mktemp("memo") / "repo")


@pytest.fixture(scope="module")
def arm_state(repository: Path) -> tuple[list[Any], DesiredState]:
    return _built(repository, "local", ARM)


def _memo(tmp_path: Path) -> DesiredMemo:
    return DesiredMemo(tmp_path / "desired")


def _entry_files(tmp_path: Path) -> list[Path]:
    """The one entry's two files: its recorded questions, then its value."""
    (asked,) = (tmp_path / "desired" / "asked").glob("*.json")
    (value,) = (tmp_path / "desired" / "values").glob("*.json")
    return [asked, value]


# ---- round trip -----------------------------------------------------------------------------------------------


def test_an_arm_desired_state_comes_back_equal(
    repository: Path, arm_state: tuple[list[Any], DesiredState], tmp_path: Path
) -> None:
    asked, desired = arm_state
    # everything a desired state can hold is there, or the round trip proves little
    names = {api.name for api in desired.custom_apis}
    assert {"orders", "balance-control", "d7sms"} <= names
    assert desired.role_assignments and desired.principal_names and desired.role_names and desired.findings
    assert any(p.severity == Severity.WARNING and p.line and p.code for p in desired.problems)
    orders = desired.custom_api("orders")
    assert orders is not None and orders.secret_refs == {
        "/token/oAuthSettings/clientSecret": {"env": "ORDERS_CLIENT_SECRET"}
    }
    value = _remembered(desired, ARM)
    _memo(tmp_path).remember(asked, None, COMMIT, value)
    recalled = _memo(tmp_path).recall(FileSystemTree(repository), None, COMMIT)  # as another process would
    assert recalled == value
    assert recalled is not None and recalled.desired == desired and recalled.identity == ARM.identity


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_a_power_platform_desired_state_with_files_comes_back_equal(repository: Path, tmp_path: Path) -> None:
    placement = PowerPlatformPlacement("11111111-2222-4333-8444-555555555555")
    asked, desired = _built(repository, "makers", placement)
    govee = desired.custom_api("govee")
    assert govee is not None and "script.csx" in govee.body["files"] and govee.create_only
    value = _remembered(desired, placement)
    _memo(tmp_path).remember(asked, "makers", COMMIT, value)
    assert _memo(tmp_path).recall(FileSystemTree(repository), "makers", COMMIT) == value


def test_an_edited_file_is_a_miss(arm_state: tuple[list[Any], DesiredState], tmp_path: Path) -> None:
    asked, desired = arm_state
    root = _repository(tmp_path / "copy")
    _memo(tmp_path).remember(asked, None, COMMIT, _remembered(desired, ARM))
    assert _memo(tmp_path).recall(FileSystemTree(root), None, COMMIT) is not None  # a copy answers the same
    icon = root / "connectors" / "d7sms" / "paconn" / "icon.png"
    icon.write_bytes(icon.read_bytes() + b"\0")
    assert _memo(tmp_path).recall(FileSystemTree(root), None, COMMIT) is None


# ---- corrupt entries ------------------------------------------------------------------------------------------


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(entry: dict[str, Any]) -> None:
        target: Any = entry
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def change(entry: dict[str, Any]) -> None:
        target: Any = entry
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


def _nest(entry: dict[str, Any]) -> None:
    entry["value"] = {"value": entry["value"]}


# An entry is two files: asked/<key>.json {"key", "value": {"token", "asked"}} and values/<key>.json
# {"key", "value": {"token", "value": RememberedDesired}}. A corruption changes whichever file has its path.
V = ("value", "value")
D = (*V, "desired")
CORRUPTIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "value a list": _set(("value",), []),
    "another run's token": lambda entry: entry["value"].update(
        token=entry["value"]["token"] + str(len(entry["key"])) if "asked" in entry["value"] else "another run"
    ),
    "asked missing": _delete(("value", "asked")),
    "asked a dict": _set(("value", "asked"), {}),
    "asked a string": _set(("value", "asked"), "read_bytes"),
    "a question no tree has": _set(("value", "asked", 0), ["unlink", "connectorops.yaml", ["ok", None]]),
    "remembered value missing": _delete(V),
    "remembered value a list": _set(V, []),
    "extra nesting": _nest,
    "environment a number": _set((*V, "environment"), 5),
    "address a list": _set((*V, "address"), []),
    "identity a list": _set((*V, "identity"), []),
    "identity fields strings": _set((*V, "identity", "fields"), ["ab", "cd"]),
    "principals a string": _set((*V, "principals"), "abc"),
    "principal a string of three": _set((*V, "principals"), ["abc"]),
    "desired missing": _delete(D),
    "custom apis a dict": _set((*D, "customApis"), {"orders": {}}),
    "a custom api a list": _set((*D, "customApis", 0), []),
    "a custom api without its body": _delete((*D, "customApis", 0, "body")),
    "a body a list": _set((*D, "customApis", 0, "body"), []),
    "adopt a string": _set((*D, "customApis", 0, "adopt"), "yes"),
    "create only a string": _set((*D, "customApis", 0, "createOnly"), "displayName"),
    "a secret reference a number": _set((*D, "customApis", 0, "secretRefs"), {"/token": 5}),
    "a role assignment a dict": _set((*D, "roleAssignments"), [{"name": "x"}]),
    "a role assignment row of numbers": _set((*D, "roleAssignments"), [[1, 2, 3, 4, 5, 6, 7]]),
    "problems a string": _set((*D, "problems"), "ab"),
    "a problem without a message": _set((*D, "problems"), [{"severity": "error"}]),
    "a problem message a number": _set((*D, "problems"), [{"message": 5}]),
    "a problem line a string": _set((*D, "problems"), [{"message": "m", "line": "7"}]),
    "a problem severity unknown": _set((*D, "problems"), [{"message": "m", "severity": "fatal"}]),
    "a finding a dict": _set((*D, "findings"), [{"ruleId": "x"}]),
    "a finding with an unknown enforcement": _set(
        (*D, "findings"), [["r", "warning", "strict", "f", "", "m", "h", None]]
    ),
    "commit a number": _set((*D, "commit"), 7),
    "declared a string": _set((*D, "declared"), "orders"),
    "principal names a list": _set((*D, "principalNames"), [["a", "b"]]),
    "role names of numbers": _set((*D, "roleNames"), {"a": 1}),
    "connector ids null": _set((*D, "connectorIds"), None),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_entry_is_a_miss(
    corruption: str, repository: Path, arm_state: tuple[list[Any], DesiredState], tmp_path: Path
) -> None:
    asked, desired = arm_state
    memo = _memo(tmp_path)
    memo.remember(asked, None, COMMIT, _remembered(desired, ARM))
    assert memo.recall(FileSystemTree(repository), None, COMMIT) is not None  # the entry as written is a hit
    changed = 0
    for path in _entry_files(tmp_path):
        entry = json.loads(path.read_text())
        try:
            CORRUPTIONS[corruption](entry)
        except (KeyError, IndexError, TypeError):
            continue  # the path is in the other file
        path.write_text(json.dumps(entry))
        changed += 1
    assert changed
    assert memo.recall(FileSystemTree(repository), None, COMMIT) is None


@pytest.mark.parametrize(
    "content",
    [b"not json {", b"", b"\xff\xfe", b"[]", b"null", b'{"key": "other", "value": {}}', b"[" * 100_000],
    ids=["not json", "empty", "not utf-8", "a list", "null", "another key", "nested too deeply"],
)
def test_an_unreadable_entry_is_a_miss(
    content: bytes, repository: Path, arm_state: tuple[list[Any], DesiredState], tmp_path: Path
) -> None:
    asked, desired = arm_state
    memo = _memo(tmp_path)
    memo.remember(asked, None, COMMIT, _remembered(desired, ARM))
    for path in _entry_files(tmp_path):
        saved = path.read_bytes()
        path.write_bytes(content)
        assert memo.recall(FileSystemTree(repository), None, COMMIT) is None, path.parent.name
        path.write_bytes(saved)
    assert memo.recall(FileSystemTree(repository), None, COMMIT) is not None


# ---- the key --------------------------------------------------------------------------------------------------


def test_the_key_names_the_environment_asked_for_the_commit_and_the_code(
    repository: Path, arm_state: tuple[list[Any], DesiredState], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked, desired = arm_state
    memo = _memo(tmp_path)
    value = _remembered(desired, ARM)
    tree = FileSystemTree(repository)
    memo.remember(asked, None, COMMIT, value)
    assert memo.recall(tree, None, COMMIT) == value
    other_commit = "d" * 40
    for requested, commit in (("local", COMMIT), ("makers", COMMIT), (None, other_commit), (None, None)):
        assert memo.recall(tree, requested, commit) is None, (requested, commit)
    memo.remember(asked, "local", COMMIT, value)
    memo.remember(asked, None, other_commit, value)
    memo.remember(asked, None, None, value)
    assert len(list((tmp_path / "desired" / "asked").glob("*.json"))) == 4
    monkeypatch.setattr(desired_memo, "code_fingerprint", lambda: "another version of connectorops")
    assert memo.recall(tree, None, COMMIT) is None
    memo.remember(asked, None, COMMIT, value)
    assert memo.recall(tree, None, COMMIT) == value
    assert len(list((tmp_path / "desired" / "values").glob("*.json"))) == 5


# ---- the remembered address -----------------------------------------------------------------------------------

AZURE = ArmAddress("https://management.azure.com", "00000000-0000-0000-0000-0000000000aa", "rg", "westeurope",
                   "token-env", None)  # fmt: skip
MAKERS = PowerPlatformAddress("11111111-2222-4333-8444-555555555555", "https://api.powerapps.com",
                              "https://api.flow.microsoft.com", "default", "/etc/ca.pem", "s1", "s2")  # fmt: skip
LOCAL = LocalAddress("powerplatform", ".connectorops", None, "rg", "westeurope")


@pytest.mark.parametrize("address", [AZURE, MAKERS, LOCAL], ids=["azure", "powerplatform", "local"])
def test_an_address_comes_back_equal(address: TargetAddress) -> None:
    assert address_from_dict(json.loads(json.dumps(address_to_dict(address)))) == address


@pytest.mark.parametrize(
    ("address", "change"),
    [
        (AZURE, {"credential": "interactive"}),  # would fall back to DefaultAzureCredential
        (AZURE, {"arm_endpoint": None}),  # required: opening it would raise AttributeError
        (AZURE, {"subscription_id": None}),
        (AZURE, {"ca_bundle": 5}),
        (AZURE, {"tenant": "x"}),
        (AZURE, {"kind": "aws"}),
        (MAKERS, {"token_scope": ["a"]}),
        (LOCAL, {"platform": "dataverse"}),
        (LOCAL, {"state_dir": None}),
    ],
    ids=lambda value: value.kind if hasattr(value, "kind") else ",".join(value),
)
def test_a_corrupt_address_is_refused(address: TargetAddress, change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        address_from_dict({**address_to_dict(address), **change})
