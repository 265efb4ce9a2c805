"""Cases (案卷, M10): open, link recordings and activities, close, file.

Closing a case starts its archiving deadline: the profile's retention category kept with the
case file names how many days after closure the recordings must be filed with it (fuzhou
004§19(2): 30 days). Profiles without such a number show no deadline, and say so.
Linking a recording to a case also writes the case number on it (M4 search) and recomputes
its effective confidentiality mark (M9).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from avrecords import events
from avrecords.audit import services as audit
from avrecords.cases.models import Case, CaseStatus, CaseType
from avrecords.lib.refusals import Invalid, Refusal
from avrecords.org.models import Role, Unit, User
from avrecords.org.scope import sees_everything
from avrecords.panels import CASE_ACTIVITIES
from avrecords.policies.schema_values import Keep
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording
from avrecords.recordings.textsearch import tidy

MANAGE_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SYSADMIN}
NO_UNIT = "请选择承办单位"
NO_OPENED_ON = "请填写立案日期"
BAD_LEADER = "主管领导须为本机关在岗的分管领导"


class CaseError(Refusal, ValueError):
    """A refused step on a case, mostly for its state (filed, not closed…); the message is
    Chinese and shown to the user. The API has always answered it 400. `errors` lists every
    reason (all of them at once)."""

    def __init__(self, message: str | list[str]):
        self.errors = list(message) if isinstance(message, list) else [message]
        super().__init__("；".join(self.errors))


class CaseInvalid(Invalid, CaseError):
    """The case as entered breaks the rules (422); every reason at once."""

    api_prefix = "未保存："

    def __init__(self, errors: list[str]):
        super().__init__(errors)
        self.reasons = self.errors


def can_manage_cases(user) -> bool:
    """Open, edit, link and close cases: records administrators, unit heads, leaders."""
    return user.is_authenticated and (sees_everything(user) or user.role in MANAGE_ROLES)


def can_file_cases(user) -> bool:
    """Mark a closed case filed (归档): archivists and records administrators."""
    return user.is_authenticated and (
        sees_everything(user) or user.role in {Role.ARCHIVIST, Role.ADMIN}
    )


def filing_days(unit: Unit, case_type: str = "") -> tuple[int | None, str]:
    """(days after closure to file the recordings with the case, article) from the profile:
    the retention category kept with the case file that names a filing period and covers
    this case type (fuzhou 004§19(2): 许可、处罚、强制、征收 cases within 30 days)."""
    profile = profile_for_unit(unit)
    if profile is None:
        return None, ""
    for category in profile.retention.categories:
        covers = not category.case_types or not case_type or case_type in category.case_types
        if category.keep == Keep.WITH_CASE and category.filed_within_days and covers:
            return category.filed_within_days, category.cite
    return None, ""


@dataclass(frozen=True)
class CaseInput:
    number: str
    title: str
    case_type: str
    unit: Unit | None
    opened_on: dt.date | None
    party: str = ""
    leader: User | None = None
    note: str = ""


def _agency(unit: Unit) -> str:
    """The top unit of the tree the unit belongs to (its materialised path's first step)."""
    return unit.path.split(".", 1)[0]


def eligible_leaders(units) -> QuerySet[User]:
    """Active 分管领导 of the agencies these units belong to (the 主管领导 choices)."""
    agencies = {_agency(u) for u in units}
    if not agencies:
        return User.objects.none()
    q = Q()
    for agency in agencies:
        q |= Q(unit__path__startswith=f"{agency}.")
    return (
        User.objects.filter(q, role=Role.LEADER, is_active=True)
        .select_related("unit")
        .order_by("unit__path", "full_name", "username")
    )


def check(data: CaseInput, *, case: Case | None = None) -> list[str]:
    """Every reason the input cannot be saved (empty when it can); `case` when editing."""
    errors = []
    number = tidy(data.number)
    if not number:
        errors.append("请填写案件编号")
    elif (
        Case.objects.filter(number=number).exclude(pk=case.pk if case is not None else -1).exists()
    ):
        errors.append(f"案件编号“{number}”已存在")
    if not data.title.strip():
        errors.append("请填写案件名称")
    if data.case_type not in CaseType.values:
        errors.append("请选择案件类型")
    if data.unit is None:
        errors.append(NO_UNIT)
    elif case is not None and case.status != CaseStatus.OPEN and data.unit.pk != case.unit_id:
        errors.append("案卷已结案，不能更改承办单位")
    elif data.unit.retired_at is not None and (case is None or data.unit.pk != case.unit_id):
        errors.append(f"{data.unit.name}已撤销，不能承办新案卷")  # issue 18 §1
    if data.opened_on is None:
        errors.append(NO_OPENED_ON)
    elif data.opened_on > timezone.localdate():
        errors.append("立案日期不能晚于今天")
    elif case is not None and case.closed_at is not None:
        if data.opened_on > timezone.localtime(case.closed_at).date():
            errors.append("立案日期不能晚于结案时间")
    leader = data.leader
    if leader is not None:
        same_agency = (
            data.unit is None
            or leader.unit_id is not None
            and _agency(leader.unit) == _agency(data.unit)
        )
        if not leader.is_active or not same_agency:
            errors.append(BAD_LEADER)
        elif leader.role != Role.LEADER:
            errors.append(f"{leader.display_name}不是分管领导，不能作为主管领导")
    return errors


def open_case(actor, data: CaseInput) -> Case:
    """立案登记 (M10); refused with every reason at once."""
    if errors := check(data):
        raise CaseInvalid(errors)
    with transaction.atomic():
        case = Case.objects.create(
            number=tidy(data.number),
            title=data.title.strip(),
            party=data.party.strip(),
            case_type=data.case_type,
            unit=data.unit,
            opened_on=data.opened_on,
            leader=data.leader,
            note=data.note,
            created_by=actor,
        )
        audit.record("case.open", actor=actor, obj=case, summary=f"立案登记 {case}")
    return case


def update_case(actor, case: Case, data: CaseInput) -> None:
    """Correct a case's data; a filed case is closed to changes. A new number is written on
    its recordings too (M4 search)."""
    if case.status == CaseStatus.FILED:
        raise CaseError("案卷已归档，不能修改")
    if errors := check(data, case=case):
        raise CaseInvalid(errors)
    fields = {
        "number": tidy(data.number),
        "title": data.title.strip(),
        "party": data.party.strip(),
        "case_type": data.case_type,
        "unit": data.unit,
        "opened_on": data.opened_on,
        "leader": data.leader,
        "note": data.note,
    }
    before = {k: str(getattr(case, k) or "") for k in fields}
    with transaction.atomic():
        for k, v in fields.items():
            setattr(case, k, v)
        case.save()
        if before["number"] != case.number:
            Recording.objects.filter(case=case).update(case_number=case.number)
        audit.record(
            "case.edit",
            actor=actor,
            obj=case,
            summary=f"修改案卷 {case}",
            detail={"before": before, "after": {k: str(v or "") for k, v in fields.items()}},
        )
        # compliance writes a new number on the activities that carried the old one
        events.CASE_CHANGED.send(case=case, actor=actor, change="edited", before=before["number"])


def link_recordings(actor, case: Case, recordings: list[Recording]) -> int:
    """File recordings with the case (M10); a filed case takes no more, and a recording filed
    with another case stays there until removed from it. Returns how many were added."""
    if case.status == CaseStatus.FILED:
        raise CaseError("案卷已归档，不能再关联音像记录")
    with transaction.atomic():
        # Read the links under lock: the objects given may be stale, or another user may be
        # filing the same recording with another case right now.
        rows = list(
            Recording.objects.select_for_update(of=("self",))
            .filter(pk__in={r.pk for r in recordings})
            .order_by("pk")
            .values_list("pk", "original_name", "case_id", "case__number")
        )
        if elsewhere := [r for r in rows if r[2] is not None and r[2] != case.pk]:
            raise CaseError([f"{name} 已关联案卷 {number}" for _, name, _, number in elsewhere])
        ids = [pk for pk, _, case_id, _ in rows if case_id is None]
        if not ids:
            return 0
        Recording.objects.filter(pk__in=ids).update(case=case, case_number=case.number)
        audit.record(
            "case.link",
            actor=actor,
            obj=case,
            summary=f"案卷 {case.number} 关联音像记录 {len(ids)} 条",
            detail={"recordings": ids},
        )
        _changed(case, actor, "recordings_filed", recordings=ids)
    return len(ids)


def unlink_recording(actor, case: Case, recording: Recording) -> None:
    if case.status == CaseStatus.FILED:
        raise CaseError("案卷已归档，不能移除音像记录")
    with transaction.atomic():
        if not Recording.objects.filter(pk=recording.pk, case=case).update(
            case=None, case_number=""
        ):
            raise CaseError("该音像记录不在本案卷中")
        audit.record(
            "case.unlink",
            actor=actor,
            obj=case,
            summary=f"案卷 {case.number} 移除音像记录 {recording.original_name}",
            detail={"recording": recording.pk},
        )
        _changed(case, actor, "recordings_removed", recordings=[recording.pk])


def link_activity(actor, case: Case, activity) -> int:
    """File an activity with the case; its linked recordings not yet in a case follow.
    Returns how many recordings were added with it. Activities are compliance's: cases asks
    the rule compliance provides (`panels.CASE_ACTIVITIES`) which recordings follow."""
    if case.status == CaseStatus.FILED:
        raise CaseError("案卷已归档，不能再关联执法活动")
    with transaction.atomic():
        linked, number = (
            type(activity)
            .objects.select_for_update(of=("self",))
            .filter(pk=activity.pk)
            .values_list("case_id", "case__number")
            .get()
        )
        if linked == case.pk:
            raise CaseError("该执法活动已在本案卷中")
        if linked is not None:
            raise CaseError(f"该执法活动已关联案卷 {number}")
        type(activity).objects.filter(pk=activity.pk).update(
            case=case, case_number=activity.case_number or case.number
        )
        audit.record(
            "case.link_activity",
            actor=actor,
            obj=case,
            summary=f"案卷 {case.number} 关联执法活动 {activity.kind_name}",
            detail={"activity": activity.pk},
        )
        _changed(case, actor, "activity_filed", activity=activity)
        free = CASE_ACTIVITIES.recordings(activity).filter(Q(case__isnull=True) | Q(case=case))
        return link_recordings(actor, case, list(free))


def unlink_activity(actor, case: Case, activity) -> None:
    """Take an activity out of the case; recordings filed with it stay until removed."""
    if case.status == CaseStatus.FILED:
        raise CaseError("案卷已归档，不能移除执法活动")
    with transaction.atomic():
        if not type(activity).objects.filter(pk=activity.pk, case=case).update(case=None):
            raise CaseError("该执法活动不在本案卷中")
        audit.record(
            "case.unlink_activity",
            actor=actor,
            obj=case,
            summary=f"案卷 {case.number} 移除执法活动 {activity.kind_name}",
            detail={"activity": activity.pk},
        )
        _changed(case, actor, "activity_removed", activity=activity)


def close_case(actor, case: Case, *, at: dt.datetime | None = None) -> Case:
    """结案: starts the archiving deadline from the profile (M10, 004§19(2))."""
    if case.status != CaseStatus.OPEN:
        raise CaseError(f"案卷状态为“{case.get_status_display()}”，不能结案")
    at = at or timezone.now()
    if at > timezone.now():
        raise CaseError("结案时间不能晚于现在")
    if timezone.localtime(at).date() < case.opened_on:
        raise CaseError("结案时间不能早于立案日期")
    days, cite = filing_days(case.unit, case.case_type)
    with transaction.atomic():
        case.status = CaseStatus.CLOSED
        case.closed_at = at
        case.file_due = timezone.localtime(at).date() + dt.timedelta(days=days) if days else None
        case.save(update_fields=["status", "closed_at", "file_due"])
        audit.record(
            "case.close",
            actor=actor,
            obj=case,
            summary=f"结案 {case}"
            + (f"，应于 {case.file_due:%Y-%m-%d} 前归档（{cite}）" if case.file_due else ""),
        )
        _changed(case, actor, "closed")
    return case


def file_case(actor, case: Case, *, archive_years: int | None = None) -> Case:
    """归档: the recordings are filed with the case file, kept as long as it is (M5):
    `archive_years` (0 = permanently), else the profile's retention.case_file.years."""
    if case.status != CaseStatus.CLOSED:
        raise CaseError("只有已结案的案卷才能归档")
    if archive_years is not None and not 0 <= archive_years <= 100:
        raise CaseError("案卷保管期限应为 0（永久）至 100 年")
    if archive_years is None:
        profile = profile_for_unit(case.unit)
        archive_years = profile.retention.case_file.years if profile else 30
    with transaction.atomic():
        case.status = CaseStatus.FILED
        case.filed_at = timezone.now()
        case.filed_by = actor
        case.archive_years = archive_years
        case.save(update_fields=["status", "filed_at", "filed_by", "archive_years"])
        late = case.file_due and timezone.localdate() > case.file_due
        audit.record(
            "case.file",
            actor=actor,
            obj=case,
            summary=f"归档 {case}"
            + ("（已超过归档期限）" if late else "")
            + (f"，保管{archive_years}年" if archive_years else "，永久保管"),
        )
        _changed(case, actor, "filed")
    return case


def _changed(case: Case, actor, change: str, *, recordings=(), activity=None) -> None:
    """Tell the apps that follow a case (`events.CASE_CHANGED`): access recomputes the marks
    of what came or went (M9), retention the keep-until of the recordings (M5: filed with a
    case, kept with the case file)."""
    extra: dict = {}
    if recordings:
        extra["recordings"] = list(Recording.objects.filter(pk__in=list(recordings)))
    if activity is not None:
        extra["activity"] = activity
    events.CASE_CHANGED.send(case=case, actor=actor, change=change, **extra)


def overdue(qs: QuerySet[Case], today: dt.date | None = None) -> QuerySet[Case]:
    """Closed cases past their archiving deadline and not yet filed."""
    today = today or timezone.localdate()
    return qs.filter(status=CaseStatus.CLOSED, file_due__lt=today)


def overdue_days(case: Case, today: dt.date | None = None) -> int:
    """Days a closed case is past its archiving deadline (0 when not overdue or filed)."""
    if case.status != CaseStatus.CLOSED or case.file_due is None:
        return 0
    return max(((today or timezone.localdate()) - case.file_due).days, 0)


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    case_type: str | None = None
    unit: int | None = None  # the unit and the units below it
    q: str | None = None  # in the number, title or party
    overdue: bool = False  # 逾期未归档 only


def search_cases(user, f: CaseFilter, today: dt.date | None = None) -> QuerySet[Case]:
    """The case list's filters over the cases the user may see (X2, M9)."""
    qs = Case.objects.visible_to(user)
    if f.status in CaseStatus.values:
        qs = qs.filter(status=f.status)
    if f.case_type in CaseType.values:
        qs = qs.filter(case_type=f.case_type)
    if f.unit is not None:
        unit = Unit.objects.visible_to(user).filter(pk=f.unit).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if q := tidy(f.q):
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(party__icontains=q))
    if f.overdue:
        qs = overdue(qs, today)
    return qs


def view_case(user, case: Case, *, ip: str = "") -> None:
    """Who looked at which case file is kept like views of recordings (X1)."""
    audit.record("case.view", actor=user, obj=case, summary=f"查看案卷 {case}", ip=ip)
