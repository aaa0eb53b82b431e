"""Markdown views for pull-request comments: summary first, one <details> per connector.

The first line is a stable HTML marker (`<!-- connectorops-plan:ENV -->`) so CI edits one comment
in place; output is capped (GitHub allows 65536 characters) with a note saying what was left out.
"""

from __future__ import annotations

from collections import defaultdict

from connectorops.engine.actions import Action, ActionKind
from connectorops.engine.drift import DriftReport
from connectorops.engine.kinds import kind_of
from connectorops.engine.plan import Plan
from connectorops.policy.certification.findings import Finding
from connectorops.report.redact import change_value
from connectorops.report.text import plan_summary_line
from connectorops.report.wording import (
    breaking_consumer_counts,
    breaking_consumers,
    connection_list,
    consumer_names,
    resource_word,
    secret_rotations,
)

MAX_BYTES = 60_000
MAX_CHANGES_SHOWN = 40
MAX_ADVISORY_SHOWN = 50  # the headline is never truncated, so it must stay small


def plan_marker(environment: str) -> str:
    return f"<!-- connectorops-plan:{environment} -->"


def drift_marker(environment: str) -> str:
    return f"<!-- connectorops-drift:{environment} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _connector_heading(actions: list[Action]) -> str:
    name = actions[0].connector
    kinds = sorted({str(a.kind) for a in actions if a.is_change})
    notes = []
    if any(a.blocked for a in actions):
        notes.append("⛔ blocked")
    breaking = sum(len(a.breaking) for a in actions)
    if breaking:
        notes.append(f"⚠️ {breaking} breaking change(s)")
    if any(a.touched for a in actions):
        notes.append("changed in this PR")
    return f"<b>{name}</b> — {', '.join(kinds) or 'no changes'}" + (f" ({'; '.join(notes)})" if notes else "")


def _connector_section(actions: list[Action]) -> str:
    lines = [f"<details><summary>{_connector_heading(actions)}</summary>", ""]
    for action in actions:
        if not action.is_change and not action.blocked and not action.warnings:
            continue
        lines.append(f"- {kind_of(action).markdown_line(action, _code)}")  # in the words of its kind
        for reason in action.reasons:
            lines.append(f"  - ⛔ {reason}")
        for warning in action.warnings:
            lines.append(f"  - ⚠️ {warning}")
        if action.kind == ActionKind.DELETE and action.deletion_policy:
            origin = action.deletion_policy_origin
            lines.append(f"  - deletion policy: {_code(action.deletion_policy)} (from {origin})")
        for breaking in action.breaking:
            affected = breaking_consumers(breaking, " affected")
            apps = f" — {affected}" if affected else ""
            lines.append(f"  - 💥 **breaking ({breaking.severity})**: {breaking.message}{apps}")
        if action.impact is not None and not action.impact.is_empty:
            conns = connection_list(action.impact)
            apps = consumer_names(action.impact) or "none"
            lines.append(
                f"  - impact: {action.impact.connection_count} connection(s): {conns}; "
                f"{action.impact.consumer_count()}: {apps}"
            )
        if action.changes and action.kind in (ActionKind.UPDATE, ActionKind.ADOPT):
            lines += ["", "  | field | before | after |", "  |---|---|---|"]
            for change in action.changes[:MAX_CHANGES_SHOWN]:
                before = change_value(change.path, change.before, 60)
                after = change_value(change.path, change.after, 60)
                lines.append(f"  | {_cell(_code(change.path))} | {_cell(before)} | {_cell(after)} |")
            if len(action.changes) > MAX_CHANGES_SHOWN:
                lines.append(f"  | … {len(action.changes) - MAX_CHANGES_SHOWN} more | | |")
            lines.append("")
        lines += [f"  - 🔑 {line}" for line in secret_rotations(action)]
        if action.observed_commit:
            lines.append(f"  - deployed from commit {_code(action.observed_commit[:12])}")
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _headline(plan: Plan) -> list[str]:
    status = "⛔ **blocked**" if plan.is_blocked else ("changes" if plan.changes else "✅ no changes")
    lines = [
        plan_marker(plan.environment),
        f"## connectorops plan — {_code(plan.environment)}",
        "",
        f"{status}: {plan_summary_line(plan)}"
        + (f" · commit {_code(plan.commit[:12])}" if plan.commit else "")
        + f" · exit code {plan.exit_code}",
        "",
    ]
    touched = sorted({a.connector for a in plan.actions if a.touched})
    if plan.options.touched is not None:
        lines += [f"This change touches: {', '.join(_code(t) for t in touched) or 'no connector'}", ""]
    blocked = plan.blocked_actions
    if blocked:
        lines.append("### ⛔ Blocked")
        lines += [f"- {_code(a.connector)} {a.kind} {resource_word(plan.target, a.resource_type)}: "
                  f"{a.reasons[0] if a.reasons else ''}"
                  for a in blocked]  # fmt: skip
        lines.append("")
    breaking = [(a, b) for a in plan.actions for b in a.breaking]
    losses = [a for a in plan.actions if a.kind == ActionKind.DELETE and a.impact and a.impact.connection_count]
    if breaking or losses:
        lines.append("### ⚠️ Impact")
        for action, change in breaking:
            counted = breaking_consumer_counts(change)
            apps = f" — {counted}" if counted else ""
            lines.append(f"- {_code(action.connector)}: {change.message}{apps}")
        for action in losses:
            impact = action.impact
            assert impact is not None
            apps = consumer_names(impact) or "none"
            lines.append(
                f"- {_code(action.connector)}: deleting it deletes {impact.connection_count} connection(s); "
                f"{impact.consumer_nouns} using them: {apps}"
            )
        lines.append("")
    problems = sorted(plan.problems, key=lambda p: p.severity != "error")
    if problems:
        lines.append("### Problems")
        lines += [f"- **{p.severity}** {_cell(str(p))}" for p in problems[:MAX_ADVISORY_SHOWN]]
        if len(problems) > MAX_ADVISORY_SHOWN:
            lines.append(f"- … {len(problems) - MAX_ADVISORY_SHOWN} more (`connectorops validate` lists all)")
        lines.append("")
    if plan.findings:
        lines.append("### Certification")
        mandatory = plan.mandatory_findings
        advisory = [f for f in plan.findings if not f.blocking]
        lines += [f"- ⛔ **mandatory** {_finding(f)}" for f in mandatory]
        if advisory:
            lines += ["", f"<details><summary>{len(advisory)} advisory finding(s)</summary>", ""]
            lines += [f"- {_finding(f)}" for f in advisory[:MAX_ADVISORY_SHOWN]]
            if len(advisory) > MAX_ADVISORY_SHOWN:
                lines.append(f"- … {len(advisory) - MAX_ADVISORY_SHOWN} more (`connectorops certify` lists all)")
            lines += ["", "</details>"]
        lines.append("")
    return lines


def _finding(finding: Finding) -> str:
    where = f"{finding.file}{finding.pointer}"
    connector = f"{_code(finding.connector)} " if finding.connector else ""
    return f"{connector}{_code(finding.rule_id)} {finding.message} ({_cell(where)})"


def plan_markdown(plan: Plan, *, max_bytes: int = MAX_BYTES) -> str:
    head = "\n".join(_headline(plan))
    by_connector: dict[str, list[Action]] = defaultdict(list)
    for action in plan.actions:
        by_connector[action.connector].append(action)
    sections = [
        _connector_section(actions)
        for actions in by_connector.values()
        if any(a.is_change or a.blocked or a.warnings for a in actions)
    ]
    return _capped(head, sections, max_bytes)


def _capped(head: str, sections: list[str], max_bytes: int) -> str:
    body: list[str] = []
    size = len(head.encode("utf-8"))
    left_out = 0
    for section in sections:
        length = len(section.encode("utf-8"))
        if size + length > max_bytes - 300:
            left_out += 1
            continue
        body.append(section)
        size += length
    text = head + "\n" + "\n".join(body)
    if left_out:
        text += (
            f"\n> ✂️ Truncated: {left_out} connector section(s) left out to stay under {max_bytes // 1000} KB. "
            "Run `connectorops plan --json` (or see the CI artifact) for the full plan.\n"
        )
    return text


def _fixed_counts(report: DriftReport) -> str:
    counts: dict[str, int] = {}
    for item in report.fixed:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def drift_markdown(report: DriftReport, *, max_bytes: int = MAX_BYTES) -> str:
    status = "✅ no drift" if report.exit_code == 0 else ("⚠️ drift" if report.exit_code == 2 else "⛔ error")
    counts = ", ".join(f"{n} {k}" for k, n in report.counts().items()) or "nothing to report"
    head = "\n".join(
        [drift_marker(report.environment), f"## connectorops drift — {_code(report.environment)}", "",
         f"{status}: {counts} · exit code {report.exit_code}", ""]
        + ([f"Fixed by `--fix` in this run: {_fixed_counts(report)}.", ""] if report.fixed else [])
        + [f"- **{p.severity}** {_cell(str(p))}" for p in report.problems]
    )  # fmt: skip
    sections: list[str] = []
    for item in report.items:
        lines = [f"<details><summary><b>{item.connector}</b> — {item.kind} ({item.severity})</summary>", "",
                 item.detail]  # fmt: skip
        if item.principal:
            lines.append(f"- principal {_code(item.principal)}, role {_code(str(item.role))}"
                         + (f", since {item.since}" if item.since else ""))  # fmt: skip
        if item.commit:
            lines.append(f"- deployed from commit {_code(item.commit[:12])}")
        if item.changes:
            lines += ["", "| field | live | git |", "|---|---|---|"]
            for change in item.changes[:MAX_CHANGES_SHOWN]:
                lines.append(
                    f"| {_cell(_code(change.path))} | {_cell(change_value(change.path, change.before, 60))} | "
                    f"{_cell(change_value(change.path, change.after, 60))} |"
                )
        lines += ["", "</details>", ""]
        sections.append("\n".join(lines))
    return _capped(head, sections, max_bytes)
