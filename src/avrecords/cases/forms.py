"""Parsing for the case pages (M10): the case form, time and id-list fields.

What can be read from the form is read here; whether the case may be saved so is the
service's `check`, and both kinds of error are shown together."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q
from django.utils import timezone

from avrecords.cases import services
from avrecords.cases.services import CaseInput, eligible_leaders
from avrecords.lib.http import int_or_none
from avrecords.lib.refusals import Invalid
from avrecords.org.models import Unit, User

MAX_IDS_PER_LINK = 500


class FormError(Invalid, ValueError):
    """A value on a case form that cannot be read (422); the page shows it."""


def unit_choices(user, case=None, *, retired: bool = False) -> list[tuple[int, str]]:
    """(id, name indented by depth) of the units the user may file cases for: not a retired
    one (issue 18 §1), except the one the case already has; `retired` for a list's filter,
    where retired units keep their cases."""
    units = Unit.objects.visible_to(user)
    if not retired:
        units = units.filter(
            Q(retired_at__isnull=True) | Q(pk=case.unit_id if case is not None else None)
        )
    return [(u.pk, "　" * u.depth + u.name) for u in units]


def leader_choices(user) -> list[User]:
    """Active 分管领导 of the agencies the user's units belong to."""
    return list(eligible_leaders(Unit.objects.visible_to(user)))


def values_of(case) -> dict[str, str]:
    """A case's data as the form shows it."""
    return {
        "number": case.number,
        "title": case.title,
        "party": case.party,
        "case_type": case.case_type,
        "unit": str(case.unit_id),
        "opened_on": case.opened_on.isoformat(),
        "leader": str(case.leader_id or ""),
        "note": case.note,
    }


def read_case(user, post, case=None) -> tuple[CaseInput, list[str]]:
    """The posted case form → (input, every error): what cannot be read, then what the
    service's `check` refuses. An unreadable field is reported once, not again as missing."""
    errors, skip = [], set()
    unit = None
    if raw := (post.get("unit") or "").strip():
        unit = Unit.objects.visible_to(user).filter(pk=int_or_none(raw) or 0).first()
        if unit is None:
            errors.append("承办单位不存在或不在您的管辖范围内")
            skip.add(services.NO_UNIT)
    opened_on = None
    if raw := (post.get("opened_on") or "").strip():
        try:
            opened_on = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(f"无法识别的立案日期：{raw}")
            skip.add(services.NO_OPENED_ON)
    leader = None
    if raw := (post.get("leader") or "").strip():
        leader = User.objects.select_related("unit").filter(pk=int_or_none(raw) or 0).first()
        if leader is None:
            errors.append(services.BAD_LEADER)
    data = CaseInput(
        number=post.get("number") or "",
        title=post.get("title") or "",
        party=post.get("party") or "",
        case_type=post.get("case_type") or "",
        unit=unit,
        opened_on=opened_on,
        leader=leader,
        note=(post.get("note") or "").strip(),
    )
    errors += [e for e in services.check(data, case=case) if e not in skip]
    return data, errors


def parse_when(value: str | None) -> dt.datetime | None:
    """A `datetime-local` field (local time) → aware datetime; blank → None (= now)."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return timezone.make_aware(dt.datetime.strptime(value, fmt))
        except ValueError:
            continue
    raise FormError(f"无法识别的时间：{value}")


def parse_ids(values: list[str]) -> list[int]:
    """Ids from a multi-select and a free text box ("12, 13 14"); anything else is refused."""
    ids: list[int] = []
    for value in values:
        for token in re.split(r"[\s,，、;；]+", value or ""):
            if not token:
                continue
            if not token.isdigit():
                raise FormError(f"无法识别的记录编号：{token}")
            ids.append(int(token))
    if len(ids) > MAX_IDS_PER_LINK:
        raise FormError(f"一次最多关联 {MAX_IDS_PER_LINK} 条音像记录")
    return list(dict.fromkeys(ids))
