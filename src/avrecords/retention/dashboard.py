"""What the retention dashboard and `avrecords retention report` show (M5): storage by
category and by year, what expires in the next 30 and 90 days, holds in force, the last
store check."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from avrecords.lib import quantities
from avrecords.org.scope import recording_q, scope_unit_ids, sees_everything
from avrecords.policies import approvals
from avrecords.retention.models import (
    DisposalList,
    HoldStatus,
    LegalHold,
    RecordingRetention,
    RetentionChange,
    StoreCheck,
)
from avrecords.retention.services import ACTIVE_HOLDS


def _rows(user=None):
    rows = RecordingRetention.objects.filter(recording__purged_at__isnull=True)
    if user is not None and not sees_everything(user):
        rows = rows.filter(recording__unit_id__in=scope_unit_ids(user))
    return rows


def holds(user=None):
    qs = LegalHold.objects.filter(status__in=ACTIVE_HOLDS)
    if user is not None and not sees_everything(user):
        qs = qs.filter(unit_id__in=scope_unit_ids(user))
    return qs


def summary(user=None, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    rows = _rows(user)
    by_category = list(
        rows.values("category_name", "profile_code")
        .annotate(count=Count("pk"), size=Sum("recording__size_bytes"))
        .order_by("-size")
    )
    by_year = list(
        rows.annotate(year=ExtractYear("recording__started_at"))
        .values("year")
        .annotate(count=Count("pk"), size=Sum("recording__size_bytes"))
        .order_by("year")
    )
    dated = rows.filter(held=False, pending=False, keep_until__isnull=False)
    expiring = {
        days: dated.filter(
            keep_until__gte=today, keep_until__lt=today + dt.timedelta(days=days)
        ).aggregate(count=Count("pk"), size=Sum("recording__size_bytes"))
        for days in (30, 90)
    }
    return {
        "by_category": by_category,
        "by_year": by_year,
        "expiring": expiring,
        "due": dated.filter(keep_until__lt=today).count(),
        "permanent": rows.filter(keep_until__isnull=True, pending=False).count(),
        "pending": rows.filter(pending=True).count(),
        "held": rows.filter(held=True).count(),
        "holds": holds(user).select_related("unit", "case", "activity"),
        "unclassified": _unclassified(user),
        "last_check": _last_check(user),
        "release_pending": holds(user).filter(status=HoldStatus.RELEASE_PENDING).count(),
    }


def awaiting(user) -> dict[str, list]:
    """What waits for this person's decision: disposal lists to review or approve, release
    requests, shortening requests (only those the profile's roles let him decide)."""
    from avrecords.retention.approvals import can_read
    from avrecords.retention.approvals import may_decide as decides
    from avrecords.retention.models import ChangeStatus, DisposalStatus

    if not can_read(user):
        return {"review": [], "approve": [], "release": [], "changes": []}
    # Each scoped read only when something of its kind waits at all (issue 22 §4): every page's
    # 待办 count asks this, and a probe costs less to build and run than a scoped list.
    lists = DisposalList.objects.none()
    if DisposalList.objects.filter(
        status__in=[DisposalStatus.REVIEW, DisposalStatus.SUBMITTED]
    ).exists():
        lists = DisposalList.objects.visible_to(user).select_related("unit")
    rows = {
        "review": list(lists.filter(status=DisposalStatus.REVIEW)),
        "approve": list(lists.filter(status=DisposalStatus.SUBMITTED)),
        "release": list(
            LegalHold.objects.visible_to(user)
            .filter(status=HoldStatus.RELEASE_PENDING)
            .select_related("unit", "release_requested_by")
        )
        if LegalHold.objects.filter(status=HoldStatus.RELEASE_PENDING).exists()
        else [],
        "changes": list(_pending_changes(user, ChangeStatus.PENDING)),
    }
    units = [row.unit for key in ("review", "approve", "release") for row in rows[key]]
    units += [c.recording.unit for c in rows["changes"]]

    def may_decide(unit, field, other_id) -> bool:
        # one answer per distinct step, not per row (issue 22 §4: the 待办 count asks this)
        return approvals.answer_once(
            ("retention", user.pk, unit.pk, field, other_id),
            lambda: decides(user, unit, field, other_id),
        )

    with approvals.many_steps(units):
        return {
            "review": [d for d in rows["review"] if may_decide(d.unit, "reviewed_by", None)],
            "approve": [
                d for d in rows["approve"] if may_decide(d.unit, "approved_by", d.reviewed_by_id)
            ],
            "release": [
                h
                for h in rows["release"]
                if may_decide(h.unit, "approved_by", h.release_requested_by_id)
            ],
            "changes": [
                c
                for c in rows["changes"]
                if may_decide(c.recording.unit, "approved_by", c.requested_by_id)
            ],
        }


def _pending_changes(user, pending: str):
    """The shortening requests of his scope. Asked only when some request is pending at all:
    scoped by the recording's unit, SQLite reads every recording of a squad for its head or
    administrator (~25 ms at 200k rows on each page's 待办 count, issue 22 §4), while the
    requests themselves are few."""
    if not RetentionChange.objects.filter(status=pending).exists():
        return []
    return (
        RetentionChange.objects.visible_to(user)
        .filter(status=pending)
        .select_related("recording__unit", "requested_by")
    )


def awaiting_count(user) -> int:
    return sum(len(v) for v in awaiting(user).values())


def _last_check(user=None) -> StoreCheck | None:
    """The last store check; for a user its drift lists only the recordings he may see
    (`drift_shown`) and counts the others (`drift_withheld`, M9)."""
    check = StoreCheck.objects.first()
    if check is None:
        return None
    check.drift_shown, check.drift_withheld = check.drift, 0
    if user is not None and check.drift:
        from avrecords.recordings.models import Recording

        named = [d.get("recording") for d in check.drift]
        seen = set(
            Recording.objects.filter(recording_q(user), pk__in=named).values_list("pk", flat=True)
        )
        check.drift_shown = [d for d in check.drift if d.get("recording") in seen]
        check.drift_withheld = len(check.drift) - len(check.drift_shown)
    return check


def _unclassified(user=None) -> int:
    from avrecords.recordings.models import Recording

    qs = Recording.objects.filter(purged_at__isnull=True, retention__isnull=True)
    if user is not None and not sees_everything(user):
        qs = qs.filter(Q(unit_id__in=scope_unit_ids(user)))
    return qs.count()


def _size(value) -> str:
    return quantities.size(value or 0)


def report_lines() -> list[str]:
    data = summary()
    lines = ["按保存类别："]
    lines += [
        f"  {r['category_name']}（{r['profile_code']}）：{r['count']} 条，{_size(r['size'])}"
        for r in data["by_category"]
    ]
    lines.append("按录制年份：")
    lines += [f"  {r['year']} 年：{r['count']} 条，{_size(r['size'])}" for r in data["by_year"]]
    for days, agg in data["expiring"].items():
        lines.append(f"{days} 天内到期：{agg['count']} 条，{_size(agg['size'])}")
    lines.append(f"已到期待清除：{data['due']} 条；永久保存：{data['permanent']} 条")
    lines.append(f"随案卷待归档：{data['pending']} 条；法律保全中：{data['held']} 条")
    lines.append(
        f"生效的法律保全：{data['holds'].count()} 项；尚未确定期限：{data['unclassified']} 条"
    )
    return lines
