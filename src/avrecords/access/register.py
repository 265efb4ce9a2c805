"""The 查阅登记簿 and 复制登记簿 (M8: 001§22, 004§21): every playback, original download and
evidence-package download done under an approved request, with who did it, who asked, who
approved, who carried it out, when and why.

Records administrators, unit heads, leaders, supervisors and archivists read the entries of
their unit scope, the system administrator all of them. Officers do not read the registers:
their own acts are on their requests. An item whose confidentiality mark (M9) the reader is
not cleared for keeps its row (the register stays complete) but not its name.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from avrecords.access.models import ApprovalStep, Decision, RegisterEntry, RegisterKind
from avrecords.org.models import Role, Secrecy, Unit
from avrecords.org.scope import UNIT_SCOPED_ROLES, sees_everything, uncleared_marks

REGISTER_ROLES = UNIT_SCOPED_ROLES
ROLE_NAMES = dict(Role.choices)
EXPORT_MAX_ROWS = 20000  # one workbook in memory; narrow the filters beyond this
PDF_MAX_ROWS = 2000  # about 150 landscape pages; WeasyPrint slows down well before 10k rows
COLUMNS = [
    ("no", "序号", 6),
    ("at", "时间", 17),
    ("register", "登记簿", 8),
    ("act", "行为", 14),
    ("actor", "人员", 12),
    ("requester", "申请人", 12),
    ("approvers", "审批人", 34),
    ("executor", "办理人", 12),
    ("executed_at", "办理时间", 17),
    ("reason", "事由", 36),
    ("item", "事项", 36),
    ("number", "申请编号", 16),
    ("valid_until", "有效期至", 17),
]
HEADER = [label for _, label, _ in COLUMNS]


def can_view_registers(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (sees_everything(user) or user.role in REGISTER_ROLES)
    )


# ---- filters ----------------------------------------------------------------------------


@dataclass
class Filters:
    """The filters read from a query string; `errors` in Chinese for the page."""

    register: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    unit: Unit | None = None
    unit_code: str = ""
    person: str = ""
    number: str = ""
    q: str = ""
    errors: list[str] = field(default_factory=list)

    def described(self) -> list[tuple[str, str]]:
        """(label, value) pairs naming the unit and the period, for headings of exports."""
        if self.unit:
            unit = f"{self.unit.name}及下级单位"
        else:
            unit = f"{self.unit_code}（无此单位）" if self.unit_code else "全部（本人管辖范围）"
        if self.date_from and self.date_to:
            period = f"{self.date_from:%Y-%m-%d} 至 {self.date_to:%Y-%m-%d}"
        elif self.date_from:
            period = f"{self.date_from:%Y-%m-%d} 起"
        elif self.date_to:
            period = f"至 {self.date_to:%Y-%m-%d}"
        else:
            period = "全部"
        pairs = [("单位", unit), ("期间", period)]
        if self.person:
            pairs.append(("人员", self.person))
        if self.number:
            pairs.append(("申请编号", self.number))
        if self.q:
            pairs.append(("事由或事项含", self.q))
        return pairs

    def as_detail(self) -> dict:
        """The filters as given, for the audit entry of an export."""
        values = {
            "register": self.register,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "unit": self.unit_code,
            "person": self.person,
            "number": self.number,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


def _date(params: Mapping, name: str, label: str, errors: list[str]) -> dt.date | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}“{text[:20]}”不是有效日期，应为 年-月-日，如 2026-11-20")
        return None


def read_filters(params: Mapping) -> Filters:
    errors: list[str] = []
    register = params.get("register") or ""
    found = Filters(
        register=register if register in RegisterKind.values else "",
        date_from=_date(params, "from", "起始日期", errors),
        date_to=_date(params, "to", "截止日期", errors),
        unit_code=(params.get("unit") or "").strip(),
        person=(params.get("person") or "").strip()[:50],
        number=(params.get("number") or "").strip()[:32],
        q=(params.get("q") or "").strip()[:100],
        errors=errors,
    )
    if found.date_from and found.date_to and found.date_from > found.date_to:
        errors.append("起始日期晚于截止日期")
    if found.unit_code:
        found.unit = Unit.objects.filter(code=found.unit_code).first()
    return found


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local calendar day (TIME_ZONE), as an aware moment."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_entries(qs: QuerySet[RegisterEntry], params, *, user=None) -> QuerySet[RegisterEntry]:
    """The register page's filters: register (view / copy), from / to (local dates, both
    inclusive), unit (code: the unit and the units below it), person (actor or requester:
    name, username or 执法证号 contains), number (申请编号 contains), q (事由 or 事项 contains).
    With `user`, q does not match the names of items he is not cleared for. Invalid values
    select nothing rather than everything (an export must not widen silently)."""
    f = params if isinstance(params, Filters) else read_filters(params)
    if f.errors:
        return qs.none()
    if f.register:
        qs = qs.filter(register=f.register)
    if f.date_from:
        qs = qs.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.unit_code:
        qs = qs.filter(unit__path__startswith=f.unit.path) if f.unit else qs.none()
    if f.person:
        who = Q()
        for person in ("actor", "request__requester"):
            for name in ("full_name", "username", "badge_no"):
                who |= Q(**{f"{person}__{name}__icontains": f.person})
        qs = qs.filter(who)
    if f.number:
        qs = qs.filter(request__number__icontains=f.number)
    if f.q:
        item = Q(item__icontains=f.q)
        if user is not None and (hidden := uncleared_marks(user)):
            item &= ~Q(recording__secrecy__in=hidden) | _own(user)
        qs = qs.filter(Q(request__reason__icontains=f.q) | item)
    return qs


def _own(user) -> Q:
    return Q(actor=user.pk) | Q(request__requester=user.pk)


def unit_choices(user) -> list[tuple[str, str]]:
    """(code, name indented by depth) of the units whose entries the user may read."""
    return [(u.code, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)]


# ---- rows -------------------------------------------------------------------------------


def with_related(qs: QuerySet[RegisterEntry]) -> QuerySet[RegisterEntry]:
    approving = ApprovalStep.objects.filter(decision=Decision.APPROVE).select_related("approver")
    return qs.select_related(
        "actor",
        "unit",
        "recording",
        "request",
        "request__requester",
        "request__executor",
    ).prefetch_related(Prefetch("request__steps", queryset=approving, to_attr="approving"))


def local_text(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def approver_text(step: ApprovalStep) -> str:
    role = ROLE_NAMES.get(step.role, step.role)
    return f"{step.approver.display_name}（{role}）{local_text(step.at)}"


def _item(entry: RegisterEntry, viewer) -> tuple[str, int | None]:
    """The item's name and recording id, or a placeholder if the viewer may not know them."""
    recording = entry.recording
    if recording is None:
        return entry.item, None
    mark = recording.secrecy
    if (
        viewer is not None
        and mark
        and mark in uncleared_marks(viewer)
        and viewer.pk not in (entry.actor_id, entry.request.requester_id)
    ):
        return f"涉密事项（{Secrecy(mark).label}）", None
    return f"{entry.item}（记录 #{recording.pk}）", recording.pk


def rows(qs: Iterable[RegisterEntry], *, start: int = 1, viewer=None) -> Iterator[dict]:
    """One dict per entry, in the order given: the columns of COLUMNS, plus request_id and
    recording_id for links and approver_list for the page. Give `viewer` to hide the names
    of items he is not cleared for (M9)."""
    if isinstance(qs, QuerySet):
        qs = with_related(qs)
    for no, entry in enumerate(qs, start=start):
        req = entry.request
        steps = getattr(req, "approving", None)
        if steps is None:
            steps = [s for s in req.steps.all() if s.decision == Decision.APPROVE]
        approvers = [approver_text(s) for s in steps]
        item, recording_id = _item(entry, viewer)
        yield {
            "no": no,
            "at": local_text(entry.at),
            "register": entry.get_register_display(),
            "act": entry.act,
            "actor": entry.actor.display_name,
            "requester": req.requester.display_name,
            "approvers": "；".join(approvers),
            "approver_list": approvers,
            "executor": req.executor.display_name if req.executor else "",
            "executed_at": local_text(req.executed_at),
            "reason": req.reason,
            "item": item,
            "number": req.number,
            "valid_until": local_text(req.valid_until),
            "request_id": req.pk,
            "recording_id": recording_id,
            "unit": entry.unit.name,
        }


def register_title(register: str) -> str:
    return f"{RegisterKind(register).label}登记簿"


def heading(title: str, filters: Iterable[tuple[str, str]], *, by: str = "", at=None) -> str:
    """One line naming the register, its filters and the export: the Excel title row."""
    at = at or timezone.now()
    parts = [title, *(f"{label}：{value}" for label, value in filters)]
    parts.append(f"导出时间：{local_text(at)}" + (f"（{by}）" if by else ""))
    return "　".join(parts)


# ---- exports ----------------------------------------------------------------------------


def to_xlsx(rows: Iterable[dict], title: str, filters=(), *, by: str = "", at=None) -> bytes:
    """The register as an .xlsx: a title row (register, unit, period, export time), a bold
    frozen header row, one row per entry; every cell is text, as the register shows it (a
    reason beginning with "=" is no formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from avrecords.lib.sheets import append_row

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    append_row(sheet, [heading(title, filters, by=by, at=at)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=13)
    append_row(sheet, HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        values = [row[key] if key == "no" else str(row[key] or "") for key, _, _ in COLUMNS]
        for cell in append_row(sheet, values):
            cell.alignment = wrap
    for index, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.print_options.gridLines = True
    sheet.page_setup.orientation = "landscape"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(rows: Iterable[dict], title: str, filters, *, by: str = "", at=None) -> bytes:
    """The register printed on A4 landscape; PdfUnavailable if this server cannot print."""
    from avrecords.lib.pdf import render_pdf

    return render_pdf(
        "access/register_print.html",
        {
            "title": title,
            "filters": list(filters),
            "rows": list(rows),
            "printed_by": by,
            "printed_at": at or timezone.now(),
        },
    )
