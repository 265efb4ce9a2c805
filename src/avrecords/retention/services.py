"""Classify recordings (M5): gather the facts, decide with the profile (`retention.rules`),
keep the result, extend the store's lock, and audit every change.

`reclassify()` is called wherever a fact changes — a recording filed with or taken out of a
case, a case closed or filed, an evidence export carried out, an activity linked or flagged,
a legal hold placed or released, a situation recorded by hand — and by the daily sweep, which
also catches recordings ingested since. The date only ever moves later automatically: a
computed date earlier than the kept one is ignored (and said in the log) unless an approved
`RetentionChange` asks for it (`allow_shorten`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.policies.schema_values import HOLD_FACTS
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording
from avrecords.retention.models import HoldStatus, LegalHold, RecordingRetention, RetentionFact
from avrecords.retention.rules import CaseFacts, Decision, decide, later

if TYPE_CHECKING:
    from avrecords.policies.schema import Profile

log = logging.getLogger(__name__)
ACTIVE_HOLDS = (HoldStatus.ACTIVE, HoldStatus.RELEASE_PENDING)


def local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


def _activity_ids(recording: Recording) -> list[int]:
    from avrecords.compliance.models import ActivityRecording

    return list(
        ActivityRecording.objects.filter(recording=recording, excluded=False).values_list(
            "activity_id", flat=True
        )
    )


def holds_covering(recording: Recording, activity_ids: list[int] | None = None):
    """Every legal hold that names the recording, one of its activities or its case."""
    if activity_ids is None:
        activity_ids = _activity_ids(recording)
    q = Q(recordings=recording) | Q(activity_id__in=activity_ids)
    if recording.case_id:
        q |= Q(case_id=recording.case_id)
    return LegalHold.objects.filter(q).distinct()


def gather_facts(recording: Recording) -> tuple[dict[str, str], bool, list[int]]:
    """The facts about a recording, each with where it comes from; and whether a hold is on."""
    from avrecords.access.models import AccessRequest, RequestKind
    from avrecords.compliance.models import Activity

    facts: dict[str, str] = {}
    activity_ids = _activity_ids(recording)
    if recording.case_id:
        facts["case"] = f"案卷 {recording.case.number}"
    export = (
        AccessRequest.objects.filter(
            kind=RequestKind.EXPORT, executed_at__isnull=False, recordings=recording
        )
        .order_by("executed_at")
        .first()
    )
    if export is not None:
        facts["evidence"] = f"证据导出 {export.number}"
    disputed = Activity.objects.filter(pk__in=activity_ids, dispute=True).first()
    if disputed is not None:
        facts["dispute"] = f"执法活动 {disputed.kind_name} {local_day(disputed.started_at)}"
    held = False
    for hold in holds_covering(recording, activity_ids):
        facts.setdefault(HOLD_FACTS[hold.kind], f"法律保全 {hold.number}")
        held = held or hold.status in ACTIVE_HOLDS
    hand = RetentionFact.objects.filter(withdrawn_at__isnull=True).filter(
        Q(recording=recording)
        | Q(activity_id__in=activity_ids)
        | (Q(case_id=recording.case_id) if recording.case_id else Q(pk__in=[]))
    )
    for fact in hand:
        facts.setdefault(fact.fact, fact.note)
    return facts, held, activity_ids


def case_facts(recording: Recording, profile: Profile) -> CaseFacts | None:
    case = recording.case
    if case is None:
        return None
    years = case.archive_years
    if years is None:
        years = profile.retention.case_file.years
    filed = local_day(case.filed_at) if case.filed_at else None
    return CaseFacts(case.number, case.case_type, filed, years)


def compute(recording: Recording, held_days: int = 0) -> tuple[Decision | None, bool]:
    """The decision for a recording under its unit's profile (None: no profile applies)."""
    profile = profile_for_unit(recording.unit)
    facts, held, _ = gather_facts(recording)
    if profile is None:
        return None, held
    decision = decide(
        profile, local_day(recording.started_at), facts, case_facts(recording, profile), held_days
    )
    return decision, held


def as_decision(row: RecordingRetention) -> Decision:
    return Decision(
        row.category,
        row.category_name,
        row.keep,
        row.keep_until,
        row.pending,
        row.cite,
        row.reason,
        list(row.facts),
    )


def describe(row: RecordingRetention | None) -> str:
    if row is None:
        return "尚未确定保存期限（所属单位未配置执法音像记录规定）"
    text = as_decision(row).describe()
    return f"{text}；法律保全中，期限暂停计算" if row.held else text


def lock_horizon() -> dt.timedelta:
    return dt.timedelta(days=settings.AVRECORDS_RETENTION_LOCK_DAYS)


def required_lock(row: RecordingRetention, now: dt.datetime | None = None) -> dt.datetime:
    """Until when the store must refuse to delete: the day after the keep-until date; with no
    date (permanent, pending, held) a rolling horizon that the nightly check keeps ahead."""
    now = now or timezone.now()
    if row.keep_until is None or row.held:
        return now + lock_horizon()
    day_after = row.keep_until + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day_after, dt.time()))


def _apply(
    recording: Recording, *, actor, allow_shorten: bool, why: str
) -> RecordingRetention | None:
    row = RecordingRetention.objects.select_for_update().filter(recording=recording).first()
    decision, held = compute(recording, row.held_days if row else 0)
    if decision is None:
        return row
    before = describe(row) if row else ""
    if row is not None and not allow_shorten and not later(as_decision(row), decision):
        log.info(
            "recording %s: computed %s earlier than kept %s, not shortened without approval",
            recording.pk,
            decision.keep_until,
            row.keep_until,
        )
        if row.held != held:
            row.held = held
            row.save(update_fields=["held", "computed_at"])
        return row
    values = {
        "profile_code": profile_for_unit(recording.unit).code,
        "category": decision.category,
        "category_name": decision.category_name,
        "keep": decision.keep,
        "keep_until": decision.keep_until,
        "pending": decision.pending,
        "cite": decision.cite,
        "reason": decision.reason[:300],
        "facts": decision.facts,
        "held": held,
    }
    if row is None:
        row = RecordingRetention.objects.create(recording=recording, **values)
    else:
        changed = any(getattr(row, k) != v for k, v in values.items())
        if not changed:
            return row
        for key, value in values.items():
            setattr(row, key, value)
        row.save()
    after = describe(row)
    if after != before:
        audit.record(
            "retention.classify",
            actor=actor,
            obj=recording,
            summary=f"保存期限：{after}"[:500],
            detail={"before": before, "after": after, "why": why},
        )
    return row


def reclassify(
    recordings: Iterable[Recording] | Iterable[int],
    *,
    actor=None,
    allow_shorten: bool = False,
    why: str = "",
    sync_store: bool = True,
) -> list[RecordingRetention]:
    """Recompute each recording's retention (purged ones are left as they are)."""
    ids = [r.pk if isinstance(r, Recording) else r for r in recordings]
    rows = []
    for recording in Recording.objects.filter(pk__in=ids, purged_at__isnull=True).select_related(
        "case", "unit"
    ):
        with transaction.atomic():
            row = _apply(recording, actor=actor, allow_shorten=allow_shorten, why=why)
        if row is not None:
            rows.append(row)
            if sync_store:
                from avrecords.retention.storesync import sync_one

                sync_one(row)
    return rows


def reclassify_case(case, *, actor=None, why: str = "") -> None:
    """After a case is linked, closed or filed: its recordings and its activities' ones."""
    from avrecords.compliance.models import ActivityRecording

    ids = set(Recording.objects.filter(case=case).values_list("pk", flat=True))
    ids |= set(
        ActivityRecording.objects.filter(activity__case=case, excluded=False).values_list(
            "recording_id", flat=True
        )
    )
    reclassify(ids, actor=actor, why=why)


def reclassify_activity(activity, *, actor=None, why: str = "") -> None:
    from avrecords.compliance.models import ActivityRecording

    ids = ActivityRecording.objects.filter(activity=activity, excluded=False).values_list(
        "recording_id", flat=True
    )
    reclassify(list(ids), actor=actor, why=why)


def unclassified(limit: int | None = None):
    return Recording.objects.filter(purged_at__isnull=True, retention__isnull=True).values_list(
        "pk", flat=True
    )[:limit]
