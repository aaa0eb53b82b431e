"""The desired state of an unchanged repository, kept between runs: a no-op plan need not build it again.

The per-connector resolution cache (engine/resolution_cache.py) one level up. The entry for (the
environment asked for, the commit, the code) records every question that loading the repository and
building the desired state asked of the tree (definitions/input_memo.RecordingTree: contents as sha256,
listings, existence) and is used only when the tree gives the same answers now; any edit, new or removed
file misses. It holds plain data only (the environment's name and target address, the identity of the
target it was rendered for, the local emulator's directory, the DesiredState), so reading it back needs
neither YAML nor the spec models. No secret is in it: a desired state holds secret references, not values.
Problems that do not come from the tree (git's uncommitted-changes warning) are never stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectorops.definitions.input_memo import Read, still_valid
from connectorops.definitions.verdict_cache import VerdictCache, code_fingerprint, verdict_key
from connectorops.engine.desired import DesiredState
from connectorops.engine.target import TargetId
from connectorops.errors import Problem
from connectorops.policy.certification.findings import Finding
from connectorops.policy.role_assignments import DesiredRoleAssignment
from connectorops.render import DesiredCustomApi
from connectorops.spec.source import SourceTree

DESIRED_DIR = "desired"  # beside verdicts/ and connectors/ under .connectorops/cache
MAX_ENTRIES = 32  # one per environment and commit; older commits age out
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # a few kB per connector: thousands fit


@dataclass(frozen=True)
class RememberedDesired:
    """What a plan needs of the repository, once it is loaded: where the target is and what git wants there."""

    environment: str  # the environment's name (the config's default resolved)
    address: dict[str, Any]  # targets.address.address_to_dict of its target (the engine does not read it)
    identity: TargetId  # the target the desired state was rendered for (ids and grant scopes name it)
    principals: tuple[tuple[str, str, str], ...]  # the local emulator's directory, from policies/sharing.yaml
    desired: DesiredState
    # files outside the repository that loading required to exist (absolute caBundles): not among the
    # tree's recorded questions, so whoever recalls the state checks them
    outside: tuple[str, ...] = ()


class DesiredMemo:
    """Entries under <cache>/desired, per (environment asked for, commit): the recorded questions in asked/,
    the value in values/ (VerdictCaches), so a miss never parses a large value.

    Both halves carry the same random token, written value first: halves of two runs (concurrent writers,
    a run killed between the writes) never pair up.
    """

    def __init__(self, directory: Path) -> None:
        self._asked = VerdictCache(directory / "asked", max_entries=MAX_ENTRIES)
        self._values = VerdictCache(directory / "values", max_entries=MAX_ENTRIES, max_entry_bytes=MAX_ENTRY_BYTES)

    @staticmethod
    def _key(requested: str | None, commit: str | None) -> str | None:
        return verdict_key("desired-state", code_fingerprint(), requested, commit)

    def recall(self, tree: SourceTree, requested: str | None, commit: str | None) -> RememberedDesired | None:
        """The remembered value when every question recorded with it gets the same answer from `tree` now."""
        key = self._key(requested, commit)
        asked = self._asked.get(key) if key is not None else None
        if key is None or not isinstance(asked, dict):
            return None
        try:
            if not still_valid(asked["asked"], tree):
                return None
            value = self._values.get(key)
            if not isinstance(value, dict) or value["token"] != asked["token"]:
                return None
            return _decoded(value["value"])
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
            return None  # a corrupt or foreign entry: load again

    def remember(self, asked: list[Read], requested: str | None, commit: str | None, value: RememberedDesired) -> None:
        key = self._key(requested, commit)
        if key is not None:
            token = secrets.token_hex(16)
            self._values.put(key, {"token": token, "value": _encoded(value)})
            self._asked.put(key, {"token": token, "asked": asked})


def _encoded(value: RememberedDesired) -> dict[str, Any]:
    desired = value.desired
    return {
        "environment": value.environment,
        "address": value.address,
        "identity": {"kind": value.identity.kind, "fields": [list(pair) for pair in value.identity.fields]},
        "principals": [list(entry) for entry in value.principals],
        "outside": list(value.outside),
        "desired": {
            "environment": desired.environment,
            "customApis": [_api_to_dict(api) for api in desired.custom_apis],
            "roleAssignments": [_grant_to_row(grant) for grant in desired.role_assignments],
            "problems": [problem.to_dict() for problem in desired.problems],
            "findings": [finding.to_row() for finding in desired.findings],
            "commit": desired.commit,
            "declared": sorted(desired.declared),
            "principalNames": desired.principal_names,
            "roleNames": desired.role_names,
            "connectorIds": desired.connector_ids,
        },
    }


def _decoded(data: dict[str, Any]) -> RememberedDesired:
    desired = data["desired"]
    identity = data["identity"]
    return RememberedDesired(
        environment=_text(data["environment"]),
        address=_mapping(data["address"]),
        identity=TargetId(_text(identity["kind"]), tuple(_pair(pair) for pair in _list(identity["fields"]))),
        principals=tuple(_triple(entry) for entry in _list(data["principals"])),
        outside=tuple(_text(path) for path in _list(data["outside"])),
        desired=DesiredState(
            environment=_text(desired["environment"]),
            custom_apis=tuple(_api_from_dict(api) for api in _list(desired["customApis"])),
            role_assignments=tuple(_grant_from_row(row) for row in _list(desired["roleAssignments"])),
            problems=tuple(_problem(problem) for problem in _list(desired["problems"])),
            findings=tuple(Finding.from_row(row) for row in _list(desired["findings"])),
            commit=None if desired["commit"] is None else _text(desired["commit"]),
            declared=frozenset(_text(name) for name in _list(desired["declared"])),
            principal_names=_texts(desired["principalNames"]),
            role_names=_texts(desired["roleNames"]),
            connector_ids=_texts(desired["connectorIds"]),
        ),
    )


def _api_to_dict(api: DesiredCustomApi) -> dict[str, Any]:
    return {
        "name": api.name,
        "body": api.body,
        "fingerprint": api.fingerprint,
        "sourcePath": api.source_path,
        "environment": api.environment,
        "deletionPolicy": api.deletion_policy,
        "secretRefs": api.secret_refs,
        "adopt": api.adopt,
        "adoptFrom": api.adopt_from,
        "adoptLine": api.adopt_line,
        "createOnly": list(api.create_only),
    }


def _line(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("adoptLine is not a line number")
    return value


def _api_from_dict(data: dict[str, Any]) -> DesiredCustomApi:
    if not isinstance(data["adopt"], bool):
        raise ValueError("adopt is not a boolean")
    return DesiredCustomApi(
        name=_text(data["name"]),
        body=_mapping(data["body"]),
        fingerprint=_text(data["fingerprint"]),
        source_path=_text(data["sourcePath"]),
        environment=_text(data["environment"]),
        deletion_policy=_text(data["deletionPolicy"]),
        secret_refs={_text(pointer): _mapping(ref) for pointer, ref in _mapping(data["secretRefs"]).items()},
        adopt=data["adopt"],
        adopt_from=_text(data.get("adoptFrom", "")),
        adopt_line=_line(data.get("adoptLine")),
        create_only=tuple(_text(path) for path in _list(data["createOnly"])),
    )


GRANT_FIELDS = ("name", "scope", "principal_name", "principal_id", "principal_type", "role_name", "role_definition_id")


def _grant_to_row(grant: DesiredRoleAssignment) -> list[str]:
    return [getattr(grant, name) for name in GRANT_FIELDS]


def _grant_from_row(row: Any) -> DesiredRoleAssignment:
    if not isinstance(row, list) or len(row) != len(GRANT_FIELDS):
        raise ValueError("not a role assignment")
    return DesiredRoleAssignment(*(_text(value) for value in row))


def _problem(value: Any) -> Problem:
    """Problem.from_dict of a stored problem whose every field has its type (from_dict itself coerces)."""
    data = _mapping(value)
    _text(data["message"])
    for name in ("file", "field", "hint", "code"):
        if data.get(name) is not None:
            _text(data[name])
    for name in ("line", "column"):
        if data.get(name) is not None and (not isinstance(data[name], int) or isinstance(data[name], bool)):
            raise ValueError(f"{name} is not a number")
    return Problem.from_dict(data)


def _pair(value: Any) -> tuple[str, str]:
    first, second = _row(value, 2)
    return first, second


def _triple(value: Any) -> tuple[str, str, str]:
    first, second, third = _row(value, 3)
    return first, second, third


def _row(value: Any, length: int) -> list[str]:
    """A stored tuple of `length` strings (unpacking a string of that length would pass)."""
    row = _list(value)
    if len(row) != length:
        raise ValueError(f"not {length} values")
    return [_text(item) for item in row]


def _list(value: Any) -> list[Any]:
    """A stored sequence: never a string or an object, whose iteration would give characters or keys."""
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _texts(value: Any) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in _mapping(value).items()}
