"""Search-as-you-type pickers (issue 17 §6): what a person types finds recordings, activities,
cases, people and devices the way each list's own search does, within the user's scope.

Each kind reads its list's one filter (`recordings/filters.py`, `compliance/filters.py`,
`cases/filters.py`, `equipment/access.py`; people: the admin's search fields), always after
`visible_to(user)`, so a picker never offers what the list would not show (X2, M9: a
confidential recording the user is not cleared for is left out exactly as on the list). An
empty search offers the most recent items. A choice carries the id for a hidden input and the
words a person recognises; a form still checks every id it receives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from avrecords.cases.filters import filter_cases
from avrecords.compliance.filters import filter_activities
from avrecords.compliance.models import Activity
from avrecords.equipment.access import filter_devices
from avrecords.equipment.models import Custody
from avrecords.org.models import User
from avrecords.recordings.filters import filter_recordings
from avrecords.recordings.textsearch import tidy

QUERY_MAX_CHARS = 100
MATCHES_MAX = 10


class QueryTooLong(ValueError):
    """The search words are over `QUERY_MAX_CHARS`; the message is for the user."""


@dataclass(frozen=True)
class Choice:
    """One item a picker offers: `label` goes on the chip, `detail` helps tell items apart."""

    pk: int
    label: str
    detail: str = ""


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _join(*parts: str) -> str:
    return "，".join(p for p in parts if p)


# --- what each kind finds ----------------------------------------------------------------


def _recordings(user, q: str) -> QuerySet:
    qs, _errors = filter_recordings(user, {"q": q})
    return qs.filter(purged_at__isnull=True).order_by("-started_at", "-pk")


def _activities(user, q: str) -> QuerySet:
    scoped = Activity.objects.visible_to(user).select_related("unit")
    qs, _errors = filter_activities(scoped, {"q": q})
    return qs.order_by("-started_at", "-pk")


def _cases(user, q: str) -> QuerySet:
    qs, _errors = filter_cases(user, {"q": q})
    return qs.select_related("unit").order_by("-pk")


def _people(user, q: str) -> QuerySet:
    qs = User.objects.visible_to(user).filter(is_active=True, unit__isnull=False)
    if q:
        qs = qs.filter(
            Q(full_name__icontains=q)
            | Q(username__icontains=q)
            | Q(badge_no__iexact=q)
            | Q(officer_no__iexact=q)
            | Q(unit__name__icontains=q)
        )
    return qs.select_related("unit").order_by("unit__path", "full_name", "username")


def _devices(user, q: str) -> QuerySet:
    return filter_devices(user, {"q": q}).select_related("unit").order_by("serial")


def recording_choice(r) -> Choice:
    officer = r.officer.display_name if r.officer_id else "待指派"
    return Choice(r.pk, r.original_name, _join(officer, _when(r.started_at), r.place))


def activity_choice(a) -> Choice:
    return Choice(
        a.pk,
        _join(a.kind_name, a.party),
        _join(_when(a.started_at), a.place, a.case_number, a.unit.name if a.unit_id else ""),
    )


def case_choice(c) -> Choice:
    return Choice(c.pk, f"{c.number} {c.title}".strip(), _join(c.party, c.unit.name))


def person_choice(p) -> Choice:
    badge = f"执法证号 {p.badge_no}" if p.badge_no else ""
    return Choice(p.pk, p.display_name, _join(p.unit.name if p.unit_id else "", badge))


def device_choice(d, holders: dict[int, str] | None = None) -> Choice:
    holder = (holders or {}).get(d.pk, "")
    return Choice(
        d.pk,
        f"{d.get_kind_display()} {d.serial}",
        _join(d.unit.name, f"使用人 {holder}" if holder else "未领用"),
    )


def _holders(devices: Iterable) -> dict[int, str]:
    open_custody = Custody.objects.filter(
        device__in=[d.pk for d in devices], ended_at__isnull=True
    ).select_related("holder")
    return {c.device_id: c.holder.display_name for c in open_custody}


@dataclass(frozen=True)
class Kind:
    find: Callable[[object, str], QuerySet]
    choice: Callable[..., Choice]
    placeholder: str


KINDS: dict[str, Kind] = {
    "recordings": Kind(_recordings, recording_choice, "文件名、执法人员、当事人、地点"),
    "activities": Kind(_activities, activity_choice, "活动类型、当事人、地点、案件编号"),
    "cases": Kind(_cases, case_choice, "案件编号、案卷名称、当事人"),
    "people": Kind(_people, person_choice, "姓名、执法证号、单位"),
    "devices": Kind(_devices, device_choice, "设备序号、资产编号、使用人"),
}


def clean_query(q: str | None) -> str:
    q = tidy(q)
    if len(q) > QUERY_MAX_CHARS:
        raise QueryTooLong(f"搜索词过长，最多 {QUERY_MAX_CHARS} 个字")
    return q


def choices_for(kind: str, objects: Iterable) -> list[Choice]:
    """Chips for objects already chosen (a form shown again, a bulk action's selection)."""
    objects = list(objects)
    if kind == "devices":
        holders = _holders(objects)
        return [device_choice(d, holders) for d in objects]
    return [KINDS[kind].choice(o) for o in objects]


def find(user, kind: str, q: str | None) -> list[Choice]:
    """At most `MATCHES_MAX` items of `kind` the user may see matching `q` (newest first for
    recordings, activities and cases); `KeyError` for an unknown kind, `QueryTooLong`."""
    spec = KINDS[kind]
    found = list(spec.find(user, clean_query(q))[:MATCHES_MAX])
    return choices_for(kind, found)
