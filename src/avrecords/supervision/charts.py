"""Charts of the supervision dashboard as inline SVG, drawn on the server (no JavaScript):
a trend line per month and a bar per unit. Scores run 0–100; a missing value (a month or unit
without activities) leaves a gap in the line and "无数据" beside the bar. Labels are Chinese
and escaped; every value is printed beside its mark, so the chart reads without a legend and
prints the same on paper (the PDF report)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SCORE_MAX = 100
TICK_STEP = 20
COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad")
FONT = 'font-family="NotoSansCJK, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per label


def _num(value: float) -> str:
    return f"{value:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    t = escape(title)
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="max-width:100%;height:auto" role="img" '
        f'aria-label="{t}" {FONT} font-size="12">'
        f"<title>{t}</title>" + "".join(body) + "</svg>"
    )


def trend(labels: Sequence[str], series: Sequence[Series], *, title: str) -> SafeString:
    """A line per series over the labels (months), y from 0 to 100 with the axis named 得分."""
    left, right, top, bottom = 56, 16, 40, 76
    step = max(40, min(72, 640 // max(1, len(labels))))
    width = left + right + step * max(1, len(labels))
    height = 320
    plot_h = height - top - bottom

    def x(i: int) -> float:
        return left + step * (i + 0.5)

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(SCORE_MAX, value)) / SCORE_MAX)

    body = [
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>'
    ]
    for tick in range(0, SCORE_MAX + 1, TICK_STEP):
        body.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" '
            f'stroke="#ddd"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    body.append(
        f'<text x="14" y="{top + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})">得分</text>'
    )
    for i, label in enumerate(labels):
        body.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{escape(label)}</text>'
        )
    body.append(
        f'<text x="{left + (width - left - right) / 2:.0f}" y="{top + plot_h + 38}" '
        'text-anchor="middle">月份</text>'
    )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="#444"/><line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>'
    )
    for n, s in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        dash = ' stroke-dasharray="5 3"' if n else ""
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:  # no activities that month: the line breaks
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(value):.1f}")
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(labels[i])} {escape(s.name)} {_num(value)}</title></circle>"
            )
            if n == 0:  # the first series carries the printed values
                body.append(
                    f'<text x="{x(i):.1f}" y="{y(value) - 7:.1f}" text-anchor="middle" '
                    f'font-size="10" fill="{colour}">{_num(value)}</text>'
                )
        body += [
            f'<polyline points="{" ".join(r)}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
            for r in runs
            if len(r) > 1
        ]
        lx = left + 140 * n
        body.append(
            f'<line x1="{lx}" y1="{height - 14}" x2="{lx + 18}" y2="{height - 14}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{lx + 24}" y="{height - 10}" font-size="11">{escape(s.name)}</text>'
        )
    return _svg(width, height, title, body)


def bars(items: Sequence[tuple[str, float | None]], *, title: str) -> SafeString:
    """A horizontal bar per item (unit), 0 to 100, the axis named 质量得分."""
    left, right, top, bottom, row = 170, 60, 34, 44, 26
    width = 720
    height = top + bottom + row * max(1, len(items))
    plot_w = width - left - right

    def x(value: float) -> float:
        return left + plot_w * max(0.0, min(SCORE_MAX, value)) / SCORE_MAX

    body = [
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>'
    ]
    axis_y = top + row * max(1, len(items))
    for tick in range(0, SCORE_MAX + 1, TICK_STEP):
        body.append(
            f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{axis_y}" stroke="#ddd"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 16}" text-anchor="middle">{tick}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle">质量得分</text>'
    )
    for i, (label, value) in enumerate(items):
        mid = top + row * i + row / 2
        name = label if len(label) <= 12 else label[:11] + "…"
        body.append(
            f'<text x="{left - 8}" y="{mid + 4:.1f}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(name)}</text>"
        )
        if value is None:
            body.append(f'<text x="{left + 6}" y="{mid + 4:.1f}" fill="#777">无数据</text>')
            continue
        body.append(
            f'<rect x="{left}" y="{mid - 8:.1f}" width="{x(value) - left:.1f}" height="16" '
            f'fill="{COLOURS[0]}"><title>{escape(label)} {_num(value)}</title></rect>'
            f'<text x="{x(value) + 6:.1f}" y="{mid + 4:.1f}">{_num(value)}</text>'
        )
    body.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="#444"/>'
        f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#444"/>'
    )
    return _svg(width, height, title, body)


def month_labels(keys: Sequence[str]) -> list[str]:
    """Month keys ("2026-03") as axis labels: "3月", or "26年3月" across several years."""
    pairs = [(k[:4], int(k[5:7])) for k in keys]
    if len({year for year, _ in pairs}) <= 1:
        return [f"{month}月" for _, month in pairs]
    return [f"{year[2:]}年{month}月" for year, month in pairs]
