"""Mass-deletion guards for `pulumi up`: the rules of `connectorops plan` (engine/guards.py), raised as errors.

Pulumi deletes whatever the program stops declaring; CrossGuard cannot see deletions. So before
declaring anything the program compares git with the managed customApis in Azure and refuses an
empty desired set or more deletions than allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectorops import tags
from connectorops.engine.guards import exceeds_max_deletions, refuses_empty_desired
from connectorops.engine.observe import belongs_to
from connectorops.errors import PlanBlocked


def managed_custom_api_names(custom_apis: Iterable[dict[str, Any]], environment: str) -> list[str]:
    """Names of customApis we manage for `environment`, except `orphan` ones (Pulumi retains those)."""
    names = []
    for api in custom_apis:
        # The engine's rule for "ours in this environment", so both paths guard the same set.
        if not belongs_to(api, environment):
            continue
        if (api.get("tags") or {}).get(tags.DELETION_POLICY) == "orphan":
            continue
        names.append(str(api.get("name") or ""))
    return sorted(names)


def check_deletions(
    managed: Iterable[str], declared: Iterable[str], *, allow_empty: bool, max_deletions: int
) -> list[str]:
    """The managed connectors git no longer declares; raises PlanBlocked when a guard refuses them."""
    wanted = {name.lower() for name in declared}
    deleting = sorted(name for name in managed if name.lower() not in wanted)
    if refuses_empty_desired(len(deleting), declares_any=bool(wanted), allow_empty=allow_empty):
        raise PlanBlocked(
            f"git declares no connectors while {len(deleting)} managed connector(s) exist; refusing to delete them all",
            hint="set `pulumi config set connectorops:allowEmpty true` if that is really intended",
        )
    if exceeds_max_deletions(len(deleting), max_deletions):
        raise PlanBlocked(
            f"this update would delete {len(deleting)} connectors ({', '.join(deleting)}), "
            f"more than connectorops:maxDeletions {max_deletions}",
            hint="raise connectorops:maxDeletions for this run if intended",
        )
    return deleting
