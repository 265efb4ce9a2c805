"""The notice check (U5): did the officer tell the party that the activity is recorded?

Every regulation asks for the notice at the start (000§12, 001§11, 002§10, 003§9, 004§13).
What is checked: the opening `notice.window_minutes` of the first recording (by start time;
photos have no sound and are skipped) of each activity that must be recorded; a recording
linked to no activity is not checked. The platform listens by example (`lib.listening`): the
window is searched with the template of every reference recording the system administrator
gave (`notice_references`), and with a keyword spotter when the agency installed one
(AVRECORDS_NOTICE_KWS_MODEL). The original is read through `original_for_tools`, never
altered.

The result is the activity's `NoticeCheck` (one row, updated in place) and, where nothing was
heard or the file has no sound, a finding 未检测到告知语 (key ``notice:<activity>``) the
officer answers and a reviewer confirms or dismisses (`notice_answers`); when the notice is
heard later (a new reference, another first recording) an open finding is cleared. A file
that cannot be decoded leaves the finding as it was: a read error must not open and close it
in turn. The finding is never escalated and never a violation by itself.

The check runs as the job ``compliance.notice_check`` after a recording is evaluated
(`events.RECORDING_EVALUATED`) and after links change (`events.ACTIVITY_LINKS_CHANGED`), for
each must-record activity whose first recording has not been checked yet.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avrecords.audit.services import record
from avrecords.compliance.models import (
    OPEN_STATUSES,
    Activity,
    Finding,
    FindingKind,
    FindingStatus,
    NoticeCheck,
    NoticeOutcome,
    NoticeReference,
)
from avrecords.jobs.models import Job, JobState
from avrecords.jobs.services import enqueue, handler
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.jobs import original_for_tools
from avrecords.recordings.models import MediaKind, Recording

if TYPE_CHECKING:
    from avrecords.policies.schema import Profile

if TYPE_CHECKING:
    from avrecords.lib import listening

# `lib.listening` (numpy, PyAV) is imported where it is used: the app's start loads this
# module for its job and subscribers and must stay light (tests/test_startup_imports.py).

log = logging.getLogger(__name__)

JOB = "compliance.notice_check"
NO_REFERENCES_MESSAGE = "尚未配置告知语参考录音，告知检查未进行"


def finding_key(activity: Activity) -> str:
    return f"notice:{activity.pk}"


def clock(seconds: float) -> str:
    """mm:ss of a position in a recording ("02:13")."""
    whole = max(0, int(round(seconds)))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def percent(confidence: float) -> str:
    return f"{round(confidence * 100)}%"


def first_recording(activity: Activity) -> Recording | None:
    """The activity's first recording with sound (by start time) among its links."""
    return (
        Recording.objects.filter(activity_links__activity=activity, activity_links__excluded=False)
        .exclude(media_kind=MediaKind.PHOTO)
        .order_by("started_at", "pk")
        .first()
    )


def _checked(activity: Activity) -> bool:
    """Whether the activity's check is up to date with its first recording."""
    if not activity.must_record:
        return True
    first = first_recording(activity)
    check = NoticeCheck.objects.filter(activity=activity).only("recording_id").first()
    if first is None:
        return check is None
    return check is not None and check.recording_id == first.pk


def enqueue_for(activity: Activity) -> Job | None:
    """Queue the activity's check, unless one is already waiting (an ingest sends two events)."""
    waiting = Job.objects.filter(
        kind=JOB, subject_type="activity", subject_id=str(activity.pk), state=JobState.QUEUED
    )
    if waiting.exists():
        return None
    return enqueue(JOB, "activity", activity.pk)


def enqueue_unchecked(activities) -> int:
    """Queue a check for each must-record activity whose first recording is not checked yet."""
    queued = 0
    for activity in activities:
        if activity.must_record and not _checked(activity) and enqueue_for(activity):
            queued += 1
    return queued


def on_recording_evaluated(recording) -> None:
    """events.RECORDING_EVALUATED: the activities it is linked to may have a new first one."""
    enqueue_unchecked(
        Activity.objects.filter(
            links__recording=recording, links__excluded=False, must_record=True
        ).distinct()
    )


def on_activity_links_changed(*, activities, recordings, actor, change) -> None:
    """events.ACTIVITY_LINKS_CHANGED: an activity linked later is checked then (U5)."""
    enqueue_unchecked(activities)


@handler(JOB)
def run_job(job: Job) -> None:
    activity = Activity.objects.filter(pk=job.subject_id).select_related("unit").first()
    if activity is not None:
        run(activity)


def run(subject: Activity | Recording) -> NoticeCheck | None:
    """Check an activity (or every activity whose first recording this is) now; the check of
    the (first) activity, None where nothing is checked."""
    if isinstance(subject, Activity):
        return _run(subject)
    checks = [
        _run(activity)
        for activity in Activity.objects.filter(
            links__recording=subject, links__excluded=False, must_record=True
        )
        .distinct()
        .select_related("unit")
        .order_by("pk")
        if (first := first_recording(activity)) is not None and first.pk == subject.pk
    ]
    return next((c for c in checks if c is not None), None)


# --- listening -----------------------------------------------------------------------------


def reference_templates(references=None) -> list[tuple[NoticeReference, listening.Template]]:
    """The references (default: all) whose template file can be read, each with its
    template (a missing or unreadable one is logged and skipped)."""
    from avrecords.lib import listening

    out = []
    root = Path(settings.AVRECORDS_DERIVED_PATH)
    if references is None:
        references = NoticeReference.objects.order_by("pk")
    for reference in references:
        try:
            data = (root / reference.template_path).read_bytes()
            out.append((reference, listening.Template.from_bytes(data)))
        except (OSError, ValueError, listening.ListeningError) as exc:
            log.warning("notice reference %s: template unreadable (%s)", reference.pk, exc)
    return out


@functools.lru_cache(maxsize=4)
def _spotter_for(model_dir: str, phrases: tuple[str, ...]):
    from avrecords.lib.listening import sherpa

    return sherpa.KeywordSpotter.load(model_dir, list(phrases))


def spotter(profile: Profile):
    """The installed keyword spotter with the profile's phrases, or None (not set, or it
    cannot be loaded: logged, and the check goes on by example)."""
    from avrecords.lib import listening

    model_dir = getattr(settings, "AVRECORDS_NOTICE_KWS_MODEL", "") or ""
    if not model_dir:
        return None
    try:
        return _spotter_for(str(model_dir), tuple(profile.notice.phrases))
    except listening.ListeningError as exc:
        log.warning("keyword spotter not used: %s", getattr(exc, "log_message", exc))
        return None


def decode_window(recording: Recording, window_seconds: float):
    """The opening `window_seconds` of the recording's sound (NoAudio, Unreadable)."""
    from avrecords.lib import listening

    with original_for_tools(recording) as source:
        samples = listening.decode(source, max_seconds=window_seconds)
    if len(samples) == 0:
        raise listening.NoAudio()
    return samples


def not_found_summary(window_minutes: int, searched_seconds: float) -> str:
    if searched_seconds + 0.5 >= window_minutes * 60:
        span = f"开头 {window_minutes} 分钟（00:00–{clock(window_minutes * 60)}）"
    else:
        span = f"全程（00:00–{clock(searched_seconds)}，不足 {window_minutes} 分钟）"
    return f"首个音像记录{span}未检测到告知语"


def _listen(activity: Activity, first: Recording, profile: Profile) -> dict:
    """What was heard: the fields of the NoticeCheck (without activity and time)."""
    from avrecords.lib import listening

    notice = profile.notice
    window = notice.window_minutes * 60
    references = reference_templates()
    kws = spotter(profile)
    result = {
        "recording": first,
        "window_seconds": 0.0,
        "at_seconds": None,
        "confidence": None,
        "method": "",
        "reference": None,
        "reference_name": "",
        "matcher_version": listening.MATCHER_VERSION,
    }
    if not references and kws is None:
        return {**result, "outcome": NoticeOutcome.NO_REFERENCES, "message": NO_REFERENCES_MESSAGE}
    try:
        samples = decode_window(first, window)
    except listening.NoAudio:
        return {
            **result,
            "outcome": NoticeOutcome.NO_AUDIO,
            "message": "首个音像记录没有音轨，无法确认告知",
        }
    except listening.ListeningError as exc:
        log.warning(
            "notice check of activity %s, recording %s: %s",
            activity.pk,
            first.pk,
            getattr(exc, "log_message", exc),
        )
        return {**result, "outcome": NoticeOutcome.UNREADABLE, "message": str(exc)[:300]}
    searched = len(samples) / listening.SAMPLE_RATE
    result["window_seconds"] = searched
    hit = None
    if references:
        hit = listening.search(
            samples, [t for _, t in references], min_confidence=notice.min_confidence
        )
    if hit is None and kws is not None:
        hit = kws.search(samples)
    if hit is None:
        return {
            **result,
            "outcome": NoticeOutcome.NOT_FOUND,
            "message": not_found_summary(notice.window_minutes, searched),
        }
    reference = references[hit.reference_index][0] if hit.method == "example" else None
    return {
        **result,
        "outcome": NoticeOutcome.FOUND,
        "at_seconds": hit.at_seconds,
        "confidence": hit.confidence,
        "method": hit.method,
        "reference": reference,
        "reference_name": reference.name if reference else "",
        "message": f"{clock(hit.at_seconds)} 检测到告知语（置信度 {percent(hit.confidence)}）",
    }


# --- storing the result ----------------------------------------------------------------------


def _run(activity: Activity) -> NoticeCheck | None:
    profile = profile_for_unit(activity.unit)
    if profile is None or not activity.must_record:
        return None
    first = first_recording(activity)
    if first is None:
        _forget(activity)
        return None
    heard = _listen(activity, first, profile)  # outside the transaction: decoding takes time
    with transaction.atomic():
        check, _ = NoticeCheck.objects.update_or_create(
            activity=activity, defaults={**heard, "checked_at": timezone.now()}
        )
        _finding(activity, check, profile)
        record(
            "notice.check",
            obj=activity,
            summary=f"告知检查：{check.message}",
            detail={
                "recording": first.pk,
                "outcome": check.outcome,
                "window_seconds": check.window_seconds,
                "at_seconds": check.at_seconds,
                "confidence": check.confidence,
                "method": check.method,
                "reference": check.reference_id,
                "matcher_version": check.matcher_version,
                "cite": profile.notice.cite,
            },
        )
    return check


@transaction.atomic
def _forget(activity: Activity) -> None:
    """No recording left to check: the check and an open finding no longer hold."""
    NoticeCheck.objects.filter(activity=activity).delete()
    Finding.objects.filter(key=finding_key(activity), status__in=OPEN_STATUSES).update(
        status=FindingStatus.CLEARED, closed_at=timezone.now()
    )


def _finding(activity: Activity, check: NoticeCheck, profile: Profile) -> None:
    key = finding_key(activity)
    now = timezone.now()
    if check.outcome == NoticeOutcome.FOUND:
        Finding.objects.filter(key=key, status__in=OPEN_STATUSES).update(
            status=FindingStatus.CLEARED, closed_at=now
        )
        return
    if check.outcome not in (NoticeOutcome.NOT_FOUND, NoticeOutcome.NO_AUDIO):
        return  # unreadable or nothing to compare with: the finding stays as it was
    recording = check.recording
    officer = (
        recording.officer_id
        or activity.officers.order_by("pk").values_list("pk", flat=True).first()
    )
    fields = {
        "kind": FindingKind.NO_NOTICE,
        "unit_id": activity.unit_id,
        "officer_id": officer,
        "activity": activity,
        "recording": recording,
        "summary": check.message[:300],
        "cite": profile.notice.cite,
        "detail": {
            "outcome": check.outcome,
            "recording": recording.pk,
            "window_minutes": profile.notice.window_minutes,
            "from_seconds": 0,
            "to_seconds": round(check.window_seconds, 1),
        },
    }
    row = Finding.objects.filter(key=key).first()
    if row is None:
        Finding.objects.create(key=key, **fields)
        return
    if row.status == FindingStatus.CLEARED:
        fields.update(status=FindingStatus.OPEN, closed_at=None)
    else:  # worked by a person: its answer and review stay
        fields["detail"] = {**fields["detail"], **_kept(row.detail)}
    Finding.objects.filter(pk=row.pk).update(**fields)


def _kept(detail: dict) -> dict:
    return {k: v for k, v in (detail or {}).items() if k == "review"}
