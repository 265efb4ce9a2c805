"""/api/v1/people/import and /export (issue 18 §3): an HR system sends the roster it keeps, or
fetches the agency's, with the rules of the 人员名册 page (`agency.roster`).

The import is all or nothing, as on the page: a file with any bad row is answered 422 with
every row's problems ("第 N 行：…") and nothing written. `dry_run` only says what it would do.
The new people's initial passwords are in the answer of the import that adds them, once: the
system that called hands them over; each must be changed at first sign-in.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from avrecords.agency import roster
from avrecords.lib import refusals, sheets
from avrecords.lib.api_schemas import Error, Invalid
from avrecords.lib.http import attachment

router = Router(tags=["单位与人员"])


class ChangeOut(Schema):
    column: str
    before: str
    after: str


class RosterRowOut(Schema):
    row: int
    full_name: str
    action: Literal["new", "changed"]
    changes: list[ChangeOut]


class NewPersonOut(Schema):
    username: str
    full_name: str
    badge_no: str | None
    unit: str
    initial_password: str


class RosterImportOut(Schema):
    dry_run: bool
    file: str
    sha256: str
    new: int
    changed: int
    unchanged: int
    rows: list[RosterRowOut]  # the rows that add or change someone
    created: list[NewPersonOut]  # empty on a dry run


@router.post(
    "/people/import",
    response={200: RosterImportOut, 401: Error, 403: Error, 422: Invalid},
    summary="导入人员名册（.xlsx 或 .csv，全部无误才导入）",
)
def import_roster(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    data = file.read(sheets.MAX_FILE_BYTES + 1)
    report = roster.import_file(request.user, file.name or "", data, dry_run=dry_run)
    if report.errors:
        raise refusals.Invalid(report.refusal, reasons=report.error_lines)
    counts = report.counts
    return {
        "dry_run": dry_run,
        "file": report.file_name,
        "sha256": report.sha256,
        "new": counts["new"],
        "changed": counts["changed"],
        "unchanged": counts["same"],
        "rows": [
            {
                "row": r.number,
                "full_name": r.name,
                "action": r.action,
                "changes": [{"column": c, "before": b, "after": a} for c, b, a in r.changes],
            }
            for r in report.rows
            if r.action != "same"
        ],
        "created": [
            {
                "username": person.username,
                "full_name": person.full_name,
                "badge_no": person.badge_no,
                "unit": person.unit.name if person.unit_id else "",
                "initial_password": password,
            }
            for person, password in report.passwords
        ],
    }


SHEET_TYPES = {
    roster.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}},
}


@router.get(
    "/people/export",
    response={200: None, 401: Error, 403: Error},
    summary="导出人员名册（本人管理范围内的人员）",
    openapi_extra={"responses": {200: {"description": "人员名册", "content": SHEET_TYPES}}},
)
def export_roster(
    request, format: Literal["xlsx", "csv"] = "xlsx", encoding: Literal["utf-8", "gbk"] = "utf-8"
) -> HttpResponse:
    """`encoding` applies to CSV: UTF-8 with a BOM, or GBK (GB18030) for an old Excel."""
    return attachment(*roster.export_file(request.user, format, gbk=encoding == "gbk"))
