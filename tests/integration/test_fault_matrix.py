"""The engine under 10 % injected faults (500, 503, resets, lost replies) on every ARM request.

Per seed: 50 connectors (15 shared through policies/sharing.yaml) are created, then changed
(updates, grants and revokes, creates, deletions, orphans, adoptions), each phase applied until a
plan has nothing left to do. After every apply: no duplicate resource, nothing gone that the plan
did not delete, and no action reported failed that the server shows done. Counts are printed for
the notes (`pytest -s`).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from engine_e2e_support import openapi, reconcile, remove_connector, write_config, write_connector

from connectorops import tags
from connectorops.emulator.faults import FaultConfig, FaultInjector, VerbFaults
from connectorops.emulator.server import EmulatorServer
from connectorops.engine.actions import CUSTOM_API
from connectorops.engine.apply import FAILED, ApplyReport, apply_plan
from connectorops.engine.plan import ActionKind, Plan, PlanOptions
from connectorops.policy.sharing import load_sharing_policy
from connectorops.spec.source import FileSystemTree
from connectorops.targets.arm import ResourceGroupTarget
from connectorops.targets.arm.gateway import ArmGateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO_SHARING = Path(__file__).resolve().parents[2] / "policies" / "sharing.yaml"
SEEDS = (11, 22, 33)
CONNECTORS = 50
MAX_RUNS = 4  # applies per phase before the test gives up on convergence
# 10 % of all requests of every verb. Writes lose half of theirs after writing: the costly case.
READ_FAULTS = VerbFaults(error_500=0.03, error_503=0.03, reset=0.04)
WRITE_FAULTS = VerbFaults(error_500=0.02, error_503=0.02, reset=0.01, lost_reply=0.05)
FAULTS = {"GET": READ_FAULTS, "PUT": WRITE_FAULTS, "PATCH": WRITE_FAULTS, "DELETE": WRITE_FAULTS}
OPTIONS = PlanOptions(max_deletions=10)
SHARED = "  sharing: [{principal: sales-team, role: edit}, {principal: support-team, role: use}]\n"
SALES_ONLY = "  sharing: [{principal: sales-team, role: edit}]\n"
SALES_LABEL = ("metadata: {name: NAME}", "metadata: {name: NAME, labels: {team: sales}}")
ADOPT_LABEL = ("metadata: {name: NAME}", "metadata: {name: NAME, labels: {connectorops/adopt: 'true'}}")


@dataclass
class Tally:
    runs: list[int] = field(default_factory=list)
    failures_reported: int = 0
    false_failures: list[str] = field(default_factory=list)
    unplanned_deletions: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def _name(i: int) -> str:
    return f"c{i:02d}"


def _connector(
    root: Path,
    name: str,
    *,
    sharing: str = "",
    deletion: str = "protect",
    label: tuple[str, str] = SALES_LABEL,
    description: str = "Read and cancel orders of the Contoso shop.",
) -> None:
    doc = openapi(info={"title": f"Orders {name}", "version": "1.0", "description": description})
    write_connector(root, name, doc=doc, deletion=deletion, extra=sharing)
    path = root / "connectors" / name / "connector.yaml"
    old, new = (part.replace("NAME", name) for part in label)
    path.write_text(path.read_text().replace(old, new))


@contextmanager
def _faults_paused(emulator: EmulatorServer) -> Iterator[None]:
    """Look at the server's state without injected faults; the injector's sequence resumes after."""
    injector, emulator.faults = emulator.faults, None
    try:
        yield
    finally:
        emulator.faults = injector


def _inventory(gateway: ArmGateway) -> dict[str, dict[str, Any]]:
    """Every customApi and role assignment in the resource group, by lower-cased id."""
    found = gateway.list_custom_apis() + gateway.list_role_assignments()
    return {str(r["id"]).lower(): r for r in found}


def _duplicates(inventory: dict[str, dict[str, Any]]) -> list[str]:
    apis = Counter(str(r["name"]).lower() for r in inventory.values() if "customapis" in str(r["type"]).lower())
    grants = Counter(
        (
            str(p["scope"]).lower(),
            str(p["principalId"]).lower(),
            str(p["roleDefinitionId"]).rsplit("/", 1)[-1].lower(),
        )
        for r in inventory.values()
        if (p := r.get("properties") or {}) and "roleassignments" in str(r["type"]).lower()
    )
    return [f"customApi {n} x{c}" for n, c in apis.items() if c > 1] + [
        f"role assignment {k} x{c}" for k, c in grants.items() if c > 1
    ]


def _planned_deletions(plan: Plan) -> set[str]:
    return {a.resource_id.lower() for a in plan.changes if a.kind == ActionKind.DELETE}


def _succeeded_on_server(
    kind: ActionKind, resource_type: str, live: dict[str, Any] | None, fingerprint: str | None
) -> bool:
    """Does the server show what the action was to achieve?"""
    if kind == ActionKind.DELETE:
        return live is None
    if live is None:
        return False
    if resource_type != CUSTOM_API:
        return True  # a grant exists under its deterministic name
    live_tags = live.get("tags") or {}
    if kind == ActionKind.ORPHAN:
        return not tags.is_managed(live_tags)
    return tags.is_managed(live_tags) and live_tags.get(tags.FINGERPRINT) == fingerprint


def _check_apply(
    plan: Plan, report: ApplyReport, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], tally: Tally
) -> None:
    planned = _planned_deletions(plan)
    for gone in set(before) - set(after):
        scope = str((before[gone].get("properties") or {}).get("scope", "")).lower()
        if gone not in planned and scope not in planned:  # a grant goes with its deleted customApi
            tally.unplanned_deletions.append(gone)
    actions = {a.key: a for a in plan.changes}
    for result in report.results:
        if result.status != FAILED:
            continue
        tally.failures_reported += 1
        action = actions[result.key]
        live = after.get(action.resource_id.lower())
        if _succeeded_on_server(action.kind, action.resource_type, live, action.desired_fingerprint):
            tally.false_failures.append(f"{result.key}: {result.message}")
    tally.duplicates += _duplicates(after)


def _converge(root: Path, emulator: EmulatorServer, gateway: ArmGateway, tally: Tally) -> None:
    """plan -> apply until the plan has no changes; each apply is checked against the server."""
    for run in range(1, MAX_RUNS + 1):
        _, _, plan = reconcile(root, gateway, OPTIONS)
        assert not plan.is_blocked, [a.reasons for a in plan.blocked_actions]
        if not plan.changes:
            tally.runs.append(run - 1)
            return
        with _faults_paused(emulator):
            before = _inventory(gateway)
        report = apply_plan(plan, ResourceGroupTarget(gateway), secrets={})
        with _faults_paused(emulator):
            _check_apply(plan, report, before, _inventory(gateway), tally)
    pytest.fail(f"no convergence after {MAX_RUNS} applies")


def _unmanaged_for_adoption(root: Path, gateway: ArmGateway) -> None:
    """Two hand-made customApis git will adopt: one already as git says (tags only), one not."""
    for name in ("a0", "a1"):
        _connector(root, name)
    _, _, plan = reconcile(root, gateway, OPTIONS)
    for name in ("a0", "a1"):
        action = next(a for a in plan.changes if a.name == name)
        body = {**(action.body or {}), "tags": {"owner": "alice"}}
        if name == "a1":
            body["properties"] = {**body["properties"], "displayName": "Made by hand"}
        gateway.put_custom_api(name, body)
        remove_connector(root, name)


def _change(root: Path) -> None:
    """The second commit: every kind of action the engine has."""
    for i in range(35):  # updates (If-Match PUT); revokes; grants
        sharing = SALES_ONLY if i < 5 else SHARED if i < 15 or i >= 30 else ""
        _connector(root, _name(i), sharing=sharing, description=f"Version two of connector {i}.")
    for i in range(35, 45):  # deletions, orphans (PATCH)
        remove_connector(root, _name(i))
    for i in range(CONNECTORS, CONNECTORS + 5):  # creates
        _connector(root, _name(i))
    for name in ("a0", "a1"):  # adoptions: PATCH of tags, If-Match PUT
        _connector(root, name, label=ADOPT_LABEL)


def _run_seed(seed: int, tmp_path: Path, emulator: EmulatorServer, gateway: ArmGateway) -> Tally:
    root = tmp_path / f"seed-{seed}"
    root.mkdir()
    write_config(root)
    (root / "policies").mkdir()
    shutil.copy(REPO_SHARING, root / "policies" / "sharing.yaml")
    policy, _ = load_sharing_policy(FileSystemTree(root))  # a warning names the repo's `dev` environment
    assert policy is not None
    for entry in policy.directory_entries():
        emulator.add_principal(*entry)
    for i in range(CONNECTORS):
        _connector(root, _name(i), sharing=SHARED if i < 15 else "", deletion="orphan" if 40 <= i < 45 else "protect")
    _unmanaged_for_adoption(root, gateway)
    emulator.faults = FaultInjector(FaultConfig(seed=seed, per_verb=FAULTS))
    tally = Tally()
    _converge(root, emulator, gateway, tally)
    _change(root)
    _converge(root, emulator, gateway, tally)
    with _faults_paused(emulator):
        _, _, final = reconcile(root, gateway, OPTIONS, drift=True)
        live = _inventory(gateway)
    assert list(final.changes) == [] and final.exit_code == 0
    names = {str(r["name"]) for r in live.values() if "customapis" in str(r["type"]).lower()}
    assert names == {_name(i) for i in range(CONNECTORS + 5) if not 35 <= i < 40} | {"a0", "a1"}
    return tally


def test_apply_under_faults_converges_without_duplicates_losses_or_false_failures(
    tmp_path: Path, make_emulator: Any, make_gateway: Any
) -> None:
    totals: Counter[str] = Counter()
    for seed in SEEDS:
        emulator: EmulatorServer = make_emulator()
        gateway: ArmGateway = make_gateway(emulator)
        tally = _run_seed(seed, tmp_path, emulator, gateway)
        assert emulator.faults is not None
        injected = {k: n for k, n in emulator.faults.injected.items() if k != "none"}
        print(
            f"\nfault matrix seed {seed}: requests {gateway.requests.total()}, faults injected {injected}, "
            f"retries {gateway.requests.retried}, failures reported {tally.failures_reported}, "
            f"runs to converge {tally.runs}"
        )
        assert tally.duplicates == [] and tally.unplanned_deletions == [] and tally.false_failures == []
        totals.update(injected)
        totals.update(retries=gateway.requests.retried, failures=tally.failures_reported)
        assert sum(injected.values()) > 0 and injected["lost_reply"] > 0
    print(f"fault matrix totals over {len(SEEDS)} seeds: {dict(totals)}")
