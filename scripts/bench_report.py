"""`make bench`: turn the benchmarks' results file (.bench/results.jsonl) into BENCHMARKS.md.

Every figure comes from the results the benchmarks wrote in this run; nothing is typed by hand.
Usage: python scripts/bench_report.py [RESULTS] [OUT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"goal", "cores", "date", "met", "target", "target_s", "ratio"}


def _figures(entry: dict[str, Any]) -> str:
    parts = []
    for key, value in entry.items():
        if key in SKIP:
            continue
        if isinstance(value, dict):
            value = " / ".join(f"{k} {v}" for k, v in value.items())
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def render(
    entries: list[dict[str, Any]],
    before: list[dict[str, Any]] | None = None,
    previous: list[dict[str, Any]] | None = None,
) -> str:
    lines = [
        "# Benchmarks (issue 13)",
        "",
        "Written by `make bench` from the benchmarks' own output (tests/benchmarks/test_speed_*.py);",
        "times in seconds, min / median of the runs; ratio = min measured / min baseline (wall);",
        "cpu_ratio and *_cpu_s: CPU seconds, which a loaded shared machine inflates far less than wall time.",
        "",
        *_table(entries),
    ]
    if previous:
        heading = "## Previous round (the same benchmarks on the code this round started from, .bench/previous.jsonl)"
        lines += ["", heading, ""]
        lines += _table(previous)
    if before:
        lines += ["", "## Before (the same benchmarks on the code before issue 13, from .bench/before.jsonl)", ""]
        lines += _table(before)
    return "\n".join(lines) + "\n"


def _table(entries: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| goal | N | ratio | target | met | figures | cores | date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        target = entry.get("target") or entry.get("target_s") or "-"
        met = {True: "yes", False: "**no**", None: "-"}[entry.get("met")]
        lines.append(
            f"| {entry['goal']} | {entry.get('n', '-')} | {entry.get('ratio', '-')} | {target} | {met} "
            f"| {_figures(entry)} | {entry['cores']} | {entry['date']} |"
        )
    return lines


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(results: Path, out: Path) -> int:
    if not results.exists():
        print(f"{results} not found: run the benchmarks first (make bench)", file=sys.stderr)
        return 1
    entries = _read(results)
    before, previous = results.with_name("before.jsonl"), results.with_name("previous.jsonl")
    out.write_text(
        render(entries, _read(before) if before.exists() else None, _read(previous) if previous.exists() else None)
    )
    print(f"wrote {out} ({len(entries)} results)")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(
        main(
            Path(args[0]) if args else ROOT / ".bench" / "results.jsonl",
            Path(args[1]) if len(args) > 1 else ROOT / "BENCHMARKS.md",
        )
    )
