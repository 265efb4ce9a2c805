"""The journeys' counts on the UI before issue 17 (docs/journeys.md, commit 2fbe9b8): each
journey must take fewer clicks now. Every run writes its own counts to
var/journeys-after.txt (one line a journey) for docs/journeys.md."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.walk import Counts

BEFORE = {
    "officer": Counts(clicks=7, fields=3, pages=5),
    "officer_1366": Counts(clicks=7, fields=3, pages=5),
    "copy_and_export": Counts(clicks=30, fields=3, pages=28),
    "supervisor": Counts(clicks=17, fields=6, pages=10),
}
REPORT = Path(__file__).resolve().parents[2] / "var" / "journeys-after.txt"


def report(journey: str, counts: Counts) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    pages = " ".join(re.sub(r"^https?://[^/]+", "", url) for url in counts.visited)
    line = (
        f"{journey}: {counts} (before: {BEFORE[journey]}); "
        f"{counts.confirmations} confirmations; pages: {pages}\n"
    )
    with open(REPORT, "a", encoding="utf-8") as out:
        out.write(line)
    print(line, end="")
