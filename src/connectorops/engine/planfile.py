"""Saved plans: write/read plan.json, and refuse to apply one that a plan made now would not equal.

A saved plan is never trusted: `apply --plan` re-reads git, re-observes (connections and Logic Apps
or flows included), plans again with the saved options and compares every change (kind, verdict, body,
fingerprints, etags, impact, deletion policy, acknowledgement). Only an identical plan is applied, and
what runs is the fresh one, so an edited file cannot add, unblock or alter anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectorops.canonical import canonical_json
from connectorops.definitions.documents import check_json_nesting
from connectorops.engine.actions import Action, ActionKind
from connectorops.engine.impact import Impact
from connectorops.engine.kinds import KINDS, kind_of
from connectorops.engine.plan import SCHEMA_VERSION, Plan
from connectorops.errors import PlanError, StalePlanError
from connectorops.spec.source import NotRegularFileError, read_regular_file

# A plan nests a definition (at most MAX_NESTING levels, definitions.documents) a few levels deep;
# anything deeper was not written by `plan` and would overflow the recursive walks that read it.
MAX_PLAN_DEPTH = 256
PLAN_FILE_HINT = "pass the plan.json written by `connectorops plan --out FILE`"


def save_plan(plan: Plan, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as error:
        raise PlanError(
            f"cannot write the plan file: {error.strerror or error}"
            + (f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""),
            file=str(path),
            hint="pass --out a file path in a writable folder (not a folder itself)",
        ) from None


def load_plan(path: Path) -> Plan:
    try:
        text = read_regular_file(path).decode("utf-8")
        check_json_nesting(text, MAX_PLAN_DEPTH, lambda line, column: _too_deep(path, line, column))
        data: Any = json.loads(text)
    except FileNotFoundError:
        raise PlanError(
            f"plan file not found: {path}", file=str(path), hint="make one with `connectorops plan --out FILE`"
        ) from None
    except NotRegularFileError as error:
        raise PlanError(f"the plan file is {error.strerror}", file=str(path), hint=PLAN_FILE_HINT) from None
    except json.JSONDecodeError as error:
        raise PlanError(
            f"the plan file is not valid JSON: {error.msg}", file=str(path), line=error.lineno, column=error.colno
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PlanError(f"cannot read plan file: {error}", file=str(path)) from None
    except RecursionError:  # the C decoder's own bound, far below what a file can nest
        raise _too_deep(path) from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise PlanError(f"cannot read plan file: {error}", file=str(path)) from None
    if not isinstance(data, dict) or data.get("schemaVersion") != SCHEMA_VERSION:
        raise PlanError(
            f"not a connectorops plan (schemaVersion {SCHEMA_VERSION} expected)",
            file=str(path),
            hint="make a new plan with this version of connectorops",
        )
    try:
        plan = Plan.from_dict(data)
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as error:
        # AttributeError: a hand-edited file with a list or string where an object belongs.
        raise PlanError(f"malformed plan file: {type(error).__name__}: {error}", file=str(path)) from None
    unknown = sorted({a.resource_type for a in plan.actions} - KINDS.keys())
    if unknown:
        raise PlanError(
            f"the plan file has actions of an unknown resource type: {', '.join(map(repr, unknown))}",
            file=str(path),
            hint="make a new plan with this version of connectorops",
        )
    # A missing fingerprint counts as edited: without it nothing shows the file is what `plan` wrote.
    if data.get("fingerprint") != plan.fingerprint:
        raise PlanError(
            "the plan file was edited after it was made (fingerprint mismatch)",
            file=str(path),
            hint="plans are applied exactly as shown; make a new one with `connectorops plan --out`",
        )
    return plan


def _too_deep(path: Path, line: int | None = None, column: int | None = None) -> PlanError:
    return PlanError(
        f"the plan file nests lists/objects deeper than {MAX_PLAN_DEPTH} levels: not a plan written by connectorops",
        file=str(path),
        line=line,
        column=column,
        hint=PLAN_FILE_HINT,
    )


def _impact_names(action: Action) -> dict[str, list[str]]:
    impact = action.impact
    if impact is None:
        return {"connections": [], "consumers": []}
    return {
        "connections": sorted(c.name.lower() for c in impact.connections),
        "consumers": sorted(w.name.lower() for w in impact.consumers),
    }


def _decision(action: Action, *, legacy: bool) -> dict[str, Any]:
    """What an action does and why it may: the fields a saved plan must share with a plan made now.

    Descriptive text (reasons, warnings, diffs, principal names) is left out; it follows from these.
    `legacy`: a file written before deletion policies came from git, compared on the fields it has.
    """
    decision: dict[str, Any] = {
        "kind": str(action.kind),
        "verdict": str(action.verdict),
        "resourceId": action.resource_id.lower(),
        "scope": (action.scope or "").lower(),
        "body": canonical_json(action.body),
        "secretRefs": canonical_json(action.secret_refs),
        "desiredFingerprint": action.desired_fingerprint,
        "observedEtag": action.observed_etag,
        "observedFingerprint": action.observed_fingerprint,
        "impact": _impact_names(action),
    }
    if action.listed_as:  # adopting under another name: which connector is adopted
        decision["listedAs"] = action.listed_as.lower()
    if not legacy:
        decision["deletionPolicy"] = action.deletion_policy
        decision["acknowledgedConnections"] = sorted(n.lower() for n in action.acknowledged_connections)
    return decision


def _what(action: Action) -> str:
    return kind_of(action).describe(action)


def _etag_difference(saved: Action, fresh: Action) -> list[str]:
    if saved.observed_etag == fresh.observed_etag:
        return []
    what = _what(saved)
    if saved.observed_etag is None or fresh.observed_etag is None:
        return [f"{what} {'appeared' if saved.observed_etag is None else 'disappeared'} since the plan was made"]
    return [f"{what} changed since the plan was made (etag {saved.observed_etag} -> {fresh.observed_etag})"]


def _field_differences(saved: Action, fresh: Action) -> list[str]:
    legacy = (
        kind_of(saved).is_connector
        and saved.kind in (ActionKind.DELETE, ActionKind.ORPHAN)
        and (saved.deletion_policy is None)
    )
    before, after = _decision(saved, legacy=legacy), _decision(fresh, legacy=legacy)
    what = _what(saved)
    reasons: list[str] = []
    reasons += _etag_difference(saved, fresh)
    if before["impact"] != after["impact"]:
        shown, live = before["impact"]["connections"], after["impact"]["connections"]
        if shown != live:
            reasons.append(
                f"{what}: its connections changed since the plan was made "
                f"(the plan showed: {', '.join(shown) or 'none'}; now: {', '.join(live) or 'none'})"
            )
        else:
            nouns = (fresh.impact or saved.impact or Impact()).consumer_nouns
            reasons.append(f"{what}: the {nouns} using its connections changed since the plan was made")
    for key in before:
        if key not in ("observedEtag", "impact") and before[key] != after[key]:
            reasons.append(f"{what}: {key} in the plan file differs from a plan made now")
    return reasons


def plan_differences(saved: Plan, fresh: Plan) -> list[str]:
    """Why the saved plan's changes are not the changes a plan made now would make; empty when they are."""
    reasons: list[str] = []
    if saved.environment != fresh.environment:
        reasons.append(f"the plan file is for environment {saved.environment!r}, not {fresh.environment!r}")
    for key in ("subscriptionId", "resourceGroup"):
        if (saved.target.get(key) or "").lower() != (fresh.target.get(key) or "").lower():
            planned, live = saved.target.get(key), fresh.target.get(key)
            reasons.append(f"the plan file is for {key} {planned!r}, the target is {live!r}")
    if saved.commit != fresh.commit:
        reasons.append(f"git moved: the plan file was made at commit {saved.commit}, git is now at {fresh.commit}")
    was = {a.key: a for a in saved.changes}
    now = {a.key: a for a in fresh.changes}
    everything_now = {a.key: a for a in fresh.actions}
    for key in sorted(was.keys() - now.keys()):
        reasons.append(f"{_what(was[key])}: the plan file would {was[key].kind} it, a plan made now would not")
        if key in everything_now:  # most often because it changed meanwhile (e.g. the plan was applied already)
            reasons += _etag_difference(was[key], everything_now[key])
    for key in sorted(now.keys() - was.keys()):
        reasons.append(f"{_what(now[key])}: a plan made now would {now[key].kind} it, the plan file does not")
    for key in sorted(was.keys() & now.keys()):
        reasons += _field_differences(was[key], now[key])
    if bool(saved.errors or saved.mandatory_findings) != bool(fresh.errors or fresh.mandatory_findings):
        reasons.append("the plan file's errors and mandatory findings differ from a plan made now")
    return reasons


def check_environment(plan: Plan, environment: str) -> None:
    """PlanError for a plan made for another environment (checked before connecting anywhere)."""
    if plan.environment != environment:
        raise PlanError(
            f"the plan was made for environment {plan.environment!r}, not {environment!r}",
            hint=f"run `connectorops -e {plan.environment} apply --plan ...`",
        )


def verify_saved_plan(saved: Plan, fresh: Plan) -> None:
    """StalePlanError naming every difference unless `saved` makes exactly the changes of `fresh`.

    `fresh` is made now from git and a new observation with the saved options; it is what gets applied,
    so a saved file can only ever narrow what happens (refuse), never widen it.
    """
    reasons = plan_differences(saved, fresh)
    if reasons:
        shown = reasons[:10] + ([f"and {len(reasons) - 10} more"] if len(reasons) > 10 else [])
        raise StalePlanError(
            "the plan is stale or was altered: " + "; ".join(shown),
            hint="make a new plan with `connectorops plan --out FILE` and review it",
        )
