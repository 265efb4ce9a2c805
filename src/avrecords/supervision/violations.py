"""The violation register (S4): candidates raised automatically (compliance findings, lost
devices, overdue clearances; `supervision.candidates`) and entries by supervisors, each
confirmed or dismissed with a reason.

Who: supervisors read the register of the units assigned to them, unit heads and leaders
their subtree, system administrators all of it; officers, administrators and archivists do
not read it. Supervisors enter violations and decide candidates within their scope — never
one about themselves — and a decided candidate stays decided.

Each kind a supervisor may enter is one of the regulations' list (000§22, 001§27, 002§17,
003§18, 004§23). Its article comes from the regulation the unit's profile implements
(`source_file`); where that regulation does not name the act, the cite is empty and the
note says so (the supervisor may still enter it under the catch-all item). A lost or stolen
device cites what the profile's `equipment.loss` cites, as the automatic candidate does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.lib import citations
from avrecords.lib.refusals import Conflict, Invalid
from avrecords.notices.services import notify
from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import in_unit_scope, sees_everything
from avrecords.policies import approvals
from avrecords.policies.services import profile_for_unit
from avrecords.supervision.candidates import KINDS as FINDING_KINDS
from avrecords.supervision.models import ViolationCandidate, ViolationStatus

READ_ROLES = {Role.SUPERVISOR, Role.LEADER, Role.UNIT_HEAD}
EXPORT_MAX_ROWS = 20000
NO_UNIT = "请选择违规人员所在单位"
NO_PERSON = "请选择违规人员"


class Refused(Conflict, ValueError):
    """A step that cannot be taken in the object's present state (409); Chinese."""


class Incomplete(Invalid, Refused):
    """The input is missing or wrong (422); `errors` lists every reason."""

    api_prefix = "未办理："

    def __init__(self, message: str | list[str]):
        self.errors = list(message) if isinstance(message, list) else [message]
        super().__init__(reasons=self.errors)


# --- who may -----------------------------------------------------------------------------


def can_read(user) -> bool:
    """The register: supervisors, unit heads, leaders; system administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in READ_ROLES)


def can_enter(user) -> bool:
    """Enter a violation by hand, confirm or dismiss candidates: supervisors (监督人员)."""
    return user.is_authenticated and user.is_active and user.role == Role.SUPERVISOR


def decision_step(candidate: ViolationCandidate) -> approvals.Step:
    """Confirming or dismissing the candidate, as the approvals engine sees it (the profile's
    `supervision.violations_decided_by`, rules `deciding.violation`)."""
    return approvals.Step(
        unit=candidate.unit, decision="violation.decide", concerned_id=candidate.person_id
    )


def decider_refusal(user, candidate: ViolationCandidate) -> str:
    """Why the user may not confirm or dismiss the candidate ("" when he may)."""
    if not user.is_authenticated:
        return "无权认定违规线索：须由监督人员办理"
    return approvals.why_not(user, decision_step(candidate)) or ""


def may_decide(user, candidate: ViolationCandidate) -> bool:
    return not decider_refusal(user, candidate)


# --- the kinds of the regulations --------------------------------------------------------

# The list of S4, in the order of the requirement. Codes shared with the automatic
# candidates (not_recorded, equipment_loss, no_handover) keep one kind for both.
KINDS = [
    ("not_recorded", "应当记录而未记录"),
    ("deleted_or_altered", "删除、修改音像记录"),
    ("lent", "将设备转借他人"),
    ("leaked", "泄露、传播音像资料"),
    ("false_recording", "虚假记录"),
    ("private_use", "私自使用设备或资料"),
    ("equipment_loss", "保管不妥造成设备遗失、被盗"),
    ("improper_storage", "保管不当造成资料损毁、丢失"),
    ("no_handover", "人员调动时未做好交接"),
    ("damaged_equipment", "损毁设备"),
]
KIND_NAMES = dict(KINDS)

# kind → (cite, note) per regulation (the profile's source_file). An empty cite: the
# regulation does not name the act; the note names the catch-all item instead.
_OTHER = {
    "000": "第二十二条第（六）项“其他违反执法音像记录设施设备使用管理相关规定，造成严重后果的”",
    "001": "第二十七条第（八）项“有其他严重违反音像记录设备管理、使用规定行为的”",
    "002": "第十七条第（六）项“其他违反本规定的行为”",
    "003": "第十八条第（六）项“有其他严重违反音像记录设备使用管理规定行为的”",
    "004": "第二十三条第（八）项“有其他严重违反音像记录设备管理、使用规定行为的”",
}
CITES: dict[str, dict[str, tuple[str, str]]] = {
    "000": {
        "not_recorded": ("000§22(1)", ""),
        "deleted_or_altered": ("000§17,000§22(4)", ""),
        "lent": ("000§16,000§22(6)", "第十六条严禁外借；第二十二条未单列，按其他违反规定处理"),
        "leaked": ("000§16,000§22(3)", ""),
        "false_recording": ("000§22(4)", ""),
        "private_use": ("000§16,000§17,000§22(6)", "第十六条严禁私自使用，第十七条不得私自复制"),
        "improper_storage": ("000§22(5)", ""),
        "no_handover": ("000§3,000§22(6)", "第三条调离须上交设备；第二十二条未单列"),
    },
    "001": {
        "not_recorded": ("001§27(3)", ""),
        "deleted_or_altered": ("001§27(1),001§27(5)", ""),
        "lent": ("001§27(2)", ""),
        "leaked": ("001§27(4)", ""),
        "false_recording": ("001§27(5)", ""),
        "private_use": ("001§27(6)", ""),
        "improper_storage": ("001§27(7)", ""),
    },
    "002": {
        "not_recorded": ("002§17(1)", ""),
        "deleted_or_altered": ("002§17(2)", ""),
        "private_use": ("002§17(3),002§17(4)", ""),
        "damaged_equipment": ("002§17(5)", ""),
    },
    "003": {
        "not_recorded": ("003§18(1)", ""),
        "deleted_or_altered": ("003§18(2)", ""),
        "lent": ("003§18(3)", "将音像记录设备交由非本单位人员使用"),
        "leaked": ("003§18(4)", ""),
        "false_recording": ("003§18(2)", ""),
        "private_use": ("003§18(3)", ""),
        "damaged_equipment": ("003§18(5)", ""),
    },
    "004": {
        "not_recorded": ("004§23(3)", ""),
        "deleted_or_altered": ("004§23(1)", ""),
        "lent": ("004§23(2)", ""),
        "leaked": ("004§21,004§23(8)", "第二十一条不得擅自对外提供；第二十三条未单列"),
        "false_recording": ("004§23(4)", ""),
        "private_use": ("004§23(6)", ""),
        "improper_storage": ("004§23(7)", ""),
        "no_handover": ("004§23(5)", ""),
    },
}


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    cite: str
    note: str


def kinds_for(unit: Unit | None) -> list[Kind]:
    """The kinds a supervisor may enter for a unit, each with its article from the unit's
    profile, or a note saying the regulation does not name it."""
    profile = profile_for_unit(unit)
    if profile is None:
        note = "该单位尚未指定执法策略，无法确定依据条款"
        return [Kind(code, name, "", note) for code, name in KINDS]
    table = CITES.get(profile.source_file, {})
    other = _OTHER.get(profile.source_file, "其他违反规定的兜底条款")
    found = []
    for code, name in KINDS:
        if code == "equipment_loss":
            cite, note = profile.equipment.loss.cite, profile.equipment.loss.note
        elif code in table:
            cite, note = table[code]
        else:
            cite, note = "", f"《{profile.document}》未列明此情形；平台不引条款，可按{other}认定"
        found.append(Kind(code, name, cite, note))
    return found


def all_kind_names() -> dict[str, str]:
    """Every kind the register may hold (entered and automatic), for its filter."""
    names = dict(KIND_NAMES)
    for code, name in FINDING_KINDS.values():
        names.setdefault(code, name)
    return names


# --- the register ------------------------------------------------------------------------


@dataclass
class Filter:
    status: str = ""
    kind: str = ""
    unit: int | None = None  # the unit and the units below it
    person: str = ""  # name, username or 执法证号 contains
    date_from: dt.date | None = None  # raised on or after (local day)
    date_to: dt.date | None = None
    source: str = ""  # "auto" or "manual"
    errors: list[str] = field(default_factory=list)

    def described(self) -> list[tuple[str, str]]:
        parts = []
        if self.status in ViolationStatus.values:
            parts.append(("状态", ViolationStatus(self.status).label))
        if self.kind:
            parts.append(("类型", all_kind_names().get(self.kind, self.kind)))
        if self.person:
            parts.append(("人员", self.person))
        if self.date_from or self.date_to:
            parts.append(("期间", f"{self.date_from or ''} 至 {self.date_to or ''}"))
        if self.source:
            parts.append(("来源", SOURCES.get(self.source, "")))
        return parts


SOURCES = {"auto": "自动发现", "manual": "监督人员录入"}


def _day(params: Mapping, name: str, label: str, errors: list[str]) -> dt.date | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}“{text[:20]}”不是有效日期，应为 年-月-日，如 2026-11-20")
        return None


def read_filter(params: Mapping) -> Filter:
    """The register's filters from a query string; unreadable values are errors."""
    errors: list[str] = []
    unit = None
    if raw := str(params.get("unit") or "").strip():
        if raw.isdigit():
            unit = int(raw)
        else:
            errors.append("单位应为单位编号")
    f = Filter(
        status=params.get("status") or "",
        kind=params.get("kind") or "",
        unit=unit,
        person=str(params.get("person") or "").strip()[:50],
        date_from=_day(params, "date_from", "起始日期", errors),
        date_to=_day(params, "date_to", "截止日期", errors),
        source=params.get("source") or "",
        errors=errors,
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append("起始日期晚于截止日期")
    return f


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search(user, f: Filter) -> QuerySet[ViolationCandidate]:
    """The register's filters over what the user may read; bad filters select nothing."""
    qs = ViolationCandidate.objects.visible_to(user)
    if f.errors:
        return qs.none()
    if f.status in ViolationStatus.values:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.unit is not None:
        unit = Unit.objects.visible_to(user).filter(pk=f.unit).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if f.person:
        qs = qs.filter(
            Q(person__full_name__icontains=f.person)
            | Q(person__username__icontains=f.person)
            | Q(person__badge_no__icontains=f.person)
        )
    if f.date_from:
        qs = qs.filter(created_at__gte=_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_midnight(f.date_to + dt.timedelta(days=1)))
    if f.source == "auto":
        qs = qs.filter(reported_by__isnull=True)
    elif f.source == "manual":
        qs = qs.filter(reported_by__isnull=False)
    return qs


# --- entering one by hand ----------------------------------------------------------------


@dataclass(frozen=True)
class ViolationInput:
    kind: str
    unit: Unit | None
    person: User | None
    summary: str
    activity: object | None = None  # compliance.Activity
    device: object | None = None  # equipment.Device
    recordings: tuple = ()  # recordings.Recording


def _within(unit: Unit, other: Unit | None) -> bool:
    return other is not None and other.path.startswith(unit.path)


def check(actor, data: ViolationInput) -> list[str]:
    """Every reason the entry cannot be saved (empty when it can)."""
    errors = []
    if data.kind not in KIND_NAMES:
        errors.append("请从规定列明的情形中选择违规类型")
    if data.unit is None:
        errors.append(NO_UNIT)
    elif not in_unit_scope(actor, data.unit):
        errors.append(f"{data.unit.name} 不在您的监督范围内")
    if data.person is None:
        errors.append(NO_PERSON)
    elif data.person.pk == actor.pk:
        errors.append("不能登记本人的违规行为")
    elif data.unit is not None and not _within(data.unit, data.person.unit):
        errors.append(f"{data.person.display_name} 不属于 {data.unit.name} 或其下级单位")
    if not data.summary.strip():
        errors.append("请填写违规事实")
    if data.unit is not None:
        if data.activity is not None and not _within(data.unit, data.activity.unit):
            errors.append(f"所选执法活动不属于 {data.unit.name}")
        if data.device is not None and not _within(data.unit, data.device.unit):
            errors.append(f"设备 {data.device.serial} 不属于 {data.unit.name}")
        if wrong := [r.original_name for r in data.recordings if not _within(data.unit, r.unit)]:
            errors.append(f"这些音像记录不属于 {data.unit.name}：{'、'.join(wrong)}")
    return errors


def report(actor, data: ViolationInput, *, ip: str = "") -> ViolationCandidate:
    """A supervisor's entry (S4): the kind's article from the unit's profile; audited."""
    if not can_enter(actor):
        raise Refused("须由监督人员登记违规行为")
    if errors := check(actor, data):
        raise Incomplete(errors)
    kind = next(k for k in kinds_for(data.unit) if k.code == data.kind)
    with transaction.atomic():
        candidate = ViolationCandidate.objects.create(
            kind=kind.code,
            kind_name=kind.name,
            person=data.person,
            unit=data.unit,
            activity=data.activity,
            device=data.device,
            summary=data.summary.strip()[:300],
            cite=kind.cite,
            reported_by=actor,
        )
        ids = sorted({r.pk for r in data.recordings})
        candidate.recordings.set(ids)
        audit.record(
            "violation.report",
            actor=actor,
            obj=candidate,
            summary=f"登记违规行为：{kind.name}（{data.person.display_name}）{candidate.summary}",
            detail={
                "kind": kind.code,
                "person": data.person.pk,
                "cite": kind.cite,
                "activity": getattr(data.activity, "pk", None),
                "device": getattr(data.device, "pk", None),
                "recordings": ids,
            },
            ip=ip,
        )
    return candidate


# --- confirming or dismissing ------------------------------------------------------------


def decide(
    actor, candidate: ViolationCandidate, *, confirm: bool, reason: str, ip: str = ""
) -> ViolationCandidate:
    """认定 or 排除 a candidate, with the reason; once only, never about oneself; audited."""
    if refusal := decider_refusal(actor, candidate):
        raise Refused(refusal)
    if not reason.strip():
        raise Incomplete("请填写认定或排除的理由")
    with transaction.atomic():
        locked = ViolationCandidate.objects.select_for_update().get(pk=candidate.pk)
        if locked.status != ViolationStatus.OPEN:
            raise Refused(f"该违规线索已{locked.get_status_display()}，不能再次认定或排除")
        locked.status = ViolationStatus.CONFIRMED if confirm else ViolationStatus.DISMISSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        verb = "认定违规" if confirm else "排除违规线索"
        audit.record(
            "violation.confirm" if confirm else "violation.dismiss",
            actor=actor,
            obj=locked,
            summary=f"{verb}：{locked.kind_name}（{_who(locked)}）理由：{locked.decision_reason}",
            detail={"person": locked.person_id, "reason": locked.decision_reason},
            ip=ip,
        )
        notify(
            locked.person,
            f"关于您的违规线索（{locked.kind_name}）已{'认定' if confirm else '排除'}",
            f"理由：{locked.decision_reason}",
            "",  # the register is not the subject's to read (violations.can_read)
            "violation.confirmed" if confirm else "violation.dismissed",
        )
    for name in ("status", "decided_by", "decided_at", "decision_reason"):
        setattr(candidate, name, getattr(locked, name))
    return candidate


def _who(candidate: ViolationCandidate) -> str:
    return candidate.person.display_name if candidate.person else "责任人未确定"


# --- export ------------------------------------------------------------------------------

COLUMNS = [
    "编号",
    "发现时间",
    "来源",
    "类型",
    "人员",
    "单位",
    "说明",
    "依据条款",
    "状态",
    "认定人",
    "认定时间",
    "认定或排除理由",
]
WIDTHS = {1: 8, 2: 17, 4: 24, 6: 16, 7: 48, 8: 20, 12: 36}


def _local(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def row(candidate: ViolationCandidate) -> list:
    return [
        candidate.pk,
        _local(candidate.created_at),
        "监督人员录入" if candidate.reported_by_id else "自动发现",
        candidate.kind_name,
        candidate.person.display_name if candidate.person else "",
        candidate.unit.name,
        citations.cites_in(candidate.summary),
        citations.cited(candidate.cite, named=True),
        candidate.get_status_display(),
        candidate.decided_by.display_name if candidate.decided_by else "",
        _local(candidate.decided_at),
        citations.cites_in(candidate.decision_reason),
    ]


def export_xlsx(user, f: Filter, *, ip: str = "") -> bytes:
    """The register as filtered, as an .xlsx (违规登记簿); audited. Refused past the limit."""
    from avrecords.equipment.ledger_io import workbook_bytes

    qs = search(user, f).order_by("created_at", "pk")
    count = qs.count()
    if count > EXPORT_MAX_ROWS:
        raise Refused(f"共 {count} 条，超过单次导出上限 {EXPORT_MAX_ROWS} 条，请缩小筛选范围")
    content = workbook_bytes("违规登记簿", COLUMNS, (row(c) for c in qs), widths=WIDTHS)
    audit.record(
        "violation.export",
        actor=user,
        summary=f"导出违规登记簿（{count} 条）",
        detail={"count": count, "filters": dict(f.described())},
        ip=ip,
    )
    return content
