"""What the 工作台 shows (issue 17 §2): the work waiting for me, today's numbers for my scope,
the last 30 days as a bar chart, an officer's own recordings and devices.

Every number is one aggregate query over `Model.objects.visible_to(user)` (X2, M9): nothing
is counted row by row, and nothing outside the user's scope is counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from avrecords import worklist
from avrecords.access.models import AccessRequest, RequestStatus
from avrecords.compliance.models import OPEN_STATUSES, Finding, FindingKind
from avrecords.equipment.models import Custody, Device
from avrecords.org.models import Role
from avrecords.org.scope import can_view_equipment, sees_everything
from avrecords.recordings.models import Recording

CHART_DAYS = 30
CHART_ROLES = {Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.SYSADMIN}
RECENT_RECORDINGS = 5


@dataclass(frozen=True)
class Number:
    """One figure of 今日概况, linking to the list that shows its rows."""

    label: str
    value: int
    url: str
    bad: bool = False  # drawn in the warning colour when not zero


@dataclass(frozen=True)
class Waiting:
    """One group of my 待办 as the workbench shows it."""

    name: str
    count: int
    url: str


@dataclass(frozen=True)
class Day:
    day: dt.date
    total: int
    late: int


def anchor(source_name: str) -> str:
    """The id of a source's group on the 待办 page (ids without dots)."""
    return "g-" + source_name.replace(".", "-")


def waiting_for(user) -> list[Waiting]:
    """Each worklist group with work for `user`, from the counts the menu reads too
    (`worklist.counts_for`), so the sources are asked only once a page."""
    todo = reverse("inbox:todo")
    counts = worklist.counts_for(user)
    return [
        Waiting(source.group, counts[source.name], f"{todo}#{anchor(source.name)}")
        for source in worklist.sources()
        if counts.get(source.name)
    ]


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_current_timezone())


def today_numbers(user, today: dt.date | None = None) -> list[Number]:
    """今日概况: recordings ingested today, late-ingest findings open, findings open, devices
    out, requests waiting for approval, each over the user's scope."""
    today = today or timezone.localdate()
    findings = Finding.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
    open_counts = findings.aggregate(
        all=Count("pk"), late=Count("pk", filter=Q(kind=FindingKind.LATE_INGEST))
    )
    devices = Device.objects.visible_to(user)
    out_now = Custody.objects.filter(ended_at__isnull=True, device__in=devices).count()
    waiting = AccessRequest.objects.visible_to(user).filter(status=RequestStatus.PENDING).count()
    ingested = (
        Recording.objects.visible_to(user).filter(ingested_at__gte=local_midnight(today)).count()
    )
    findings_url = reverse("compliance:findings")
    devices_url = reverse("equipment:index" if can_view_equipment(user) else "equipment:my_devices")
    return [
        Number("今日入库音像记录", ingested, reverse("recordings:list")),
        Number(
            "逾期存储问题待处理",
            open_counts["late"],
            f"{findings_url}?kind={FindingKind.LATE_INGEST}",
            bad=True,
        ),
        Number("合规问题待处理", open_counts["all"], findings_url, bad=True),
        Number("设备在外（已领用未归还）", out_now, devices_url),
        Number(
            "查阅复制申请审批中",
            waiting,
            f"{reverse('access:list')}?tab=all&status={RequestStatus.PENDING}",
        ),
    ]


def shows_chart(user) -> bool:
    return sees_everything(user) or user.role in CHART_ROLES


def last_days(user, today: dt.date | None = None, days: int = CHART_DAYS) -> list[Day]:
    """Recordings ingested per local day over the last `days` days, with how many of them
    were stored late (a late-ingest finding, whatever its state now)."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    totals = dict(
        Recording.objects.visible_to(user)
        .filter(ingested_at__gte=local_midnight(first))
        .annotate(day=TruncDate("ingested_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    late = dict(
        Finding.objects.visible_to(user)
        .filter(
            kind=FindingKind.LATE_INGEST,
            recording__ingested_at__gte=local_midnight(first),
        )
        .annotate(day=TruncDate("recording__ingested_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("recording", distinct=True))
        .values_list("day", "n")
    )
    out = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        out.append(Day(day, totals.get(day, 0), min(late.get(day, 0), totals.get(day, 0))))
    return out


def bar_chart(days: list[Day]) -> SafeString:
    """Inline SVG: one bar per day, its late part in red; the axis labelled every 5 days.
    Drawn on the server, so it needs no script and prints as it shows."""
    left, top, bottom, step, height = 36, 12, 28, 20, 180
    plot_h = height - top - bottom
    width = left + step * len(days) + 8
    peak = max([d.total for d in days] + [1])
    scale = plot_h / peak
    title = f"近{len(days)}天每日入库音像记录数（红色为逾期存储）"
    body = [f"<title>{escape(title)}</title>"]
    for tick in (0, peak):
        y = top + plot_h - tick * scale
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#d9dee6"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    for i, d in enumerate(days):
        x = left + i * step + 3
        h = d.total * scale
        late_h = d.late * scale
        label = f"{d.day:%m-%d}：{d.total} 条" + (f"，其中逾期 {d.late} 条" if d.late else "")
        body.append(
            f"<g><title>{escape(label)}</title>"
            f'<rect x="{x}" y="{top + plot_h - h:.1f}" width="{step - 6}" height="{h:.1f}" '
            f'fill="#1f4e8c"/>'
            + (
                f'<rect x="{x}" y="{top + plot_h - late_h:.1f}" width="{step - 6}" '
                f'height="{late_h:.1f}" fill="#b42318"/>'
                if d.late
                else ""
            )
            + "</g>"
        )
        if i % 5 == 0 or i == len(days) - 1:
            body.append(
                f'<text x="{x + (step - 6) / 2:.1f}" y="{height - 10}" '
                f'text-anchor="middle">{d.day:%m-%d}</text>'
            )
    return mark_safe(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-size="11" fill="#475467">'
        + "".join(body)
        + "</svg>"
    )


def my_recordings(user) -> list[Recording]:
    return list(
        Recording.objects.visible_to(user)
        .filter(officer=user)
        .select_related("device")
        .order_by("-started_at")[:RECENT_RECORDINGS]
    )
