"""Terminal views: rich tables of a plan, a drift report and an apply report.

Colours come from rich, which turns them off when the output is not a terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from connectorops.engine.actions import CUSTOM_API, Action, ActionKind
from connectorops.engine.kinds import kind_of
from connectorops.engine.plan import Plan
from connectorops.report.redact import change_value, short
from connectorops.report.wording import (
    breaking_consumers,
    connection_list,
    consumer_names,
    resource_word,
    secret_rotations,
)

if TYPE_CHECKING:  # a plan's view needs neither apply nor drift
    from connectorops.engine.apply import ApplyReport
    from connectorops.engine.drift import DriftItem, DriftReport

KIND_STYLE = {
    ActionKind.CREATE: "green",
    ActionKind.UPDATE: "yellow",
    ActionKind.DELETE: "red",
    ActionKind.ORPHAN: "magenta",
    ActionKind.ADOPT: "cyan",
    ActionKind.NOOP: "dim",
}
MAX_CHANGES_SHOWN = 12
ADVISORY_NAMED = 10  # connectors named in the certification summary line


def plan_summary_line(plan: Plan) -> str:
    counts = plan.counts()
    parts = [f"{counts[str(k)]} {k}" for k in ActionKind if k != ActionKind.NOOP and counts[str(k)]]
    text = ", ".join(parts) if parts else "no changes"
    if counts["blocked"]:
        text += f"; {counts['blocked']} BLOCKED"
    return text


def _what(action: Action) -> str:
    """The details column, in the words of the action's kind (engine/kinds/)."""
    return kind_of(action).summary(action)


def render_plan(plan: Plan, console: Console) -> None:
    rows = [action for action in plan.actions if action.is_change or action.blocked]
    if rows:
        from rich.table import Table  # here: a plan with no changes prints no table

        title = f"connectorops plan: environment {plan.environment}"
        if plan.commit:
            title += f" @ {plan.commit[:12]}"
        table = Table(title=title, show_lines=False, expand=False)
        for column in ("", "connector", "action", "resource", "details"):
            table.add_column(column, overflow="fold")
        for action in rows:
            mark = "✗" if action.blocked else ("*" if action.touched else "")
            kind = Text(str(action.kind), style=KIND_STYLE.get(action.kind, ""))
            table.add_row(mark, action.connector, kind, resource_word(plan.target, action.resource_type), _what(action))
        console.print(table)
    for action in plan.actions:
        _render_action_details(action, console, resource_word(plan.target, action.resource_type))
    for problem in plan.problems:
        console.print(f"[{problem.severity}] {problem}", markup=False, highlight=False)
    render_findings(plan, console)
    if plan.unmanaged:
        unmanaged = f"unmanaged {resource_word(plan.target, CUSTOM_API)}s present (never touched)"
        console.print(f"{unmanaged}: {', '.join(plan.unmanaged)}", highlight=False)
    console.print(f"Plan: {plan_summary_line(plan)}.", highlight=False)


def render_findings(plan: Plan, console: Console) -> None:
    """Mandatory certification findings in full (they block); advisory ones as a count per connector."""
    for finding in plan.mandatory_findings:
        console.print(
            f"[certification, mandatory] {finding.rule_id}: {finding.message} ({finding.file}{finding.pointer})",
            markup=False,
            highlight=False,
        )
    advisory: dict[str, int] = {}
    for finding in plan.findings:
        if finding.enforcement == "advisory":
            key = finding.connector or "?"
            advisory[key] = advisory.get(key, 0) + 1
    if advisory:
        # A summary line: on a large repository name the first few connectors, not hundreds.
        named = sorted(advisory.items())
        per = ", ".join(f"{name} {count}" for name, count in named[:ADVISORY_NAMED])
        if len(named) > ADVISORY_NAMED:
            per += f", and {len(named) - ADVISORY_NAMED} more connector(s)"
        console.print(
            f"certification: {sum(advisory.values())} advisory finding(s) ({per}); "
            "details: `connectorops certify` or `plan --json`",
            markup=False,
            highlight=False,
        )


def _render_action_details(action: Action, console: Console, resource: str) -> None:
    lines: list[str] = []
    for reason in action.reasons:
        lines.append(f"  BLOCKED: {reason}")
    for warning in action.warnings:
        lines.append(f"  warning: {warning}")
    for breaking in action.breaking:
        affected = breaking_consumers(breaking)
        apps = f" — {affected}" if affected else ""
        lines.append(f"  BREAKING ({breaking.severity}): {breaking.message}{apps}")
    if action.kind == ActionKind.UPDATE or (action.kind == ActionKind.ADOPT and action.changes):
        for change in action.changes[:MAX_CHANGES_SHOWN]:
            lines.append(
                f"  ~ {change.path}: {change_value(change.path, change.before, 60)} -> "
                f"{change_value(change.path, change.after, 60)}"
            )
        if len(action.changes) > MAX_CHANGES_SHOWN:
            lines.append(f"  ... and {len(action.changes) - MAX_CHANGES_SHOWN} more change(s)")
        lines += [f"  ~ {line}" for line in secret_rotations(action)]
    if action.impact is not None and not action.impact.is_empty and action.kind != ActionKind.NOOP:
        conns = connection_list(action.impact)
        lines.append(f"  impact: {action.impact.connection_count} connection(s): {conns}")
        if action.impact.consumers:
            lines.append(f"  impact: {action.impact.consumer_nouns} using them: {consumer_names(action.impact)}")
    if action.kind == ActionKind.DELETE and action.deletion_policy:
        lines.append(f"  deletion policy: {action.deletion_policy} (from {action.deletion_policy_origin})")
    # Once per action: for every change, and for a noop that has something else to say.
    if action.observed_commit and (action.is_change or lines):
        lines.append(f"  deployed from commit {action.observed_commit[:12]}")
    if lines:
        console.print(f"{action.kind} {resource} {action.name}:", highlight=False, markup=False)
        for line in lines:
            console.print(line, highlight=False, markup=False)


def render_drift(report: DriftReport, console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"connectorops drift: environment {report.environment}")
    for column in ("connector", "class", "severity", "detail"):
        table.add_column(column, overflow="fold")
    for item in report.items:
        detail = item.detail
        if item.principal:
            detail += f" — {item.principal}, role {item.role}" + (f", since {item.since}" if item.since else "")
        if item.commit:
            detail += f" (deployed from commit {item.commit[:12]})"
        table.add_row(item.connector, item.kind, item.severity, detail)
    if table.row_count:
        console.print(table)
    for item in report.items:
        for change in item.changes[:MAX_CHANGES_SHOWN]:
            console.print(
                f"  {item.connector}: ~ {change.path}: {change_value(change.path, change.before, 60)} -> "
                f"{change_value(change.path, change.after, 60)}",
                highlight=False,
                markup=False,
            )
    for problem in report.problems:
        console.print(f"[{problem.severity}] {problem}", markup=False, highlight=False)
    if report.fixed:
        console.print(f"Fixed by --fix: {_kinds(report.fixed)}.", highlight=False, markup=False)
    console.print(
        f"Drift: {len(report.drift)} item(s), {len(report.info)} informational.", highlight=False, markup=False
    )


def _kinds(items: tuple[DriftItem, ...]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def render_apply(report: ApplyReport, console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"connectorops apply: environment {report.environment}")
    for column in ("connector", "action", "resource", "status", "message"):
        table.add_column(column, overflow="fold")
    for result in report.results:
        style = {"done": "green", "failed": "red"}.get(result.status, "yellow")
        table.add_row(result.connector, result.kind, result.resource_type, Text(result.status, style=style),
                      short(result.message, 200))  # fmt: skip
    if table.row_count:
        console.print(table)
    if report.interrupted:
        console.print(
            f"Apply interrupted: {len(report.done)} done, {len(report.failed)} failed, "
            f"{len(report.not_done) - len(report.failed)} not done. Run `connectorops apply` again to finish: "
            "what is done is not repeated.",
            highlight=False,
            markup=False,
        )
    elif report.not_done:
        # A refused deletion says which connections were found and what to do: never cut short.
        for result in report.blocked:
            console.print(f"BLOCKED {result.key}: {result.message}", highlight=False, markup=False)
        console.print(
            f"Apply incomplete: {len(report.done)} done, {len(report.failed)} failed, "
            + (f"{len(report.blocked)} blocked, " if report.blocked else "")
            + f"{len(report.not_done) - len(report.failed) - len(report.blocked)} not attempted. Run `connectorops "
            "apply` again after fixing the cause: finished actions are not repeated.",
            highlight=False,
            markup=False,
        )
    else:
        console.print(f"Apply complete: {len(report.done)} action(s) done.", highlight=False, markup=False)
