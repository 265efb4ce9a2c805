"""One row per measure, the same in every benchmark (issue 22, "Done when"): what was measured,
the figure, the target and PASS/FAIL, so `make bench` and `make bench-search` print the
issue's table in one run each.

    from verdict import at_least, at_most, report
    at_least("evidence bag vs two-core bound", ratio, 0.8)          # ratio >= 0.8
    at_most("avrecords start-up", seconds, 0.4, unit="s")            # figure <= 0.4 s
    report("search p95, place 2 chars (PG 10M)", 83.2, "< 100 ms", passed=83.2 < 100)

Every row goes to stdout as one line beginning `[verdict]`, and is appended to the file named
by the environment variable AVRECORDS_BENCH_VERDICTS when it is set (the Makefile sets it and
prints the collected table at the end of the run). `--` as the figure means "not measured";
such a row is a FAIL with the reason in `note`.
"""

from __future__ import annotations

import os

PREFIX = "[verdict]"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "--"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def report(
    measure: str, figure: str | float | None, target: str, passed: bool, note: str = ""
) -> bool:
    """Print (and collect) one row; returns `passed` so callers may also use it."""
    shown = figure if isinstance(figure, str) else _fmt(figure, "")
    line = f"{PREFIX} {measure} | {shown} | {target} | {'PASS' if passed else 'FAIL'}"
    if note:
        line += f" | {note}"
    print(line, flush=True)
    path = os.environ.get("AVRECORDS_BENCH_VERDICTS")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line[len(PREFIX) + 1 :] + "\n")
    return passed


def at_least(
    measure: str, value: float | None, target: float, unit: str = "", note: str = ""
) -> bool:
    passed = value is not None and value >= target
    return report(measure, _fmt(value, unit), f">= {_fmt(target, unit)}", passed, note)


def at_most(
    measure: str, value: float | None, target: float, unit: str = "", note: str = ""
) -> bool:
    passed = value is not None and value <= target
    return report(measure, _fmt(value, unit), f"<= {_fmt(target, unit)}", passed, note)


def below(measure: str, value: float | None, target: float, unit: str = "", note: str = "") -> bool:
    passed = value is not None and value < target
    return report(measure, _fmt(value, unit), f"< {_fmt(target, unit)}", passed, note)


def print_table(path: str) -> None:
    """The collected rows as one table (used by `python bench/verdict.py FILE`)."""
    try:
        with open(path, encoding="utf-8") as f:
            rows = [line.rstrip("\n").split(" | ") for line in f if line.strip()]
    except FileNotFoundError:
        rows = []
    print()
    print("| measure | now | target | verdict | note |")
    print("|---|---|---|---|---|")
    for row in rows:
        row = (row + ["", "", "", "", ""])[:5]
        print("| " + " | ".join(row) + " |")
    failed = sum(1 for row in rows if len(row) > 3 and row[3] == "FAIL")
    print(f"\n{len(rows)} rows, {len(rows) - failed} PASS, {failed} FAIL")


if __name__ == "__main__":
    import sys

    print_table(sys.argv[1])
