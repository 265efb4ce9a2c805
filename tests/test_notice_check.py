"""The notice check (U5): the opening minutes of an activity's first recording are listened
to for the notice "本次执法全程录音录像" (fuzhou 004§13: 在进行执法过程全记录前，执法人员应当
事先告知对方使用音像记录设备记录). Real MP4s, imported through the ingest; the check runs as
the background job after the recording is evaluated or an activity is linked.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from avrecords import worklist
from avrecords.audit.models import AuditEntry
from avrecords.compliance import notice_check
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import (
    Finding,
    FindingKind,
    FindingStatus,
    NoticeCheck,
    NoticeOutcome,
)
from avrecords.compliance.workflows import escalate_overdue
from avrecords.jobs.models import Job, JobState
from avrecords.lib.storage import get_store
from avrecords.supervision.models import ViolationCandidate
from tests import notice_audio
from tests.notice_fixtures import (
    Clips,
    add_reference,
    beijing,
    camera_name,
    fuzhou,
    ingest,
    inspection,
    run_jobs,
)

pytestmark = notice_audio.requires_espeak


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Clips:
    return Clips(tmp_path_factory.mktemp("notice"))


@pytest.fixture
def bureau(org, clips):
    """The fuzhou profile on the bureau and the camera's announcement as the reference."""
    fuzhou(org)
    add_reference(org, clips)
    return org


def test_the_notice_in_the_first_recording_is_found_at_its_second(bureau, clips):
    activity = inspection(bureau)
    ingest(bureau, clips.with_notice, camera_name(9, 30, 1))
    run_jobs()
    check = NoticeCheck.objects.get(activity=activity)
    assert check.outcome == NoticeOutcome.FOUND
    assert check.at_seconds == pytest.approx(clips.notice_at, abs=1.0)
    assert check.confidence >= 0.5 and check.method == "example"
    assert check.reference_name == "执法记录仪内置告知语音"
    assert check.message.endswith("检测到告知语（置信度 " + f"{round(check.confidence * 100)}%）")
    assert not Finding.objects.filter(kind=FindingKind.NO_NOTICE).exists()
    entry = AuditEntry.objects.get(action="notice.check")
    assert entry.actor is None and entry.actor_label == "系统"
    assert entry.detail["outcome"] == "found" and entry.detail["cite"] == "004§13"


def test_without_the_notice_the_finding_names_the_window_searched(bureau, clips):
    activity = inspection(bureau)
    rec = ingest(bureau, clips.without_notice, camera_name(9, 30, 1))
    run_jobs()
    assert NoticeCheck.objects.get(activity=activity).outcome == NoticeOutcome.NOT_FOUND
    finding = Finding.objects.get(kind=FindingKind.NO_NOTICE)
    assert finding.key == f"notice:{activity.pk}"
    assert finding.summary == "首个音像记录开头 3 分钟（00:00–03:00）未检测到告知语"
    assert (finding.officer, finding.recording, finding.activity) == (
        bureau.officer,
        rec,
        activity,
    )
    assert finding.cite == "004§13" and finding.status == FindingStatus.OPEN
    assert finding.detail["to_seconds"] == pytest.approx(180, abs=0.5)
    assert finding.respond_by is None  # answered and reviewed, never escalated


def test_a_recording_shorter_than_the_window_says_it_was_searched_whole(bureau, clips):
    inspection(bureau)
    ingest(bureau, clips.short_without, camera_name(9, 30, 1))
    run_jobs()
    summary = Finding.objects.get(kind=FindingKind.NO_NOTICE).summary
    assert summary.startswith("首个音像记录全程（00:00–00:")
    assert summary.endswith("，不足 3 分钟）未检测到告知语")


def test_a_second_recording_of_the_activity_is_not_checked(bureau, clips):
    activity = inspection(bureau)
    first = ingest(bureau, clips.with_notice, camera_name(9, 30, 1))
    ingest(bureau, clips.short_without, camera_name(9, 40, 2))
    run_jobs()
    check = NoticeCheck.objects.get(activity=activity)
    assert (check.recording, check.outcome) == (first, NoticeOutcome.FOUND)
    assert not Finding.objects.filter(kind=FindingKind.NO_NOTICE).exists()
    assert AuditEntry.objects.filter(action="notice.check").count() == 1


def test_a_recording_of_no_activity_is_not_checked(bureau, clips):
    ingest(bureau, clips.without_notice, camera_name(9, 30, 1))
    run_jobs()
    assert not NoticeCheck.objects.exists()
    assert not Job.objects.filter(kind=notice_check.JOB).exists()
    assert not Finding.objects.filter(kind=FindingKind.NO_NOTICE).exists()


def test_an_activity_entered_later_is_checked_when_its_recording_is_linked(bureau, clips):
    rec = ingest(bureau, clips.with_notice, camera_name(9, 30, 1))
    run_jobs()
    assert not NoticeCheck.objects.exists()
    activity = inspection(bureau)  # links the recording automatically
    run_jobs()
    check = NoticeCheck.objects.get(activity=activity)
    assert (check.recording, check.outcome) == (rec, NoticeOutcome.FOUND)


def test_an_earlier_recording_linked_later_is_checked_instead(bureau, clips):
    """The first recording changed: the check follows it, updated in place."""
    activity = inspection(bureau)
    ingest(bureau, clips.with_notice, camera_name(9, 30, 1))
    run_jobs()
    earlier = ingest(bureau, clips.short_without, camera_name(9, 5, 2))
    run_jobs()
    check = NoticeCheck.objects.get(activity=activity)
    assert (check.recording, check.outcome) == (earlier, NoticeOutcome.NOT_FOUND)
    assert Finding.objects.get(kind=FindingKind.NO_NOTICE).recording == earlier


def test_a_video_without_audio_is_a_finding_saying_so(bureau, clips):
    activity = inspection(bureau)
    ingest(bureau, clips.silent_video, camera_name(9, 30, 1))
    run_jobs()
    assert NoticeCheck.objects.get(activity=activity).outcome == NoticeOutcome.NO_AUDIO
    finding = Finding.objects.get(kind=FindingKind.NO_NOTICE)
    assert finding.summary == "首个音像记录没有音轨，无法确认告知"
    assert finding.detail["outcome"] == "no_audio"


def test_a_corrupt_file_gets_a_chinese_message_and_leaves_the_finding_as_it_was(bureau, clips):
    activity = inspection(bureau)
    rec = ingest(bureau, clips.without_notice, camera_name(9, 30, 1))
    run_jobs()
    before = Finding.objects.get(kind=FindingKind.NO_NOTICE)
    path = get_store().local_path(rec.storage_key)
    os.chmod(path, 0o644)
    with open(path, "wb") as damaged:
        damaged.write(b"\x00not a video at all" * 100)
    for _ in range(2):  # again and again: no opening and closing in turn
        notice_check.enqueue_for(activity)
        run_jobs()
        check = NoticeCheck.objects.get(activity=activity)
        assert check.outcome == NoticeOutcome.UNREADABLE
        assert check.message == "文件已损坏或格式无法识别"
        after = Finding.objects.get(pk=before.pk)
        assert (after.status, after.summary) == (FindingStatus.OPEN, before.summary)
    jobs = Job.objects.filter(kind=notice_check.JOB)
    assert set(jobs.values_list("state", flat=True)) == {JobState.DONE}
    assert all(job.attempts == 1 for job in jobs)


def test_without_references_nothing_is_found_and_the_system_administrator_is_asked(org, clips):
    fuzhou(org)
    activity = inspection(org)
    ingest(org, clips.without_notice, camera_name(9, 30, 1))
    run_jobs()
    check = NoticeCheck.objects.get(activity=activity)
    assert check.outcome == NoticeOutcome.NO_REFERENCES
    assert not Finding.objects.filter(kind=FindingKind.NO_NOTICE).exists()
    titles = [t.title for g in worklist.groups_for(org.sysadmin) for t in g.tasks]
    assert "尚未配置告知语参考录音，告知检查未进行" in titles
    admins = [t.title for g in worklist.groups_for(org.admin) for t in g.tasks]
    assert "尚未配置告知语参考录音，告知检查未进行" not in admins
    add_reference(org, clips)  # the waiting activities are checked with it
    run_jobs()
    assert NoticeCheck.objects.get(activity=activity).outcome == NoticeOutcome.NOT_FOUND
    assert Finding.objects.filter(kind=FindingKind.NO_NOTICE, status="open").count() == 1
    titles = [t.title for g in worklist.groups_for(org.sysadmin) for t in g.tasks]
    assert "尚未配置告知语参考录音，告知检查未进行" not in titles


def test_a_missed_notice_is_never_escalated_nor_cleared_by_the_engine(bureau, clips):
    activity = inspection(bureau)
    ingest(bureau, clips.short_without, camera_name(9, 30, 1))
    run_jobs()
    finding = Finding.objects.get(kind=FindingKind.NO_NOTICE)
    Finding.objects.filter(pk=finding.pk).update(respond_by=timezone.now() - dt.timedelta(days=30))
    assert escalate_overdue(timezone.now()) == 0
    evaluate_activity(activity)  # the engine's findings are recomputed; this one is not its
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    assert not ViolationCandidate.objects.filter(finding=finding).exists()


def test_a_notice_heard_after_a_miss_clears_the_finding(bureau, clips):
    activity = inspection(bureau, start=beijing(9), end=beijing(11))
    ingest(bureau, clips.short_without, camera_name(9, 30, 1))
    run_jobs()
    assert Finding.objects.get(kind=FindingKind.NO_NOTICE).status == FindingStatus.OPEN
    ingest(bureau, clips.with_notice, camera_name(9, 5, 2))  # the real first recording
    run_jobs()
    assert NoticeCheck.objects.get(activity=activity).outcome == NoticeOutcome.FOUND
    assert Finding.objects.get(kind=FindingKind.NO_NOTICE).status == FindingStatus.CLEARED


def test_a_keyword_model_that_cannot_be_loaded_leaves_the_check_to_the_references(
    bureau, clips, settings, tmp_path
):
    """AVRECORDS_NOTICE_KWS_MODEL pointing to a directory without a model: logged, and the
    reference recordings still decide."""
    settings.AVRECORDS_NOTICE_KWS_MODEL = str(tmp_path)
    activity = inspection(bureau)
    ingest(bureau, clips.with_notice, camera_name(9, 30, 1))
    run_jobs()
    check = NoticeCheck.objects.get(activity=activity)
    assert (check.outcome, check.method) == (NoticeOutcome.FOUND, "example")
