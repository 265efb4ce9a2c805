"""The agency's roster (人员名册, X2; issue 18 §3): import and export of its people as a sheet.

Reading. The personnel office keeps its roster in Excel; a file (.xlsx, or CSV in UTF-8 or GBK)
is read through `lib.sheets.read_table`, which refuses a damaged, huge or too long file before
memory grows. Each row names a person by 执法证号, else by 用户名; a row matching nobody adds a
person. Every row is applied through the people service (`agency.people`), which checks and
audits each person as its pages do: this module never writes a person itself.

All or nothing. The whole file is applied inside one transaction, each row in its savepoint;
every problem is collected as "第 N 行：…" (N the sheet's row number, the header being row 1),
and if any row failed, everything is rolled back. A dry run does the same and always rolls back,
so its counts ("将新增 195 人，修改 3 人，不变 2 人") are exactly what the import will do.

What a row does not change. 状态 (在岗/已停用) is exported but never imported: a person leaves
or moves through the transfer and departure clearance (调动/离职交接), which collects his devices
and hands his recordings over, so a row asking another 状态 is an error. An empty 用户名,
执法证号 or 执法记录编号 cell keeps the person's number (they bind recordings and sign-ins; clear
one on the person's page); an empty 联系电话, 涉密知悉范围 or 监督的单位 cell clears it. A column
the file does not have changes nothing. Re-importing an export changes nothing.

Writing. The export has the same columns, text cells only (`lib.sheets.append_row`; a CSV cell
that a spreadsheet would read as a formula is written with a leading "'", which the import
takes off again), so what goes out comes back in unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from avrecords.agency import people
from avrecords.agency.permissions import can_manage_people
from avrecords.audit import services as audit
from avrecords.lib import sheets
from avrecords.lib.refusals import Forbidden, Refusal
from avrecords.org.models import Role, Secrecy, Unit, User

NAME, USERNAME, BADGE, OFFICER_NO, UNIT = "姓名", "用户名", "执法证号", "执法记录编号", "单位"
ROLE, SECRECY, SUPERVISED, PHONE, STATUS = "角色", "涉密知悉范围", "监督的单位", "联系电话", "状态"
COLUMNS = [NAME, USERNAME, BADGE, OFFICER_NO, UNIT, ROLE, SECRECY, SUPERVISED, PHONE, STATUS]
REQUIRED = [NAME, UNIT, ROLE]
MAX_ROWS_PER_FILE = 5000  # rows after the header
PREVIEW_ROWS = 50  # rows whose changes the dry run lists one by one
ACTIVE, INACTIVE = "在岗", "已停用"
LIST_SEPARATORS = re.compile(r"[、，,；;\s]+")
NOT_ALLOWED = "无权管理人员"
FORMULA_QUOTE = "'"  # a CSV cell that would start a formula is written with it (as Excel does)

# The service's field names and the column that fills each, in the order the preview lists them.
FIELD_COLUMNS = {
    "full_name": NAME,
    "username": USERNAME,
    "badge_no": BADGE,
    "officer_no": OFFICER_NO,
    "unit": UNIT,
    "role": ROLE,
    "secrecy_clearances": SECRECY,
    "supervised_units": SUPERVISED,
    "phone": PHONE,
}
TEXT_FIELDS = ("full_name", "username", "badge_no", "officer_no", "phone")
ROLES = {label: value for value, label in Role.choices}
MARKS = {label: value for value, label in Secrecy.choices if value}
MARK_ORDER = [value for value, _ in Secrecy.choices if value]

__all__ = ["COLUMNS", "MAX_ROWS_PER_FILE", "REQUIRED", "Report", "import_file", "read_file"]


# ---- the report -------------------------------------------------------------------------


@dataclass
class RowResult:
    """What one row does: adds a person, changes some of his fields, or nothing."""

    number: int
    name: str
    action: str  # "new", "changed", "same"
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # column, before, after

    @property
    def action_label(self) -> str:
        return {"new": "新增", "changed": "修改", "same": "不变"}[self.action]


@dataclass
class Report:
    """The answer to an import or its dry run."""

    file_name: str
    sha256: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    errors: dict[int, list[str]] = field(default_factory=dict)  # row number → its reasons
    passwords: list[tuple[User, str]] = field(default_factory=list)  # new people, if applied

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("new", "changed", "same")}

    @property
    def summary(self) -> str:
        c = self.counts
        verb = "将新增" if self.dry_run else "已新增"
        return f"{verb} {c['new']} 人，修改 {c['changed']} 人，不变 {c['same']} 人"

    @property
    def error_lines(self) -> list[str]:
        return [f"第 {n} 行：{'；'.join(self.errors[n])}" for n in sorted(self.errors)]

    @property
    def refusal(self) -> str:
        return f"共 {len(self.errors)} 行有误，未导入任何人员"

    @property
    def preview(self) -> list[RowResult]:
        return [r for r in self.rows if r.action != "same"][:PREVIEW_ROWS]

    def add_error(self, number: int, reason: str) -> None:
        self.errors.setdefault(number, []).append(reason)


class _RollBack(Exception):
    """Leaves the import's transaction without keeping anything (a dry run, or an error)."""


# ---- reading -----------------------------------------------------------------------------


def read_file(name: str, data: bytes) -> list[dict[str, object]]:
    """The rows of an uploaded roster; SheetRefused (422) for a file that cannot be read."""
    rows = sheets.read_table(
        name, data, columns=COLUMNS, required=REQUIRED, max_rows=MAX_ROWS_PER_FILE
    )
    filled = [r for r in rows if r]
    if not filled:
        raise sheets.SheetRefused("文件中没有人员")
    if BADGE not in filled[0] and USERNAME not in filled[0]:
        raise sheets.SheetRefused(f"缺少列：{BADGE}或{USERNAME}（用来找到已有的人员）")
    if name.lower().endswith(".csv"):
        rows = [{k: _unquoted(v) for k, v in row.items()} for row in rows]
    return rows


def _unquoted(value):
    if isinstance(value, str) and value.startswith(FORMULA_QUOTE):
        if value[1:].startswith(sheets.FORMULA_STARTS):
            return value[1:]
    return value


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps numbers as floats: 35020019001.0 is 35020019001
    return "" if value is None else str(value).strip()


# ---- what the agency already has ---------------------------------------------------------


@dataclass
class Known:
    """The units and people the actor may name, looked up once per import."""

    units_by_code: dict[str, Unit]
    units_by_name: dict[str, list[Unit]]
    by_badge: dict[str, User]
    by_username: dict[str, User]

    @classmethod
    def load(cls, actor) -> Known:
        units = list(Unit.objects.visible_to(actor).select_related("parent"))
        by_name: dict[str, list[Unit]] = {}
        for unit in units:
            by_name.setdefault(unit.name, []).append(unit)
        persons = list(
            User.objects.visible_to(actor)
            .select_related("unit")
            .prefetch_related("supervised_units")
        )
        return cls(
            units_by_code={u.code.upper(): u for u in units},
            units_by_name=by_name,
            by_badge={p.badge_no.upper(): p for p in persons if p.badge_no},
            by_username={p.username: p for p in persons},
        )

    def unit(self, text: str) -> tuple[Unit | None, str]:
        """(the unit a cell names by 单位代码 or name, the reason it names none)."""
        text = text.strip()
        if unit := self.units_by_code.get(unicodedata.normalize("NFKC", text).upper()):
            return unit, ""
        named = self.units_by_name.get(text, [])
        current = [u for u in named if u.retired_at is None]
        if len(named) == 1 or len(current) == 1:
            return (named if len(named) == 1 else current)[0], ""
        if named:
            candidates = "、".join(f"{u.name}（单位代码 {u.code}{_under(u)}）" for u in named)
            return None, f"单位“{text}”有 {len(named)} 个同名：{candidates}，请填单位代码"
        return None, f"单位“{text}”不存在或不在您的管理范围内"


def _under(unit: Unit) -> str:
    return f"，属{unit.parent.name}" if unit.parent_id else ""


def unit_text(unit: Unit | None, known: Known) -> str:
    """A unit as the export names it: its name, or its 单位代码 where the name is not unique."""
    if unit is None:
        return ""
    return unit.name if len(known.units_by_name.get(unit.name, [])) == 1 else unit.code


def person_text(person: User) -> str:
    unit = f"（{person.unit.name}）" if person.unit_id else ""
    return f"{person.display_name}{unit}"


# ---- one row -----------------------------------------------------------------------------


@dataclass
class Row:
    """One row read: who it names (None: a new person), the fields it gives, its problems."""

    number: int
    person: User | None
    wanted: dict
    errors: list[str]


def parse_row(number: int, cells: dict, known: Known) -> Row:
    """The person a row names and the service's fields it gives (nothing written)."""
    errors: list[str] = []
    texts = people.normalise({f: _text(cells.get(FIELD_COLUMNS[f])) for f in TEXT_FIELDS})
    badge, username = texts.get("badge_no"), texts.get("username") or None
    by_badge = known.by_badge.get(badge) if badge else None
    by_username = known.by_username.get(username) if username else None
    if not badge and not username:
        errors.append(f"{BADGE}和{USERNAME}至少填写一项")
    if by_badge and by_username and by_badge != by_username:
        errors.append(
            f"{USERNAME} {username} 属于 {person_text(by_username)}，{BADGE} {badge} 属于 "
            f"{person_text(by_badge)}，不是同一人"
        )
    person = by_badge or by_username
    wanted: dict = {}
    for name in ("username", "badge_no", "officer_no"):
        if texts.get(name):  # an empty number keeps the person's (see the module's note)
            wanted[name] = texts[name]
    if person is None and not username and badge:
        wanted["username"] = badge  # a new person signs in with his 执法证号
    if FIELD_COLUMNS["phone"] in cells:
        wanted["phone"] = texts.get("phone") or ""
    _required(wanted, "full_name", texts.get("full_name") or "", person, errors)
    unit_cell = _text(cells.get(UNIT))
    if unit_cell:
        unit, problem = known.unit(unit_cell)
        if problem:
            errors.append(problem)
        else:
            wanted["unit"] = unit
    else:
        _required(wanted, "unit", None, person, errors)
    role_cell = _text(cells.get(ROLE))
    if role_cell in ROLES or role_cell in ROLES.values():
        wanted["role"] = ROLES.get(role_cell, role_cell)
    elif role_cell:
        errors.append(f"角色“{role_cell}”无法识别，应为：{'、'.join(ROLES)}")
    else:
        errors.append(f"{ROLE}不能为空")
    if SECRECY in cells:
        marks, unknown = _marks(_text(cells.get(SECRECY)))
        wanted["secrecy_clearances"] = marks
        if unknown:
            errors.append(f"涉密知悉范围“{'、'.join(unknown)}”无法识别，应为：{'、'.join(MARKS)}")
    if SUPERVISED in cells:
        units = []
        for part in _parts(_text(cells.get(SUPERVISED))):
            unit, problem = known.unit(part)
            if problem:
                errors.append(f"监督的单位：{problem}")
            else:
                units.append(unit)
        wanted["supervised_units"] = list(dict.fromkeys(units))
    status = _text(cells.get(STATUS))
    current = ACTIVE if person is None or person.is_active else INACTIVE
    if status and status != current:
        errors.append(
            f"状态不能通过名册修改（现为“{current}”）：调离、离职请办理调动或离职交接"
            if person
            else f"新增人员的状态只能为“{ACTIVE}”"
        )
    return Row(number, person, wanted, errors)


def _required(wanted: dict, name: str, value, person: User | None, errors: list[str]) -> None:
    """A required cell may be empty only where the person's own value is empty too (the first
    system administrator has no 单位), so that his exported row reads back unchanged."""
    if value:
        wanted[name] = value
    elif person is None or _current(person, name):
        errors.append(f"{FIELD_COLUMNS[name]}不能为空")


def _parts(text: str) -> list[str]:
    return [p for p in LIST_SEPARATORS.split(text) if p]


def _marks(text: str) -> tuple[list[str], list[str]]:
    parts = [p for p in _parts(text) if p != Secrecy.NONE.label]
    marks = {MARKS[p] for p in parts if p in MARKS}
    return [m for m in MARK_ORDER if m in marks], [p for p in parts if p not in MARKS]


def _current(person: User, name: str):
    """A person's value of a service field, in the shape `parse_row` gives it."""
    if name == "unit":
        return person.unit
    if name == "supervised_units":
        return list(person.supervised_units.all())
    if name == "secrecy_clearances":
        return [m for m in MARK_ORDER if m in set(person.secrecy_clearances or [])]
    return getattr(person, name) or ("" if name in ("phone", "full_name") else None)


def changed_fields(person: User, wanted: dict) -> dict:
    """The part of `wanted` that differs from the person as he is."""
    out = {}
    for name, value in wanted.items():
        now = _current(person, name)
        if name == "supervised_units":
            differs = {u.pk for u in value} != {u.pk for u in now}
        elif name == "unit":
            differs = getattr(value, "pk", None) != getattr(now, "pk", None)
        else:
            differs = (value or None) != (now or None)
        if differs:
            out[name] = value
    return out


def shown(name: str, value, known: Known) -> str:
    """A field's value as the preview and the export write it."""
    if name == "unit":
        return unit_text(value, known)
    if name == "supervised_units":
        return "、".join(unit_text(u, known) for u in value)
    if name == "secrecy_clearances":
        return "、".join(Secrecy(m).label for m in value)
    if name == "role":
        return Role(value).label if value else ""
    return value or ""


# ---- applying the file -------------------------------------------------------------------


def import_file(actor, name: str, data: bytes, *, dry_run: bool) -> Report:
    """Apply an uploaded roster, all or nothing (or only try it: `dry_run`). SheetRefused for a
    file that cannot be read; otherwise the report says what was (or would be) done, or every
    row's problems, in which case nothing was written."""
    if not can_manage_people(actor):
        raise Forbidden(NOT_ALLOWED)
    rows = read_file(name, data)
    report = Report(name, hashlib.sha256(data).hexdigest(), dry_run)
    try:
        with transaction.atomic():
            _apply(actor, rows, report)
            if report.errors or dry_run:
                raise _RollBack
            audit.record(
                "agency.roster_import",
                actor=actor,
                summary=f"导入人员名册“{name}”：{report.summary}",
                detail={"file": name, "sha256": report.sha256, **report.counts},
            )
    except _RollBack:
        report.passwords = []
    return report


def _apply(actor, rows: list[dict], report: Report) -> None:
    known = Known.load(actor)
    parsed: list[Row] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(rows, start=2):  # row 1 is the header
        if not cells:
            continue
        row = parse_row(number, cells, known)
        for name in ("badge_no", "username", "officer_no"):
            value = row.wanted.get(name)
            if value and (first := first_seen.setdefault((name, value), number)) != number:
                row.errors.append(f"{FIELD_COLUMNS[name]} {value} 与第 {first} 行重复")
        if row.person is not None:
            first = first_seen.setdefault(("person", str(row.person.pk)), number)
            if first != number and not row.errors:
                row.errors.append(f"与第 {first} 行是同一人（{person_text(row.person)}）")
        for reason in row.errors:
            report.add_error(number, reason)
        parsed.append(row)
    # Who becomes a system administrator is written first, so a file that hands the role from
    # one person to another is not refused for leaving nobody in between.
    ordered = sorted(parsed, key=lambda r: (r.wanted.get("role") != Role.SYSADMIN, r.number))
    results = []
    for row in ordered:
        if not row.errors:
            results.append(_apply_row(actor, row, known, report))
    report.rows = sorted((r for r in results if r), key=lambda r: r.number)


def _apply_row(actor, row: Row, known: Known, report: Report) -> RowResult | None:
    name = row.wanted.get("full_name") or (row.person.display_name if row.person else "")
    try:
        with transaction.atomic():
            if row.person is None:
                person, password = people.create_person(actor, **row.wanted)
                report.passwords.append((person, password))
                changes = [
                    (FIELD_COLUMNS[f], "", shown(f, v, known)) for f, v in row.wanted.items() if v
                ]
                return RowResult(row.number, name, "new", changes)
            changes = changed_fields(row.person, row.wanted)
            if not changes:
                return RowResult(row.number, name, "same")
            before = {f: shown(f, _current(row.person, f), known) for f in changes}
            people.update_person(actor, row.person, **changes)
            listed = [(FIELD_COLUMNS[f], before[f], shown(f, v, known)) for f, v in changes.items()]
            return RowResult(row.number, name, "changed", listed)
    except Refusal as exc:
        for reason in [*exc.fields.values(), *exc.reasons] or [exc.message]:
            report.add_error(row.number, reason)
        return None


# ---- writing -----------------------------------------------------------------------------


def people_in_scope(actor):
    """The people the actor may export: those the scope rule shows him, by unit and name."""
    if not can_manage_people(actor):
        raise Forbidden(NOT_ALLOWED)
    return (
        User.objects.visible_to(actor)
        .select_related("unit")
        .prefetch_related("supervised_units")
        .order_by("unit__path", "full_name", "username")
    )


def person_row(person: User, known: Known) -> list[str]:
    """A person's row of the export, in the order of COLUMNS (FIELD_COLUMNS, then 状态)."""
    values = [shown(name, _current(person, name), known) for name in FIELD_COLUMNS]
    return [*values, ACTIVE if person.is_active else INACTIVE]


def export_rows(actor) -> list[list[str]]:
    known = Known.load(actor)
    return [person_row(p, known) for p in people_in_scope(actor)]


def xlsx_bytes(title: str, header: list[str], rows) -> bytes:
    """An .xlsx of one sheet: a bold frozen header, then `rows`, every cell a text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheets.append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, len(name) * 3
        )
    for row in rows:
        sheets.append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(header: list[str], rows, *, gbk: bool = False) -> bytes:
    """A CSV in UTF-8 with a BOM (what Excel needs to read UTF-8), or GB18030 for an old Excel
    that reads only GBK; a cell that would start a formula gets a leading "'"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow(
            [FORMULA_QUOTE + v if str(v).startswith(sheets.FORMULA_STARTS) else v for v in row]
        )
    text = out.getvalue()
    return text.encode("gb18030") if gbk else text.encode("utf-8-sig")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT_WORDS = {
    ("xlsx", False): "Excel",
    ("csv", False): "CSV（UTF-8）",
    ("csv", True): "CSV（GBK）",
}


def export_file(actor, kind: str, *, gbk: bool = False) -> tuple[bytes, str, str]:
    """(content, file name, content type) of the roster of the people in the actor's scope,
    as .xlsx or .csv (`gbk`: GB18030 instead of UTF-8); one audit entry."""
    if not can_manage_people(actor):
        raise Forbidden(NOT_ALLOWED)
    rows = export_rows(actor)
    if kind == "xlsx":
        content, content_type = xlsx_bytes("人员名册", COLUMNS, rows), XLSX_TYPE
    else:
        charset = "gb18030" if gbk else "utf-8"
        content, content_type = csv_bytes(COLUMNS, rows, gbk=gbk), f"text/csv; charset={charset}"
    audit.record(
        "agency.roster_export",
        actor=actor,
        summary=f"导出人员名册（{len(rows)} 人，{FORMAT_WORDS[kind, gbk and kind == 'csv']}）",
        detail={"format": kind, "encoding": "gbk" if gbk else "utf-8", "count": len(rows)},
    )
    return content, f"人员名册-{timezone.localdate():%Y%m%d}.{kind}", content_type


TEMPLATE_ROWS = [
    ["张伟", "zhangwei", "35010012", "350101", "执法一中队", "执法人员", "", "", "13800000001"],
    [
        "李娜",
        "",
        "35010013",
        "",
        "执法二中队",
        "监督人员",
        "个人隐私",
        "执法一中队、执法二中队",
        "",
    ],
]


def template_xlsx() -> bytes:
    """The header and two example rows (a squad officer, a supervisor of two squads)."""
    return xlsx_bytes("人员名册", COLUMNS[:-1], TEMPLATE_ROWS)


PASSWORD_COLUMNS = [NAME, USERNAME, BADGE, UNIT, "初始密码"]


def passwords_xlsx(rows: list[list[str]]) -> bytes:
    """The new people's initial passwords, to hand over in person; each must change his at
    first sign-in."""
    return xlsx_bytes("初始密码", PASSWORD_COLUMNS, rows)


def password_rows(report: Report) -> list[list[str]]:
    return [
        [p.full_name, p.username, p.badge_no or "", p.unit.name if p.unit_id else "", password]
        for p, password in report.passwords
    ]
