"""Disposal lists (M5): what has reached its date, reviewed, approved, then purged.

Each day the worker lists, per agency, the recordings whose keep-until date has passed, that
no hold covers and that no open list names (`make_lists`). The archivist (the profile's
`retention.reviewed_by`) reviews the list: he may keep items, with a reason, which records a
situation (有保存价值 …) and moves them to a longer category; under a profile that asks for a
review at expiry (zhanhe 003§15: 对无保存意义的进行清除处理) every item must be decided. The
leader (`retention.approved_by`), not the reviewer, approves; only then does the purge job run
(`retention.purge`)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.org.models import Unit
from avrecords.org.scope import recording_shown
from avrecords.policies.services import profile_for_unit
from avrecords.retention import approvals
from avrecords.retention.approvals import Refused
from avrecords.retention.facts import HAND_FACTS, record_fact
from avrecords.retention.models import (
    DisposalItem,
    DisposalList,
    DisposalStatus,
    ItemDecision,
    ItemOutcome,
    RecordingRetention,
)
from avrecords.retention.services import reclassify

OPEN = (
    DisposalStatus.REVIEW,
    DisposalStatus.SUBMITTED,
    DisposalStatus.APPROVED,
    DisposalStatus.PURGING,
)


def due_q(today) -> Q:
    """Retention rows whose date has passed, with no hold and no pending case."""
    return Q(
        keep_until__lt=today,
        held=False,
        pending=False,
        recording__purged_at__isnull=True,
    )


def _agency_of(unit: Unit) -> int:
    return int(unit.path.split(".")[0])


def _number(today) -> str:
    prefix = f"QC-{today:%Y%m%d}-"
    return f"{prefix}{DisposalList.objects.filter(number__startswith=prefix).count() + 1:03d}"


def make_lists(today=None) -> list[DisposalList]:
    """The day's lists: one per agency with recordings due (reclassified first)."""
    today = today or timezone.localdate()
    on_open_list = DisposalItem.objects.filter(
        disposal__status__in=OPEN, outcome__in=["", ItemOutcome.PURGING]
    ).values("recording_id")
    candidates = list(
        RecordingRetention.objects.filter(due_q(today))
        .exclude(recording_id__in=on_open_list)
        .values_list("recording_id", flat=True)
    )
    reclassify(candidates, why="到期清单生成前复核")  # facts may have changed since
    rows = (
        RecordingRetention.objects.filter(due_q(today), recording_id__in=candidates)
        .select_related("recording__unit")
        .order_by("keep_until", "recording_id")
    )
    by_agency: dict[int, list[RecordingRetention]] = defaultdict(list)
    for row in rows:
        by_agency[_agency_of(row.recording.unit)].append(row)
    made = []
    for agency_id, items in sorted(by_agency.items()):
        agency = Unit.objects.get(pk=agency_id)
        profile = profile_for_unit(agency)
        review_each = profile is not None and any(
            c.review_at_expiry for c in profile.retention.categories
        )
        with transaction.atomic():
            disposal = DisposalList.objects.create(
                number=_number(today),
                unit=agency,
                profile_code=profile.code if profile else "",
                review_each=review_each,
            )
            DisposalItem.objects.bulk_create(
                DisposalItem(
                    disposal=disposal,
                    recording_id=row.recording_id,
                    keep_until=row.keep_until,
                    category_name=row.category_name,
                )
                for row in items
            )
            audit.record(
                "retention.disposal_list",
                obj=disposal,
                summary=f"生成到期清除清单 {disposal.number}：{len(items)} 条，待复核",
                detail={"recordings": [r.recording_id for r in items]},
            )
        made.append(disposal)
    return made


def _review_check(user, disposal: DisposalList) -> None:
    if disposal.status != DisposalStatus.REVIEW:
        raise Refused(f"清单当前状态为“{disposal.get_status_display()}”，不能复核")
    approvals.check_decider(user, disposal.unit, "reviewed_by", None)


def decide_item(
    user, item: DisposalItem, decision: str, *, fact: str = "", reason: str = "", ip: str = ""
) -> DisposalItem:
    """Purge, or keep with a reason (recorded as a situation that lengthens the retention)."""
    disposal = item.disposal
    _review_check(user, disposal)
    if decision not in (ItemDecision.PURGE, ItemDecision.KEEP):
        raise Refused("请选择“清除”或“继续保存”")
    if decision == ItemDecision.KEEP:
        fact = fact or "valuable"
        if fact not in HAND_FACTS:
            raise Refused("请选择继续保存的情形")
        if not reason.strip():
            raise Refused("继续保存须填写理由")
    with transaction.atomic():
        item.decision = decision
        item.keep_fact = fact if decision == ItemDecision.KEEP else ""
        item.keep_reason = reason.strip()[:300] if decision == ItemDecision.KEEP else ""
        item.save()
        audit.record(
            "retention.review",
            actor=user,
            obj=item.recording,
            summary=(
                f"到期复核（{disposal.number}）：继续保存，{item.keep_reason}"
                if decision == ItemDecision.KEEP
                else f"到期复核（{disposal.number}）：清除"
            )[:500],
            ip=ip,
        )
    return item


def submit(user, disposal: DisposalList, *, ip: str = "") -> DisposalList:
    _review_check(user, disposal)
    items = list(disposal.items.select_related("recording"))
    if disposal.review_each and any(i.decision == ItemDecision.UNDECIDED for i in items):
        left = sum(i.decision == ItemDecision.UNDECIDED for i in items)
        raise Refused(f"按规定到期须逐条复核有无保存意义，尚有 {left} 条未复核")
    with transaction.atomic():
        for item in items:
            if item.decision == ItemDecision.KEEP:
                record_fact(
                    user,
                    fact=item.keep_fact,
                    note=f"到期复核继续保存（{disposal.number}）：{item.keep_reason}",
                    recording=item.recording,
                    ip=ip,
                )
                item.outcome = ItemOutcome.KEPT
            else:
                item.decision = ItemDecision.PURGE
            item.save()
        disposal.status = DisposalStatus.SUBMITTED
        disposal.reviewed_by = user
        disposal.reviewed_at = timezone.now()
        disposal.save()
        purge = sum(i.decision == ItemDecision.PURGE for i in items)
        audit.record(
            "retention.disposal_submit",
            actor=user,
            obj=disposal,
            summary=f"清除清单 {disposal.number} 复核完毕：拟清除 {purge} 条，继续保存 {len(items) - purge} 条",
            ip=ip,
        )
    return disposal


def decide(user, disposal: DisposalList, *, approve: bool, comment: str = "", ip: str = ""):
    if disposal.status != DisposalStatus.SUBMITTED:
        raise Refused(f"清单当前状态为“{disposal.get_status_display()}”，不能审批")
    approvals.check_decider(user, disposal.unit, "approved_by", disposal.reviewed_by_id)
    if not approve and not comment.strip():
        raise Refused("不同意须填写意见")
    from avrecords.jobs import services as jobs
    from avrecords.retention.purge import PURGE_JOB

    with transaction.atomic():
        disposal.status = DisposalStatus.APPROVED if approve else DisposalStatus.REJECTED
        disposal.approved_by = user
        disposal.approved_at = timezone.now()
        disposal.comment = comment.strip()[:300]
        disposal.save()
        audit.record(
            "retention.disposal_approve" if approve else "retention.disposal_reject",
            actor=user,
            obj=disposal,
            summary=f"{'批准' if approve else '不同意'}清除清单 {disposal.number}"
            + (f"：{disposal.comment}" if disposal.comment else ""),
            ip=ip,
        )
        if approve:
            jobs.enqueue(PURGE_JOB, "retention.disposallist", disposal.pk)
    return disposal


def items_for(user, disposal: DisposalList):
    """The list's items for one reader, page and API alike: an item whose recording he may
    not see (M9) keeps its place, dates and decision, so the review can go on, but
    `recording_shown` is false and its name, officer and id are left out."""
    return (
        disposal.items.select_related("recording__officer", "recording__unit")
        .annotate(recording_shown=recording_shown(user))
        .order_by("pk")
    )


# what `counts` counts, as filters on a list's items (for with_counts)
_COUNTED = {
    "total": None,
    "purge": Q(items__decision=ItemDecision.PURGE),
    "keep": Q(items__decision=ItemDecision.KEEP),
    "undecided": Q(items__decision=ItemDecision.UNDECIDED),
    "purged": Q(items__outcome=ItemOutcome.PURGED),
    "skipped": Q(items__outcome=ItemOutcome.SKIPPED),
}


def with_counts(qs):
    """Lists with their `counts` worked out in the list's own query: as many queries for a
    page of 50 lists as for one (issue 22 §4). The order is kept explicitly: Django leaves
    Meta.ordering out of a query with GROUP BY, and the list came back oldest first."""
    order = qs.query.order_by or qs.model._meta.ordering
    return qs.annotate(
        **{f"count_{name}": Count("items", filter=where) for name, where in _COUNTED.items()}
    ).order_by(*order)


def counts(disposal: DisposalList) -> dict[str, int]:
    if hasattr(disposal, "count_total"):  # annotated by with_counts
        return {name: getattr(disposal, f"count_{name}") for name in _COUNTED}
    items = disposal.items.all()
    return {
        "total": items.count(),
        "purge": items.filter(decision=ItemDecision.PURGE).count(),
        "keep": items.filter(decision=ItemDecision.KEEP).count(),
        "undecided": items.filter(decision=ItemDecision.UNDECIDED).count(),
        "purged": items.filter(outcome=ItemOutcome.PURGED).count(),
        "skipped": items.filter(outcome=ItemOutcome.SKIPPED).count(),
    }
