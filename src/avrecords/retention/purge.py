"""Purging originals (M5): the one path by which an original leaves the store.

Every way in — the disposal job, the API, the admin, the command line — ends in
`purge_recording()` or the job's `run_list()`, and both check the same conditions: the
recording is on a list the archivist reviewed and the leader approved, its keep-until date has
passed, no hold covers it and its case file is not pending. A refusal is audited with the path
it came by. Under all of this the store refuses by itself (S3 COMPLIANCE lock and legal hold;
the local store's lock records), so even a direct call into the store cannot purge early.

Each item is purged in three steps so that a crash leaves it either purged with its record or
untouched: (1) the destruction record is written, incomplete, with the item marked 清除中;
(2) the original is deleted from the store, then its derived copies; (3) record, item and
recording are marked purged. A re-run (the job row is re-run when its worker dies) finds the
items marked 清除中 and finishes them: an original already gone counts as deleted.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.jobs.models import Job
from avrecords.jobs.services import handler
from avrecords.lib.storage import get_store
from avrecords.lib.storage.base import RetentionError
from avrecords.recordings.models import Derivative, Recording
from avrecords.redaction import services as redaction
from avrecords.retention.approvals import Refused
from avrecords.retention.models import (
    DestructionRecord,
    DisposalItem,
    DisposalList,
    DisposalStatus,
    ItemDecision,
    ItemOutcome,
    RecordingRetention,
)

log = logging.getLogger(__name__)
PURGE_JOB = "retention.purge"
PATHS = {
    "service": "业务服务",
    "api": "接口",
    "admin": "管理后台",
    "cli": "命令行",
    "job": "清除任务",
}


class PurgeNotAllowed(Refused):
    """An attempt to purge that the rules refuse (409); the message is Chinese."""

    api_prefix = "拒绝清除："


def _label(user) -> str:
    if user is None:
        return ""
    return f"{user.full_name or user.username}（{user.username}）"


def why_not(recording: Recording, item: DisposalItem | None, today=None) -> str:
    """The reason a recording may not be purged now, or "" if it may."""
    today = today or timezone.localdate()
    if recording.purged_at is not None:
        return "该音像记录已清除"
    row = RecordingRetention.objects.filter(recording=recording).first()
    if row is None:
        return "尚未确定保存期限，不能清除"
    if row.held:
        return "法律保全中，不能清除"
    if row.pending:
        return "随案卷保存，案卷尚未归档，不能清除"
    if row.keep_until is None:
        return "永久保存，不能清除"
    if row.keep_until >= today:
        return f"保存期限至 {row.keep_until:%Y-%m-%d}，未到期，不能清除"
    if item is None or item.decision != ItemDecision.PURGE:
        return "未列入经复核的到期清除清单，不能清除"
    if item.disposal.status not in (DisposalStatus.APPROVED, DisposalStatus.PURGING):
        return f"清除清单 {item.disposal.number} 未经批准（{item.disposal.get_status_display()}），不能清除"
    return ""


def _refused(actor, recording: Recording, reason: str, path: str, ip: str = "") -> None:
    audit.record(
        "retention.purge_refused",
        actor=actor,
        obj=recording,
        summary=f"拒绝清除（{PATHS.get(path, path)}）：{reason}"[:500],
        detail={"path": path, "reason": reason},
        ip=ip,
    )


def _approved_item(recording: Recording) -> DisposalItem | None:
    return (
        DisposalItem.objects.filter(recording=recording, decision=ItemDecision.PURGE)
        .exclude(outcome__in=[ItemOutcome.PURGED, ItemOutcome.SKIPPED, ItemOutcome.KEPT])
        .select_related("disposal")
        .order_by("-pk")
        .first()
    )


def purge_recording(actor, recording: Recording, *, path: str = "service", ip: str = ""):
    """Purge one recording now, if the rules allow it; otherwise refuse, audited."""
    item = _approved_item(recording)
    reason = why_not(recording, item)
    if reason:
        with transaction.atomic():
            _refused(actor, recording, reason, path, ip)
        raise PurgeNotAllowed(reason)
    return _purge_item(item, actor=actor, path=path)


def _remove_derivatives(recording: Recording) -> list[dict]:
    removed = []
    root = Path(settings.AVRECORDS_DERIVED_PATH)
    for derivative in Derivative.objects.filter(recording=recording):
        target = root / derivative.relative_path
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        removed.append(
            {
                "kind": derivative.kind,
                "path": derivative.relative_path,
                "size": derivative.size_bytes,
            }
        )
    return removed


def _begin(item: DisposalItem, recording: Recording) -> DestructionRecord:
    disposal = item.disposal
    row = RecordingRetention.objects.get(recording=recording)
    now = timezone.now()
    record, _ = DestructionRecord.objects.get_or_create(
        item=item,
        defaults={
            "recording": recording,
            "number": f"{disposal.number}-{item.pk}",
            "original_name": recording.original_name,
            "sha256": recording.sha256,
            "size_bytes": recording.size_bytes,
            "storage_key": recording.storage_key,
            "storage_version": recording.storage_version,
            "started_at": recording.started_at,
            "ended_at": recording.ended_at,
            "ingested_at": recording.ingested_at,
            "officer": _label(recording.officer),
            "unit_name": recording.unit.name if recording.unit_id else "",
            "device": recording.device.serial if recording.device_id else recording.device_serial,
            "category_name": row.category_name,
            "cite": row.cite,
            "keep_until": row.keep_until,
            "reviewed_by": _label(disposal.reviewed_by),
            "approved_by": _label(disposal.approved_by),
            "begun_at": now,
        },
    )
    DisposalItem.objects.filter(pk=item.pk).update(outcome=ItemOutcome.PURGING)
    return record


def _purge_item(item: DisposalItem, *, actor=None, path: str, store=None) -> str:
    """Purge one approved item (or finish one a crash interrupted); returns its outcome."""
    store = store or get_store()
    with transaction.atomic():
        item = DisposalItem.objects.select_for_update().select_related("disposal").get(pk=item.pk)
        recording = Recording.objects.select_for_update().get(pk=item.recording_id)
        if item.outcome == ItemOutcome.PURGED:
            return item.outcome
        resuming = item.outcome == ItemOutcome.PURGING
        reason = "" if resuming else why_not(recording, item)
        if reason:
            _refused(actor, recording, reason, path)
            DisposalItem.objects.filter(pk=item.pk).update(
                outcome=ItemOutcome.SKIPPED, note=reason[:300]
            )
            return ItemOutcome.SKIPPED
        record = _begin(item, recording)
    try:
        store.purge(
            recording.storage_key, version=recording.storage_version, sha256=recording.sha256
        )
    except FileNotFoundError:
        log.info("original of recording %s already gone: finishing its purge", recording.pk)
    except RetentionError as exc:  # the store's own guard said no: nothing was deleted
        message = getattr(exc, "user_message", "") or "存储拒绝清除（锁定未到期或处于法律保全）"
        with transaction.atomic():
            DestructionRecord.objects.filter(pk=record.pk, purged_at__isnull=True).delete()
            DisposalItem.objects.filter(pk=item.pk).update(
                outcome=ItemOutcome.SKIPPED, note=message[:300]
            )
            _refused(actor, recording, f"存储拒绝：{message}", path)
        log.warning("store refused to purge recording %s: %s", recording.pk, exc)
        return ItemOutcome.SKIPPED
    now = timezone.now()
    with transaction.atomic():
        # M5: the redacted copies held here go with their original (their rows stay, marked)
        removed = _remove_derivatives(recording) + redaction.purge_copies(recording)
        DestructionRecord.objects.filter(pk=record.pk).update(purged_at=now, derivatives=removed)
        Derivative.objects.filter(recording=recording).delete()
        Recording.objects.filter(pk=recording.pk).update(purged_at=now)
        DisposalItem.objects.filter(pk=item.pk).update(outcome=ItemOutcome.PURGED)
        audit.record(
            "retention.purge",
            actor=actor,
            obj=recording,
            summary=f"按保存期限清除 {recording.original_name}（{record.number}）"[:500],
            detail={"sha256": recording.sha256, "size": recording.size_bytes, "path": path},
        )
    return ItemOutcome.PURGED


def run_list(disposal: DisposalList, *, actor=None, path: str = "job") -> dict[str, int]:
    """Purge every approved item of a list, resuming items a crash left half-done."""
    if disposal.status not in (DisposalStatus.APPROVED, DisposalStatus.PURGING):
        reason = f"清除清单 {disposal.number} 未经批准（{disposal.get_status_display()}），不能清除"
        with transaction.atomic():
            audit.record(
                "retention.purge_refused",
                actor=actor,
                obj=disposal,
                summary=f"拒绝清除（{PATHS.get(path, path)}）：{reason}",
                detail={"path": path, "reason": reason},
            )
        raise PurgeNotAllowed(reason)
    DisposalList.objects.filter(pk=disposal.pk).update(status=DisposalStatus.PURGING)
    store = get_store()
    tally = {ItemOutcome.PURGED: 0, ItemOutcome.SKIPPED: 0}
    todo = disposal.items.filter(
        decision=ItemDecision.PURGE, outcome__in=["", ItemOutcome.PURGING]
    ).order_by("pk")
    for item in todo:
        outcome = _purge_item(item, actor=actor, path=path, store=store)
        tally[outcome] = tally.get(outcome, 0) + 1
    DisposalList.objects.filter(pk=disposal.pk).update(
        status=DisposalStatus.DONE, finished_at=timezone.now()
    )
    return {str(k): v for k, v in tally.items()}


@handler(PURGE_JOB)
def run_purge_job(job: Job) -> None:
    run_list(DisposalList.objects.get(pk=int(job.subject_id)))
