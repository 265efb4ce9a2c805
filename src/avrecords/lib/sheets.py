"""Spreadsheets in and out: imports read within bounds, exports written as text (issue 15).

Reading (U1, E1; row 6). Every import reads its file here. The file is untrusted: an .xlsx is
measured and scanned by `xlsx_guard` before openpyxl opens it, rows are read lazily up to the
limit (never to the size the sheet declares), only the importer's columns are kept, and a file
beyond any limit is refused whole with a Chinese message before memory grows.

Writing (row 7). Every Excel export appends its rows with `append_row`, which keeps each text
a text cell: openpyxl stores a str beginning with "=" as a formula, so a device note such as
=HYPERLINK("http://…","点击") would run in the reader's Excel or WPS. Texts beginning with a
character a spreadsheet takes for a formula also carry Excel's quote prefix, so editing the
cell later keeps it text. The text itself is kept exactly as entered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from avrecords.lib.xlsx_guard import (
    DAMAGED,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    SheetRefused,
    check_xlsx,
    too_many_columns,
    too_many_rows,
)

MAX_CELL_CHARS = 1000  # in the columns an import reads; no field it fills is longer
MAX_CSV_SEPARATORS_PER_LINE = 10_000  # a line of commas would become a list of millions

# What Excel, WPS or LibreOffice read as the start of a formula (or of DDE) in a typed cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "SheetRefused",
    "append_row",
    "read_table",
]


def read_table(
    name: str, data: bytes, *, columns: Iterable[str], required: Iterable[str], max_rows: int
) -> list[dict[str, object]]:
    """Rows (header → cell, for the header names in `columns`) of the first sheet of an .xlsx,
    or of a CSV (UTF-8 or GB18030); an empty row reads as {} so row numbers stay right.
    Refused (SheetRefused) unless every `required` column is in the header row, there are at
    most `max_rows` rows after it and no cell of `columns` exceeds MAX_CELL_CHARS."""
    if len(data) > MAX_FILE_BYTES:
        raise SheetRefused(f"文件过大（上限 {MAX_FILE_BYTES // 1024 // 1024} MB）")
    lower = name.lower()
    if lower.endswith(".xlsx"):
        rows = _xlsx_rows(data, max_rows=max_rows)
    elif lower.endswith(".csv"):
        rows = _csv_rows(data, max_rows=max_rows)
    else:
        raise SheetRefused("只支持 .xlsx 或 .csv 文件")
    if not rows:
        raise SheetRefused("文件没有内容")
    header = [str(h or "").strip() for h in rows[0]]
    if missing := [c for c in required if c not in header]:
        raise SheetRefused(f"缺少列：{'、'.join(missing)}（第一行须为列名）")
    if len(rows) - 1 > max_rows:
        raise too_many_rows(max_rows)
    known = set(columns)
    wanted = [(i, h) for i, h in enumerate(header) if h in known]
    named = [i for i, h in enumerate(header) if h]  # a row with values only elsewhere is empty
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        row = {}
        for i, column in wanted:
            value = cells[i] if i < len(cells) else None
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise SheetRefused(f"第 {number} 行“{column}”超过 {MAX_CELL_CHARS} 字")
            row[column] = value
        filled = any(i < len(cells) and cells[i] not in (None, "") for i in named)
        out.append(row if filled else {})
    return out


def _xlsx_rows(data: bytes, *, max_rows: int) -> list[list]:
    """The header and at most `max_rows` + 1 rows of the first sheet (one more than allowed
    tells that there are too many), each cut after its last value."""
    from openpyxl import load_workbook

    check_xlsx(data, max_rows=max_rows)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SheetRefused(DAMAGED) from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the declared size is the sender's word: never pad to it
        rows = sheet.iter_rows(max_row=max_rows + 2, max_col=MAX_COLUMNS, values_only=True)
        return [_trimmed(row) for row in rows]
    except SheetRefused:
        raise
    except Exception as exc:
        raise SheetRefused(DAMAGED) from exc
    finally:
        book.close()


def _trimmed(cells: Iterable) -> list:
    cells = list(cells)
    while cells and cells[-1] in (None, ""):
        cells.pop()
    return cells


def _csv_rows(data: bytes, *, max_rows: int) -> list[list]:
    """As `_xlsx_rows`, from a CSV in UTF-8 or GB18030 (GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetRefused("CSV 文件编码无法识别（请用 UTF-8 或 GBK）")
    rows = []
    try:
        for cells in csv.reader(_bounded_lines(text)):
            cells = _trimmed(cells)
            if len(cells) > MAX_COLUMNS:
                raise too_many_columns()
            rows.append(cells)
            if len(rows) > max_rows + 1:
                break
    except csv.Error as exc:  # a field past csv's own limit, a stray quote, a NUL
        raise SheetRefused("CSV 文件格式有误，无法读取") from exc
    return rows


def _bounded_lines(text: str) -> Iterator[str]:
    for line in io.StringIO(text):
        if line.count(",") > MAX_CSV_SEPARATORS_PER_LINE:
            raise too_many_columns()
        yield line


# ---- writing ----------------------------------------------------------------------------


def append_row(sheet, values: Iterable) -> tuple:
    """Append `values` to an openpyxl sheet as its next row, every str as a text cell (never a
    formula); returns the row's cells."""
    sheet.append(list(values))
    cells = sheet[sheet.max_row]
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
    return cells
