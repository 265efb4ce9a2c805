"""Small parsing helpers shared by the equipment pages (times, people in scope)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from avrecords.lib.refusals import Invalid
from avrecords.org.models import Unit, User


class FormError(Invalid, ValueError):
    """A value on an equipment form that cannot be read (422); the page shows it."""


def parse_when(value: str | None) -> dt.datetime | None:
    """A `datetime-local` field (Beijing time) → aware datetime; blank → None (= now)."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return timezone.make_aware(dt.datetime.strptime(value, fmt))
        except ValueError:
            continue
    raise FormError(f"无法识别的时间：{value}")


def people_in_scope(user):
    """Active people of the units the user administers (for issuing and successors)."""
    return (
        User.objects.filter(unit__in=Unit.objects.visible_to(user), is_active=True)
        .select_related("unit")
        .order_by("unit__path", "full_name", "username")
    )


def person_in_scope(user, pk) -> User:
    try:
        return people_in_scope(user).get(pk=int(pk))
    except (TypeError, ValueError, User.DoesNotExist) as exc:
        raise FormError("请选择本单位（或下级单位）在岗人员") from exc
