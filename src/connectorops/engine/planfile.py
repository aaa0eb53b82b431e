"""Saved plans: write/read plan.json, and refuse to apply one whose world has moved.

A saved plan records the etag of every customApi it looked at and whether each resource existed;
re-observing before apply and comparing is what makes `apply --plan` apply exactly what was shown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectorops.definitions.documents import check_json_nesting
from connectorops.engine.observe import ObservedState
from connectorops.engine.plan import CUSTOM_API, ROLE_ASSIGNMENT, SCHEMA_VERSION, ActionKind, Plan
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


def stale_reasons(plan: Plan, observed: ObservedState) -> list[str]:
    """What moved between the plan and now; empty when the plan still describes the world."""
    reasons: list[str] = []
    role_ids = {str(ra.get("id", "")).lower() for ra in observed.role_assignments}
    for action in plan.actions:
        if action.resource_type == CUSTOM_API:
            live = observed.custom_api(action.name)
            was_absent = action.kind == ActionKind.CREATE and action.observed_etag is None
            if live is None and not was_absent:
                reasons.append(f"customApi {action.name!r} disappeared since the plan was made")
            elif live is not None and was_absent:
                reasons.append(f"customApi {action.name!r} appeared since the plan was made")
            elif live is not None and live.get("etag") != action.observed_etag:
                reasons.append(
                    f"customApi {action.name!r} changed since the plan was made "
                    f"(etag {action.observed_etag} -> {live.get('etag')})"
                )
        elif action.resource_type == ROLE_ASSIGNMENT:
            exists = action.resource_id.lower() in role_ids
            if action.kind == ActionKind.CREATE and exists:
                reasons.append(f"role assignment {action.name} on {action.connector!r} appeared since the plan")
            if action.kind == ActionKind.DELETE and not exists:
                reasons.append(f"role assignment {action.name} on {action.connector!r} disappeared since the plan")
    return reasons


def check_environment(plan: Plan, environment: str) -> None:
    """PlanError for a plan made for another environment (checked before connecting anywhere)."""
    if plan.environment != environment:
        raise PlanError(
            f"the plan was made for environment {plan.environment!r}, not {environment!r}",
            hint=f"run `connectorops -e {plan.environment} apply --plan ...`",
        )


def check_not_stale(plan: Plan, observed: ObservedState, *, environment: str, target: dict[str, str]) -> None:
    """Raise StalePlanError naming what changed, or PlanError for a plan made for another target."""
    check_environment(plan, environment)
    for key in ("subscriptionId", "resourceGroup"):
        if plan.target.get(key) and target.get(key) and plan.target[key].lower() != target[key].lower():
            raise PlanError(f"the plan was made for {key} {plan.target[key]!r}, the target is {target[key]!r}")
    reasons = stale_reasons(plan, observed)
    if reasons:
        raise StalePlanError(
            "the plan is stale: " + "; ".join(reasons),
            hint="make a new plan with `connectorops plan --out FILE` and review it",
        )
