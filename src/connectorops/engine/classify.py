"""The one comparison of desired against observed, per connector and per grant: plan and drift both read it.

As Terraform keeps drift inside the plan, the kinds turn each classification into actions
(engine/kinds/connector.py, grant.py) and drift turns the same classification into report items
(engine/drift.py); neither compares the two states again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from connectorops import tags
from connectorops.engine.diff import FieldChange, diff_custom_api
from connectorops.engine.observe import ObservedState, belongs_to, resource_tags
from connectorops.policy.role_assignments import SharingDrift, classify_assignments

if TYPE_CHECKING:
    from connectorops.engine.desired import DesiredState
    from connectorops.render import DesiredCustomApi


class ConnectorState(StrEnum):
    MISSING = "missing"  # git declares it, the target lacks it
    NOT_OURS = "not-ours"  # git declares it, the target holds an unmanaged one of that name (or the one to adopt)
    # git adopts a connector by another name (connectorops/adopt: X), but X is managed already
    ADOPT_TAKEN = "adopt-taken"
    OTHER_ENVIRONMENT = "other-environment"  # git declares it, managed for another environment
    PENDING = "pending"  # ours, and git's fingerprint differs from the one applied
    MODIFIED = "modified"  # ours, same fingerprint, but fields differ: changed out of band
    IN_SYNC = "in-sync"  # ours, same fingerprint, no field differs
    UNDECLARED = "undeclared"  # ours for this environment, no longer in git
    UNMANAGED = "unmanaged"  # not managed, not declared: reported, never touched


# Ours for this environment: its grants are compared with git's.
OURS = frozenset({ConnectorState.PENDING, ConnectorState.MODIFIED, ConnectorState.IN_SYNC, ConnectorState.UNDECLARED})


@dataclass(frozen=True)
class ConnectorClass:
    """One connector's classification, with what it was computed from."""

    name: str
    state: ConnectorState
    resource_id: str  # the observed id, else the id the target would give it
    want: DesiredCustomApi | None = None  # None: not declared in git
    have: dict[str, Any] | None = None  # None: absent from the target
    # the deployed swagger that was compared (None: not downloaded, or nothing deployed)
    swagger: dict[str, Any] | None = None
    changes: tuple[FieldChange, ...] = ()  # desired body against the deployed one (declared and present only)
    found: dict[str, str] = field(default_factory=dict)  # the deployed resource's tags
    # differences at paths the target takes on create only (want.create_only): shown, never planned
    create_only: tuple[FieldChange, ...] = ()
    # adopting under another name: the name the target lists `have` by (want.adopt_from, as listed)
    listed_as: str = ""

    @property
    def fingerprint_differs(self) -> bool:
        return self.want is not None and self.found.get(tags.FINGERPRINT) != self.want.fingerprint


def _declared(desired: DesiredState, observed: ObservedState) -> set[str]:
    renames = observed.adopts_under_another_name
    adopted = {d.adopt_from.lower() for d in desired.custom_apis if d.adopt_from and renames}
    return set(desired.declared) | {d.name.lower() for d in desired.custom_apis} | adopted


def _classify_declared(want: DesiredCustomApi, desired: DesiredState, observed: ObservedState) -> ConnectorClass:
    have = observed.custom_api(want.name)
    if have is None and want.adopt_from and observed.adopts_under_another_name:
        return _classify_adoption(want, desired, observed)
    resource_id = str((have or {}).get("id") or desired.connector_id(want.name))
    if have is None:
        return ConnectorClass(want.name, ConnectorState.MISSING, resource_id, want=want)
    return _compared(want, have, observed.swagger_of(want.name), desired, resource_id)


def _classify_adoption(want: DesiredCustomApi, desired: DesiredState, observed: ObservedState) -> ConnectorClass:
    """Git adopts, under its own name, the connector the target lists as `want.adopt_from`. Its id is the one
    it has once adopted: that is where git's grants go (the target lists it by `want.name` afterwards)."""
    resource_id = desired.connector_id(want.name)
    have = observed.known_as(want.adopt_from)
    if have is None:
        return ConnectorClass(want.name, ConnectorState.MISSING, resource_id, want=want)
    listed = str(have.get("name", ""))
    found = resource_tags(have)
    if tags.is_managed(found):
        return ConnectorClass(
            want.name, ConnectorState.ADOPT_TAKEN, resource_id, want, have, found=found, listed_as=listed
        )
    entry = _compared(want, have, observed.swagger_of(listed), desired, resource_id)
    return replace(entry, listed_as=listed)


def _compared(
    want: DesiredCustomApi,
    have: dict[str, Any],
    swagger: dict[str, Any] | None,
    desired: DesiredState,
    resource_id: str,
) -> ConnectorClass:
    found = resource_tags(have)
    # Diffed in every state: adopting an unmanaged connector shows what differs too.
    changes, create_only = _split_create_only(diff_custom_api(want.body, have, observed_swagger=swagger), want)
    if not tags.is_managed(found):
        state = ConnectorState.NOT_OURS
    elif not belongs_to(have, desired.environment):
        state = ConnectorState.OTHER_ENVIRONMENT
    elif found.get(tags.FINGERPRINT) != want.fingerprint:
        state = ConnectorState.PENDING
    elif changes:
        state = ConnectorState.MODIFIED
    else:
        state = ConnectorState.IN_SYNC
    return ConnectorClass(want.name, state, resource_id, want, have, swagger, changes, found, create_only)


def _split_create_only(
    changes: tuple[FieldChange, ...], want: DesiredCustomApi
) -> tuple[tuple[FieldChange, ...], tuple[FieldChange, ...]]:
    """(changes an update makes, differences only a new create would remove)."""
    if not want.create_only:
        return changes, ()
    fixed = tuple(c for c in changes if any(c.path == p or c.path.startswith(p + ".") for p in want.create_only))
    return tuple(c for c in changes if c not in fixed), fixed


def classify_connectors(desired: DesiredState, observed: ObservedState) -> list[ConnectorClass]:
    """Every declared connector (by name), then every undeclared one that is ours or unmanaged (by name).

    Undeclared connectors managed for another environment are not this environment's business: left out.
    """
    result = [
        _classify_declared(want, desired, observed)
        for want in sorted(desired.custom_apis, key=lambda d: d.name.lower())
    ]
    declared = _declared(desired, observed)
    for have in sorted(observed.custom_apis, key=lambda c: str(c.get("name", "")).lower()):
        name = str(have.get("name", ""))
        if name.lower() in declared:
            continue
        found = resource_tags(have)
        resource_id = str(have.get("id") or desired.connector_id(name))
        if not tags.is_managed(found):
            result.append(ConnectorClass(name, ConnectorState.UNMANAGED, resource_id, have=have, found=found))
        elif belongs_to(have, desired.environment):
            result.append(ConnectorClass(name, ConnectorState.UNDECLARED, resource_id, have=have, found=found))
    return result


def our_scopes(classes: list[ConnectorClass]) -> set[str]:
    """The ids of the connectors that are ours for this environment (where grants are compared)."""
    return {c.resource_id for c in classes if c.state in OURS and c.resource_id}


def classify_grants(desired: DesiredState, observed: ObservedState, scopes: set[str]) -> SharingDrift:
    """Observed grants at `scopes` in sync or out of band, those above them inherited, git's grants missing there.

    Drift compares at the connectors that are ours (`our_scopes`); the grant kind also at the one being
    adopted, since apply takes its sharing over.
    """
    return classify_assignments(list(observed.role_assignments), list(desired.role_assignments), scopes)
