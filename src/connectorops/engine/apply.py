"""Execute a plan: safe order, bounded concurrency, per-action results, never re-deciding.

Each resource kind (engine/kinds/) executes its own actions and names its phase. Order: customApi
creates/updates/adoptions/orphans, then new role assignments, then revoked role
assignments, then customApi deletions, then the revokes of deleted connectors — so a failure part-way
never deletes before what replaces it exists, and a deletion refused at the last moment leaves its
connector exactly as it was (grants included). Each DELETE is preceded by the check of
engine/delete_check.py against what is live then; a refused one is "blocked" and the rest goes on.
Names are deterministic and tags are written in the same request as the body, so a crashed run is
finished by simply running again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from connectorops.engine.actions import Action, ActionKind
from connectorops.engine.kinds import kind_of
from connectorops.engine.kinds.base import PHASE_AFTER_CONNECTOR_DELETES, Refused
from connectorops.engine.plan import Plan, blocked_message
from connectorops.engine.secrets import KeyVaultReader, inject_secrets, scrub
from connectorops.errors import ConnectoropsError, PlanBlocked

if TYPE_CHECKING:
    from connectorops.engine.target import Target

MAX_WORKERS = 4
# Test hook (documented in the README's testing notes): exit the process abruptly after N
# completed actions, to prove that a re-run converges after a crash. Never set it in production.
CRASH_AFTER_ENV = "CONNECTOROPS_TEST_CRASH_AFTER"

DONE = "done"
FAILED = "failed"
SKIPPED = "skipped"
BLOCKED = "blocked"  # refused at the moment of the write (a delete whose connections are not acknowledged)
EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT, as the CLI uses


@dataclass(frozen=True)
class ActionResult:
    key: str
    kind: str
    resource_type: str
    name: str
    connector: str
    status: str  # done | failed | skipped | blocked
    message: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "resourceType": self.resource_type,
            "name": self.name,
            "connector": self.connector,
            "status": self.status,
            "message": self.message,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ApplyReport:
    environment: str
    plan_fingerprint: str
    results: tuple[ActionResult, ...] = ()
    interrupted: bool = False  # Ctrl-C: actions in flight finished, nothing new was started

    @property
    def done(self) -> list[ActionResult]:
        return [r for r in self.results if r.status == DONE]

    @property
    def failed(self) -> list[ActionResult]:
        return [r for r in self.results if r.status == FAILED]

    @property
    def blocked(self) -> list[ActionResult]:
        return [r for r in self.results if r.status == BLOCKED]

    @property
    def not_done(self) -> list[ActionResult]:
        return [r for r in self.results if r.status != DONE]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return 1 if self.not_done else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": 1,
            "environment": self.environment,
            "planFingerprint": self.plan_fingerprint,
            "summary": {
                "done": len(self.done),
                "failed": len(self.failed),
                "blocked": len(self.blocked),
                "notDone": len(self.not_done),
            },
            "results": [r.to_dict() for r in self.results],
            "exitCode": self.exit_code,
            "interrupted": self.interrupted,
        }


class ApplyProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, result: ActionResult) -> None: ...


def _deleted_connectors(changes: list[Action]) -> set[str]:
    return {a.connector.lower() for a in changes if kind_of(a).is_connector and a.kind == ActionKind.DELETE}


def _waits_for_delete(action: Action, deleted: set[str]) -> bool:
    """A removal of a connector's dependent (a revoke) while the connector is deleted: it runs after that
    delete, and only if the delete ran."""
    return not kind_of(action).is_connector and action.kind == ActionKind.DELETE and action.connector.lower() in deleted


def phases(plan: Plan) -> list[list[Action]]:
    """The plan's changes grouped into the safe order (each kind's phase); within a phase actions are independent."""
    changes = [a for a in plan.actions if a.is_change]
    deleted = _deleted_connectors(changes)
    slots: dict[int, list[Action]] = {}
    for action in changes:
        index = PHASE_AFTER_CONNECTOR_DELETES if _waits_for_delete(action, deleted) else kind_of(action).phase(action)
        slots.setdefault(index, []).append(action)
    return [slots[index] for index in sorted(slots)]


def _prepared_bodies(
    plan: Plan, environ: Mapping[str, str] | None, key_vault: KeyVaultReader | None
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every PUT body with its secrets filled in, resolved before the first write (fail early)."""
    bodies: dict[str, dict[str, Any]] = {}
    values: list[str] = []
    for action in plan.actions:
        if action.is_change and action.body is not None:
            body, found = inject_secrets(
                action.body, action.secret_refs, connector=action.connector, environ=environ, key_vault=key_vault
            )
            bodies[action.key] = body
            values += found
    return bodies, values


class _CrashHook:
    """See CRASH_AFTER_ENV."""

    def __init__(self) -> None:
        raw = os.environ.get(CRASH_AFTER_ENV, "")
        self.limit = int(raw) if raw.isdigit() else None
        self.count = 0
        self.lock = threading.Lock()

    def completed(self) -> None:
        if self.limit is None:
            return
        with self.lock:
            self.count += 1
            if self.count >= self.limit:
                os._exit(137)


def apply_plan(
    plan: Plan,
    target: Target,
    *,
    secrets: Mapping[str, str] | None = None,
    progress: ApplyProgress | None = None,
    max_workers: int = MAX_WORKERS,
    key_vault: KeyVaultReader | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ApplyReport:
    """Run every change of `plan`. A failure stops later phases; the report says what was not done.

    `secrets` is the environment to read {env: NAME} references from (default os.environ);
    `key_vault` reads {keyVault: ...} references (default: Azure Key Vault via DefaultAzureCredential).
    `should_stop`: asked before each action starts; once true, nothing new starts and the report is
    `interrupted` (a KeyboardInterrupt raised by a signal handler can be swallowed, e.g. inside a `__del__`).
    """
    stopping = should_stop or (lambda: False)
    if plan.is_blocked:
        raise PlanBlocked(
            blocked_message("the plan", "nothing was applied", plan.blocked_reasons()),
            hint="fix the blocked items (see `connectorops plan`) and make a new plan",
        )
    bodies, secret_values = _prepared_bodies(plan, secrets, key_vault)
    groups = phases(plan)
    if progress is not None:
        progress.start(sum(len(g) for g in groups))
    crash = _CrashHook()
    results: list[ActionResult] = []
    deleted = _deleted_connectors(plan.changes)
    delete_status: dict[str, str] = {}  # connector (lower case) -> status of its customApi delete

    def run(action: Action) -> ActionResult:
        started = time.monotonic()
        if stopping():
            return _skipped(action, _INTERRUPTED)
        if _waits_for_delete(action, deleted) and delete_status.get(action.connector.lower()) != DONE:
            return _skipped(action, f"kept: the deletion of connector {action.connector!r} did not happen")
        try:
            message = kind_of(action).execute(action, bodies.get(action.key), target, plan.environment)
            status = DONE
        except Refused as refusal:
            message, status = str(refusal), BLOCKED
        except ConnectoropsError as error:
            message, status = scrub(str(error), secret_values), FAILED
        except Exception as error:  # one failed action must not hide the results of the others
            message, status = scrub(f"{type(error).__name__}: {error}", secret_values), FAILED
        result = ActionResult(
            action.key, str(action.kind), action.resource_type, action.name, action.connector,
            status, message, time.monotonic() - started,
        )  # fmt: skip
        if kind_of(action).is_connector and action.kind == ActionKind.DELETE:
            delete_status[action.connector.lower()] = status
        if status == DONE:
            crash.completed()
        return result

    failed = False
    try:
        for group in groups:
            if failed:
                results += [_skipped(a) for a in group]
                continue
            # Leaving the pool after Ctrl-C cancels what has not started and waits for what is in flight.
            with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
                for result in pool.map(run, group):
                    results.append(result)
                    if progress is not None:
                        progress.advance(result)
            failed = any(r.status == FAILED for r in results)
            if stopping():
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        # Say what was done and what was not, so the operator knows a re-run finishes the job.
        seen = {r.key for r in results}
        results += [_skipped(a, _INTERRUPTED) for group in groups for a in group if a.key not in seen]

        return ApplyReport(plan.environment, plan.fingerprint, tuple(results), interrupted=True)
    return ApplyReport(plan.environment, plan.fingerprint, tuple(results))


_INTERRUPTED = "interrupted (Ctrl-C): not started, or finished without a recorded result; plan again to see"


def _skipped(action: Action, message: str = "not attempted: an earlier step failed") -> ActionResult:
    return ActionResult(
        action.key, str(action.kind), action.resource_type, action.name, action.connector, SKIPPED, message,
    )  # fmt: skip
