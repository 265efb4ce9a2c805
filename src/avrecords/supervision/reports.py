"""The 执法质量考评 report (S2): the dashboard's figures per unit, per officer and per month,
as an Excel workbook (one sheet per table, and the method of calculation) and as an A4 PDF
with the charts, for the annual evaluation. Both say what they cover, when they were made and
by whom; the views audit every export (`supervision.report_export`)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

from avrecords.supervision import charts
from avrecords.supervision.quality import BY, FORMULA, Figures, Report, Row

TITLE = "执法质量考评"
# (header, width, value of a row's figures); None values are shown as —.
NUMBERS = [
    ("执法活动数", 11, lambda f: f.activities),
    ("逾期存储", 9, lambda f: f.late),
    ("逾期存储率(%)", 12, lambda f: f.late_percent),
    ("未说明中断", 10, lambda f: f.gaps),
    ("应记录未记录", 12, lambda f: f.missing),
    ("抽查评分数", 10, lambda f: f.spot_count),
    ("抽查平均分", 10, lambda f: f.spot_mean),
    ("自动核查得分", 12, lambda f: f.automatic),
    ("质量得分", 10, lambda f: f.quality),
]
NAME_HEADERS = {
    "unit": ("单位", "上级单位"),
    "officer": ("执法人员", "所属单位"),
    "month": ("月份",),
}
DASH = "—"


def _rounded(value):
    return round(value, 1) if isinstance(value, float) else value


def numbers(f: Figures) -> list:
    """The figures as the tables show them (one decimal; — where there is nothing)."""
    return [DASH if (v := get(f)) is None else _rounded(v) for _, _, get in NUMBERS]


def table(report: Report, by: str) -> tuple[list[str], list[list]]:
    """(header, rows) of one of the report's tables, the unit table with its 合计 row."""
    rows: list[Row] = {
        "unit": report.by_unit,
        "officer": report.by_officer,
        "month": report.by_month,
    }[by]
    names = NAME_HEADERS[by]
    header = ["序号", *names, *(h for h, _, _ in NUMBERS)]
    body = [
        [i, r.label, *([r.unit] if len(names) > 1 else []), *numbers(r.figures)]
        for i, r in enumerate(rows, start=1)
    ]
    if by == "unit" and rows:
        body.append(["", "合计", "", *numbers(report.total)])
    return header, body


def heading(report: Report, *, by: str, at: dt.datetime) -> str:
    local = timezone.localtime(at)
    return (
        f"{TITLE}　范围：{report.scope}　期间：{report.period.label}"
        f"　导出时间：{local:%Y-%m-%d %H:%M}" + (f"（{by}）" if by else "")
    )


def method_lines(report: Report) -> list[tuple[str, str]]:
    w = report.total.weights
    return [
        ("计算方法", FORMULA),
        ("抽查权重", f"{w.spot_check_weight:g}"),
        ("逾期存储扣分（每次执法活动）", f"{w.late_ingest_points:g}"),
        ("未说明的中断扣分（每处）", f"{w.unexplained_gap_points:g}"),
        ("应记录未记录扣分（每次执法活动）", f"{w.missing_recording_points:g}"),
        (
            "说明",
            "权重和扣分取自执法策略（supervision.quality）；已说明、已确认、已批准免予记录"
            "或数据更新后已不存在的问题不扣分；统计范围内的涉密执法活动同样计入，但不显示其内容。",
        ),
    ]


def to_xlsx(report: Report, *, by: str = "", at: dt.datetime | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from avrecords.lib.sheets import append_row

    at = at or timezone.now()
    book = Workbook()
    book.remove(book.active)
    for key in ("unit", "officer", "month"):
        header, body = table(report, key)
        sheet = book.create_sheet(BY[key])
        append_row(sheet, [heading(report, by=by, at=at)])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet["A1"].font = Font(bold=True, size=13)
        append_row(sheet, header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.freeze_panes = "A3"
        for row in body:
            append_row(sheet, row)
        widths = [6, 18, *([18] if len(NAME_HEADERS[key]) > 1 else []), *(w for _, w, _ in NUMBERS)]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.page_setup.orientation = "landscape"
        sheet.print_options.gridLines = True
    sheet = book.create_sheet("计算方法")
    for label, text in method_lines(report):
        append_row(sheet, [label, text])
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def chart_context(report: Report) -> dict:
    """The two charts of the dashboard and the PDF."""
    months = report.by_month
    labels = charts.month_labels([r.key for r in months])
    trend = charts.trend(
        labels,
        [
            charts.Series("质量得分", [r.figures.quality for r in months]),
            charts.Series("自动核查得分", [r.figures.automatic for r in months]),
        ],
        title="质量得分月度趋势",
    )
    units = charts.bars(
        [(r.label, r.figures.quality) for r in report.by_unit], title="各单位质量得分对比"
    )
    return {"trend_chart": trend, "unit_chart": units}


def to_pdf(report: Report, *, by: str = "", at: dt.datetime | None = None) -> bytes:
    """A4 landscape; PdfUnavailable if this server cannot print."""
    from avrecords.lib.pdf import render_pdf

    return render_pdf(
        "supervision/report_print.html",
        {
            "title": TITLE,
            "report": report,
            "tables": [(BY[key], *table(report, key)) for key in ("unit", "officer", "month")],
            "method": method_lines(report),
            "printed_by": by,
            "printed_at": at or timezone.now(),
            **chart_context(report),
        },
    )
