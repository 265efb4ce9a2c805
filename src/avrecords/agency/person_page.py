"""What a person's page shows (issue 18 §1): who he is, where he stands (在岗, 调动交接中…), what
he holds, what waits for him, what he may not do now, and what was done by him or to him.

Each fact is read from the app that keeps it — custody from equipment, his 待办 counts from the
worklist registry, his clearance from compliance, his suspension from org, his sign-in lock from
axes' attempts — so the page only gathers; nothing here changes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from avrecords import worklist
from avrecords.agency import two_factor
from avrecords.agency.transfers import open_clearance
from avrecords.audit.models import AuditEntry
from avrecords.compliance import clearance as clearances
from avrecords.equipment.custody import held_now
from avrecords.equipment.models import Clearance, ClearanceKind, ClearanceStatus, Custody
from avrecords.lib import labels
from avrecords.org import suspensions
from avrecords.org.models import Secrecy, User

AUDIT_ROWS = 20

# Where a person stands, derived from his account and his clearances (E5).
ON_DUTY = "在岗"
TRANSFERRING = "调动交接中"
LEAVING = "离职交接中"
TRANSFERRED_OUT = "已调离"
LEFT = "已离职"
DISABLED = "已停用"


def status_of(person: User) -> str:
    """在岗 / 调动交接中 / 离职交接中 while active; 已调离 / 已离职 after a completed clearance
    that disabled him (a transfer out of the agency, a departure); 已停用 otherwise. A
    transfer within the agency leaves him active: 在岗 in his new unit."""
    current = Clearance.objects.filter(person=person, status=ClearanceStatus.OPEN).first()
    if current is not None:
        return TRANSFERRING if current.kind == ClearanceKind.TRANSFER else LEAVING
    if person.is_active:
        return ON_DUTY
    last = (
        Clearance.objects.filter(person=person, status=ClearanceStatus.COMPLETED)
        .order_by("-completed_at", "-pk")
        .first()
    )
    if last is None or last.to_unit_id is not None:
        return DISABLED
    return TRANSFERRED_OUT if last.kind == ClearanceKind.TRANSFER else LEFT


def is_locked(person: User) -> bool:
    """Is his account locked out of signing in now (too many failed passwords)? Read from
    axes' attempts, counted as `web.login_throttle` counts them for an account."""
    since = timezone.now() - dt.timedelta(minutes=settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES)
    failures = AccessAttempt.objects.filter(
        username=person.username, attempt_time__gte=since
    ).aggregate(n=Sum("failures_since_start"))["n"]
    return (failures or 0) >= settings.AVRECORDS_LOGIN_FAILURE_LIMIT


def open_items(person: User) -> list[tuple[str, int]]:
    """His 待办 as counts per group (Chinese headings), the groups with something only."""
    counts = worklist.counts_for(person)
    return [(s.group, counts[s.name]) for s in worklist.sources() if counts.get(s.name)]


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    actor: str
    action: str
    summary: str


def audit_rows(person: User, limit: int = AUDIT_ROWS) -> list[AuditRow]:
    """The last entries by him or about him (his account, his clearances), newest first."""
    mine = Clearance.objects.filter(person=person).values_list("pk", flat=True)
    about = Q(object_type=User._meta.label_lower, object_id=str(person.pk)) | Q(
        object_type=Clearance._meta.label_lower, object_id__in=[str(pk) for pk in mine]
    )
    entries = (
        AuditEntry.objects.filter(Q(actor=person) | about)
        .select_related("actor")
        .order_by("-seq")[:limit]
    )
    return [
        AuditRow(
            e.at,
            e.actor.display_name if e.actor else e.actor_label,
            labels.get(labels.ACTION, e.action),
            e.summary,
        )
        for e in entries
    ]


@dataclass
class Overview:
    person: User
    status: str
    clearances: list[str]
    supervised: list[str]
    two_factor: str
    two_factor_enrolled: bool
    locked: bool
    devices: list[Custody]
    items: list[tuple[str, int]]
    clearance: Clearance | None
    checklist: list = field(default_factory=list)
    suspension: str = ""
    audit: list[AuditRow] = field(default_factory=list)


def overview(person: User) -> Overview:
    """Everything the person's page shows; `person` is already in the viewer's scope."""
    current = open_clearance(person)
    suspension = suspensions.suspended(person)
    marks = dict(Secrecy.choices)
    return Overview(
        person=person,
        status=status_of(person),
        clearances=[marks.get(m, labels.GENERIC) for m in person.secrecy_clearances or []],
        supervised=[u.name for u in person.supervised_units.order_by("path")],
        two_factor=two_factor.state_of(person),
        two_factor_enrolled=two_factor.is_enrolled(person),
        locked=is_locked(person),
        devices=held_now(person),
        items=open_items(person) if person.is_active else [],
        clearance=current,
        checklist=clearances.checklist(current) if current is not None else [],
        suspension=suspensions.describe(suspension) if suspension is not None else "",
        audit=audit_rows(person),
    )
