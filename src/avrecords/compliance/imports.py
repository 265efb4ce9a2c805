"""Bulk import of activities from Excel (.xlsx) or CSV, as agencies' case systems export them (U1).

All or nothing: every row is checked first and the errors are listed per row ("第 3 行：
开始时间：无法识别…"); only a file without errors is imported, in one transaction. A row
with an 外部编号 already imported for that unit is skipped (re-importing the same export is
harmless), unless its 结束时间, 返回单位时间 or 现场纠纷 changed: then the activity is
corrected (`corrections.correct`, audited, its findings recomputed: the ingest deadline of
002§15 and 003§13 counts from the activity's end, 004§17 allows no extension after a
dispute); its other columns are not read again. Times are Beijing local time unless they
carry an offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from avrecords.audit.services import record
from avrecords.compliance import activities as acts
from avrecords.compliance import corrections
from avrecords.compliance.models import Activity, ActivitySource
from avrecords.lib import sheets
from avrecords.org.models import Unit, User
from avrecords.policies.services import profile_for_unit

MAX_ROWS = 5000
MAX_FILE_BYTES = sheets.MAX_FILE_BYTES
ImportRefused = sheets.SheetRefused  # the file as a whole is refused; nothing imported
COLUMNS = {  # header → field; * = required
    "单位代码": "unit",
    "活动类型": "kind",
    "开始时间": "started_at",
    "结束时间": "ended_at",
    "执法人员": "officers",
    "案件编号": "case_number",
    "当事人": "party",
    "地点": "place",
    "计划开始": "planned_start",
    "计划结束": "planned_end",
    "文书名称": "document_name",
    "文书记载开始": "document_started_at",
    "文书记载结束": "document_ended_at",
    "现场纠纷": "dispute",
    "爆炸危险区域": "explosive_area",
    "返回单位时间": "returned_at",
    "外部编号": "external_ref",
}
REQUIRED = ["单位代码", "活动类型", "开始时间", "结束时间", "执法人员"]
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
YES = {"是", "有", "y", "yes", "true", "1"}
NO = {"", "否", "无", "n", "no", "false", "0"}


@dataclass
class ImportReport:
    imported: list[Activity] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # row numbers already imported
    corrected: list[int] = field(default_factory=list)  # already imported, end or dispute changed
    errors: list[str] = field(default_factory=list)


def parse_time(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip().replace("T", " ")
        moment = None
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            for fmt in TIME_FORMATS:
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if moment is None:
            raise ValueError(f"无法识别“{value}”，应为 2026-09-30 09:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def read_table(name: str, data: bytes, required=REQUIRED) -> list[dict[str, object]]:
    """Rows (header → cell) of the first sheet of an .xlsx, or of a CSV, read within bounds
    (`lib.sheets`); refused unless every `required` column is in the header row."""
    return sheets.read_table(name, data, columns=COLUMNS, required=required, max_rows=MAX_ROWS)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def row_input(row: dict, units: dict[str, Unit], people: dict[str, User]):
    """(ActivityInput or None, errors) from one row of cells."""
    errors: list[str] = []
    for column in REQUIRED:
        if _text(row.get(column)) == "":
            errors.append(f"{column}：不能为空")
    unit = units.get(_text(row.get("单位代码")))
    if unit is None and _text(row.get("单位代码")):
        errors.append(f"单位代码：“{_text(row.get('单位代码'))}”不存在或不在您的管理范围内")
    officers = []
    for token in _text(row.get("执法人员")).replace(",", "、").replace("，", "、").split("、"):
        if token.strip():
            person = people.get(token.strip())
            if person is None:
                errors.append(f"执法人员：“{token.strip()}”不是已登记的执法证号或姓名")
            else:
                officers.append(person)
    times = {}
    for column, name in COLUMNS.items():
        if name.endswith(("_at", "_start", "_end")):
            try:
                times[name] = parse_time(row.get(column))
            except ValueError as exc:
                errors.append(f"{column}：{exc}")
    dispute = _text(row.get("现场纠纷")).lower()
    if dispute not in YES | NO:
        errors.append("现场纠纷：应填“是”或“否”")
    explosive = _text(row.get("爆炸危险区域")).lower()
    if explosive not in YES | NO:
        errors.append("爆炸危险区域：应填“是”或“否”")
    if errors or unit is None:
        return None, errors
    kind = _text(row.get("活动类型"))
    profile = profile_for_unit(unit)
    if profile is not None:  # accept the Chinese name as well as the code
        kind = next((a.code for a in profile.activities if kind in (a.code, a.name)), kind)
    data = acts.ActivityInput(
        unit=unit,
        kind=kind,
        started_at=times["started_at"],
        ended_at=times["ended_at"],
        officers=officers,
        case_number=_text(row.get("案件编号")),
        party=_text(row.get("当事人")),
        place=_text(row.get("地点")),
        planned_start=times["planned_start"],
        planned_end=times["planned_end"],
        document_name=_text(row.get("文书名称")),
        document_started_at=times["document_started_at"],
        document_ended_at=times["document_ended_at"],
        dispute=dispute in YES,
        explosive_area=explosive in YES,
        returned_at=times["returned_at"],
        external_ref=_text(row.get("外部编号")),
    )
    problems, _ = acts.check(data)
    return (None, problems) if problems else (data, [])


def import_rows(
    actor, rows: list[dict], units: dict[str, Unit], people: dict[str, User], *, source_name: str
) -> ImportReport:
    report = ImportReport()
    ready: list[tuple[int, acts.ActivityInput]] = []
    fixes: list[tuple[int, Activity, acts.ActivityInput]] = []
    seen_refs: set[tuple[int, str]] = set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not row:
            continue
        data, errors = row_input(row, units, people)
        report.errors += [f"第 {number} 行：{e}" for e in errors]
        if data is None:
            continue
        if data.external_ref:
            key = (data.unit.pk, data.external_ref)
            if key in seen_refs:
                report.errors.append(f"第 {number} 行：外部编号：“{data.external_ref}”在文件中重复")
                continue
            seen_refs.add(key)
            known = Activity.objects.filter(unit=data.unit, external_ref=data.external_ref).first()
            if known is not None:
                if corrections.changes(known, **_correctable(data)):
                    problems = corrections.problems(known, **_correctable(data))
                    report.errors += [f"第 {number} 行：{e}" for e in problems]
                    fixes.append((number, known, data))
                else:
                    report.skipped.append(number)
                continue
        ready.append((number, data))
    if report.errors:
        return report
    with transaction.atomic():
        for _number, data in ready:
            report.imported.append(acts.create_activity(actor, data, ActivitySource.IMPORT))
        for number, known, data in fixes:
            corrections.correct(actor, known, **_correctable(data))
            report.corrected.append(number)
        record(
            "activity.import",
            actor=actor,
            summary=f"批量导入执法活动 {len(report.imported)} 条（{source_name}）",
            detail={
                "file": source_name,
                "imported": len(report.imported),
                "skipped": report.skipped,
                "corrected": report.corrected,
            },
        )
    return report


def _correctable(data: acts.ActivityInput) -> dict:
    return {"ended_at": data.ended_at, "returned_at": data.returned_at, "dispute": data.dispute}


def lookups(user) -> tuple[dict[str, Unit], dict[str, User]]:
    """Units (by code) and people (by 执法证号, and by name where unique) the user may use."""
    units = Unit.objects.visible_to(user)
    by_code = {u.code: u for u in units}
    people = User.objects.filter(unit__in=by_code.values(), is_active=True).select_related("unit")
    by_key: dict[str, User] = {}
    names: dict[str, list[User]] = {}
    for person in people:
        if person.badge_no:
            by_key[person.badge_no] = person
        names.setdefault(person.full_name, []).append(person)
    for name, holders in names.items():
        if name and len(holders) == 1:
            by_key.setdefault(name, holders[0])
    return by_code, by_key
