"""The printed papers of an evidence package, as PDF.

- The 文字说明材料 (M7: 000§21, 001§21, 002§16): who made and who extracted the copies, when
  and where, for what case, and every file with its SHA-256, so the disc can be checked
  against the paper. It also goes into the bag as data/文字说明材料.pdf.
- The disc label (M6: 000§20, 003§16): unit, maker, time, activity or case name and number,
  which of the two copies, where it is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from avrecords.evidence.items import Item, PackageInfo
from avrecords.lib.pdf import render_pdf

STATEMENT_TEMPLATE = "evidence/statement.html"
LABEL_TEMPLATE = "evidence/disc_label.html"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def statement_rows(items: Iterable[Item]) -> list[dict]:
    rows = []
    for number, item in enumerate(items, start=1):
        meta = item.meta or {}
        rows.append(
            {
                "number": number,
                "name": item.name,
                "original_name": meta.get("original_name") or "",
                "size": item.size,
                "sha256": item.sha256.lower(),
                "device": meta.get("device") or "",
                "officer": meta.get("officer") or "",
                "started_at": meta.get("started_at"),
                "ended_at": meta.get("ended_at"),
                "duration": duration_text(meta.get("duration_seconds")),
            }
        )
    return rows


def statement_pdf(info: PackageInfo, items: Iterable[Item]) -> bytes:
    """The 文字说明材料 for the package, listing every original with its SHA-256."""
    rows = statement_rows(items)
    return render_pdf(
        STATEMENT_TEMPLATE,
        {
            "info": info,
            "rows": rows,
            "total_size": sum(row["size"] for row in rows),
        },
    )


def label_pdf(info: PackageInfo, copy_no: int, copies: int, location: str = "") -> bytes:
    """The label for copy `copy_no` of `copies` (two for long-term preservation, 003§16)."""
    if not 1 <= copy_no <= copies:
        raise ValueError(f"份数有误：第 {copy_no} 份 / 共 {copies} 份")
    return render_pdf(
        LABEL_TEMPLATE,
        {"info": info, "copy_no": copy_no, "copies": copies, "location": location},
    )
