"""Measure an uploaded .xlsx before openpyxl opens it (issue 15, row 6).

An .xlsx is a zip of XML parts, and openpyxl trusts them: it pads every row to the size the
sheet declares (`<dimension ref="A1:XFD1048576">`: a 1.6 KB file grew the server past 2 GB),
builds the whole string table, the styles and the manifest in memory, and parses each row as
one tree (a row of a million empty cells is 4 MB of XML that packs into 6 KB). So the archive
is measured first: its central directory, the unpacked size of its parts, and then every part
is scanned as a stream by expat (constant memory), which refuses

- a cell with a value beyond the last allowed row or column, or a row with too many cells;
- a shared string or cell made of too many elements (rich text runs);
- more elements than any real workbook has in the parts openpyxl reads whole (manifest,
  relationships, styles, workbook), outside the rows and the string table;
- a DOCTYPE (entity expansion; no real .xlsx has one).

A part that is not XML (an image) ends its scan at the first byte: openpyxl cannot read it as
XML either, so nothing it parses escapes the scan. Limits not reached cost nothing but the scan.
"""

from __future__ import annotations

import io
import zipfile
from xml.parsers import expat

from avrecords.lib.refusals import Invalid

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # all parts together, as unpacked
MAX_STRINGS_BYTES = 16 * 1024 * 1024  # the shared-string table, which openpyxl holds whole
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's central directory (about 20,000 parts)
MAX_PARTS = 1000
MAX_COLUMNS = 100  # columns that may hold values; templates have fewer than 30
MAX_CELLS_PER_ROW = 1000  # cells written for formatting only count here, not above
MAX_RECORD_ELEMENTS = 1000  # elements inside one cell or one shared string (rich text runs)
MAX_OTHER_ELEMENTS = 100_000  # per part, outside the rows and the shared strings
SCAN_CHUNK_BYTES = 64 * 1024
EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_BYTES = 22
MAX_COMMENT_BYTES = 65535

DAMAGED = "无法读取 Excel 文件（文件损坏或不是 .xlsx）"
STRANGE = "无法读取 Excel 文件（文件结构异常）"


class SheetRefused(Invalid, ValueError):
    """The file as a whole cannot be read (format, size, columns); nothing was imported (422)."""

    api_prefix = "未导入："


def too_many_rows(max_rows: int) -> SheetRefused:
    return SheetRefused(f"文件超过 {max_rows} 行：一次最多导入 {max_rows} 行，请分批导入")


def too_many_columns() -> SheetRefused:
    return SheetRefused(f"文件超过 {MAX_COLUMNS} 列，请删去多余的列后再导入")


def check_xlsx(data: bytes, *, max_rows: int) -> None:
    """Refuse (SheetRefused) an .xlsx that is too large unpacked or holds values beyond
    `max_rows` rows after the header, or beyond MAX_COLUMNS columns."""
    directory_bytes = _central_directory_bytes(data)
    if directory_bytes is None:
        raise SheetRefused(DAMAGED)
    if directory_bytes > MAX_DIRECTORY_BYTES:
        raise SheetRefused(STRANGE)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise SheetRefused(DAMAGED) from exc
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise SheetRefused(STRANGE)
        if sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
            raise SheetRefused(
                f"Excel 文件解压后过大（上限 {MAX_UNPACKED_BYTES // 1024 // 1024} MB）"
            )
        for part in parts:
            _scan_part(archive, part, last_row=max_rows + 1)


def _central_directory_bytes(data: bytes) -> int | None:
    """The size the end record gives the central directory, read before zipfile reads it
    (zipfile builds an object per entry); None if there is no end record."""
    tail = data[-(EOCD_BYTES + MAX_COMMENT_BYTES) :]
    at = tail.rfind(EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < EOCD_BYTES:
        return None
    return int.from_bytes(tail[at + 12 : at + 16], "little")  # 0xFFFFFFFF (zip64) is too large


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, *, last_row: int) -> None:
    scan = _PartScan(last_row=last_row, size=part.file_size)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(SCAN_CHUNK_BYTES):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError:
        return  # not XML from here on: openpyxl stops at the same place
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        raise SheetRefused(DAMAGED) from exc  # bad CRC, encrypted, unknown compression


def _refuse_doctype(*_args) -> None:
    raise SheetRefused(STRANGE)


class _PartScan:
    """expat callbacks counting what openpyxl would build from one part."""

    def __init__(self, *, last_row: int, size: int):
        self.last_row = last_row
        self.size = size
        self.depth = 0
        self.zone = ""  # "rows" inside <sheetData>, "strings" inside <sst>
        self.zone_depth = 0
        self.record_depth = 0  # depth of the open <c> or <si>, 0 outside one
        self.record_elements = 0
        self.other_elements = 0
        self.row = 0
        self.column = 0
        self.cells = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(" ")[2]
        self.depth += 1
        if self.record_depth:
            self.record_elements += 1
            if self.record_elements > MAX_RECORD_ELEMENTS:
                raise SheetRefused(STRANGE)
            if self.zone == "rows" and tag in ("v", "is"):
                self._value_at(self.row, self.column)
        elif self.zone == "rows" and tag == "row":
            self.row = _row_number(attrs.get("r"), self.row)
            self.column = self.cells = 0
        elif self.zone == "rows" and tag == "c":
            self.cells += 1
            if self.cells > MAX_CELLS_PER_ROW:
                raise too_many_columns()
            self.column = _column_number(attrs.get("r"), self.column)
            self._open_record()
        elif self.zone == "strings" and tag == "si":
            self._open_record()
        elif tag == "sheetData" or (tag == "sst" and self.depth == 1):
            if tag == "sst" and self.size > MAX_STRINGS_BYTES:
                raise SheetRefused(
                    f"Excel 文件的文字内容过多（上限 {MAX_STRINGS_BYTES // 1024 // 1024} MB）"
                )
            self.zone, self.zone_depth = ("rows" if tag == "sheetData" else "strings"), self.depth
        else:
            self.other_elements += 1
            if self.other_elements > MAX_OTHER_ELEMENTS:
                raise SheetRefused(STRANGE)

    def end(self, _name: str) -> None:
        if self.depth == self.record_depth:
            self.record_depth = 0
        if self.depth == self.zone_depth:
            self.zone, self.zone_depth = "", 0
        self.depth -= 1

    def _open_record(self) -> None:
        self.record_depth, self.record_elements = self.depth, 0

    def _value_at(self, row: int, column: int) -> None:
        if row > self.last_row:
            raise too_many_rows(self.last_row - 1)
        if column > MAX_COLUMNS:
            raise too_many_columns()


def _row_number(text: str | None, previous: int) -> int:
    """The row's number as openpyxl reads it: its r attribute (5 or 5.0), else the next."""
    if text is None:
        return previous + 1
    try:
        number = float(text)
    except ValueError:
        raise SheetRefused(STRANGE) from None
    if not number.is_integer():
        raise SheetRefused(STRANGE)
    return int(number)


def _column_number(reference: str | None, previous: int) -> int:
    """The cell's column as openpyxl reads it: from its r attribute (C7), else the next."""
    if not reference:
        return previous + 1
    # openpyxl (and numpy, which it loads) only when a workbook is read (issue 22 §1).
    from openpyxl.utils.cell import coordinate_to_tuple

    try:
        return coordinate_to_tuple(reference)[1]
    except (ValueError, TypeError):
        raise SheetRefused(STRANGE) from None
