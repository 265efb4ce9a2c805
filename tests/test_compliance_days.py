"""The compliance engine on a realistic working day, under each of the five profiles.

The same field day is replayed under each agency's rules: a morning on-site inspection with
one camera (a short pause, a long break, a record of inspection whose end differs from the
video), an afternoon seizure nobody recorded, an evening clip outside any activity, and
ingests around the 2026 National Day holiday (1–7 October) and its adjusted working Saturday
(10 October). Each test asserts exactly the findings the regulation implies.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity, evaluate_recording
from avrecords.compliance.models import Finding, FindingKind
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from avrecords.supervision.models import ViolationCandidate
from tests.rows import make

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def clip(org, start: str, end: str, ingested: str, name: str) -> Recording:
    rec = make(
        org,
        name,
        at=t(start).timetuple()[:6],
        ended_at=t(end),
        device=org.camera,
        device_serial=org.camera.serial,
    )
    Recording.objects.filter(pk=rec.pk).update(ingested_at=t(ingested))
    rec.refresh_from_db()
    return rec


def activity(org, kind: str, start: str, end: str, **extra):
    return acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind=kind,
            started_at=t(start),
            ended_at=t(end),
            officers=[org.officer],
            **extra,
        ),
    )


def the_day(org, code: str, *, inspection="on_site_inspection", seizure="seal_seizure"):
    """Returns {finding kind: [(summary, cite)]} after the day is evaluated."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code=code))
    # Morning: recorded, ingested the next working day after the holiday.
    clip(org, "2026-09-30T09:00:30", "2026-09-30T09:30:00", "2026-10-08T09:00:00", "a1.mp4")
    clip(org, "2026-09-30T09:30:20", "2026-09-30T09:45:00", "2026-10-08T09:00:00", "a2.mp4")
    clip(org, "2026-09-30T09:50:00", "2026-09-30T10:00:00", "2026-10-08T09:00:00", "a3.mp4")
    morning = activity(
        org,
        inspection,
        "2026-09-30T09:00:00",
        "2026-09-30T10:00:00",
        document_name="现场检查笔录",
        document_started_at=t("2026-09-30T09:00:00"),
        document_ended_at=t("2026-09-30T10:10:00"),
        party="桐柏县华兴食品有限公司",
    )
    # Afternoon: a seizure nobody recorded.
    afternoon = activity(org, seizure, "2026-09-30T14:00:00", "2026-09-30T14:30:00")
    # Evening: a clip outside any activity, ingested the same evening.
    evening = clip(
        org, "2026-09-30T19:00:00", "2026-09-30T19:05:00", "2026-09-30T21:00:00", "b1.mp4"
    )
    for a in (morning, afternoon):
        evaluate_activity(a)
    evaluate_recording(evening)
    found: dict[str, list] = {}
    for f in Finding.objects.order_by("kind", "id"):
        found.setdefault(f.kind, []).append((f.summary, f.cite))
    return found, morning, afternoon


def kinds(found) -> dict[str, int]:
    return {k: len(v) for k, v in found.items()}


def test_tongbai(org):
    """000§17: 2个工作日内 — recorded Wed 30 Sep, due by the end of Fri 9 Oct (1–7 Oct are
    holidays): the 8 Oct ingest is on time. 000§15 不得断续记录: the 5-minute break is a gap
    (60 s tolerance); the 20-second pause is not. 000§12 起止时间与文书一致: 10 minutes off at
    the end. 000§9 查封或扣押 must be recorded: missing. 000§16 执法专用: the evening clip."""
    found, _, _ = the_day(org, "tongbai")
    assert kinds(found) == {"gap": 1, "time_mismatch": 1, "missing": 1, "outside": 1}
    assert found["gap"][0] == ("09:45:00–09:50:00 记录中断 5 分 0 秒（同一设备相邻分段）", "000§15")
    assert found["time_mismatch"][0][1] == "000§12"
    assert "现场检查笔录记载结束 10:10:00，音像记录结束 10:00:00" in found["time_mismatch"][0][0]
    assert found["missing"][0] == ("查封或扣押须全程音像记录，但没有关联的音像记录", "000§9")
    assert not ViolationCandidate.objects.exists()  # nothing is overdue yet


def test_chengde(org):
    """001§19: 当天执法活动结束后第一时间导出 — a clip of 30 Sep ingested 8 Oct is late (the
    same-day rule knows no holiday), so are the other morning clips; the evening clip went in
    the same evening. 001§5(5) 行政强制措施 must be recorded. The rules do not compare document
    times (U6 is 000§12 and 002§12 only): no mismatch finding."""
    found, _, _ = the_day(org, "chengde", seizure="coercive_measure")
    assert kinds(found) == {"gap": 1, "late_ingest": 3, "missing": 1, "outside": 1}
    assert {cite for _, cite in found["late_ingest"]} == {"001§19"}
    assert "（当天）" in found["late_ingest"][0][0]
    assert ViolationCandidate.objects.filter(kind="late_ingest").count() == 3  # M1, at once


def test_lingchuan(org):
    """002§15: 执法结束后24小时内储存 — 30 Sep 10:00 → due 1 Oct 10:00, holidays or not:
    the morning clips are late. 002§12 文书记载的时间应当与音像记录时间一致."""
    found, _, _ = the_day(org, "lingchuan")
    assert kinds(found) == {
        "gap": 1,
        "late_ingest": 3,
        "time_mismatch": 1,
        "missing": 1,
        "outside": 1,
    }
    assert {cite for _, cite in found["time_mismatch"]} == {"002§12"}


def test_zhanhe(org):
    """003§13: 每次执法活动结束后交法制办存储 (24 h grace in the profile): late. 003§6 调查取证 must be recorded; no document-time check (not in 003)."""
    found, _, _ = the_day(org, "zhanhe", seizure="evidence_collection")
    assert kinds(found) == {"gap": 1, "late_ingest": 3, "missing": 1, "outside": 1}
    assert {cite for _, cite in found["late_ingest"]} <= {"003§13"}


def test_fuzhou(org):
    """004§17: 24小时内导出 (2 working days only with the unit head's consent, not asked
    here): late. 004§12 不间断记录 (gap); 004§7(3) 查封、扣押 must be recorded."""
    found, _, _ = the_day(org, "fuzhou")
    assert kinds(found) == {"gap": 1, "late_ingest": 3, "missing": 1, "outside": 1}
    assert found["gap"][0][1].startswith("004§12")


def test_a_late_recording_that_fills_the_gap_clears_the_finding(org):
    found, morning, _ = the_day(org, "tongbai")
    assert kinds(found)["gap"] == 1
    # A second camera's clip of the break arrives: still a gap on camera 1 (per device, U2).
    filler = make(
        org,
        "c1.mp4",
        at=(2026, 9, 30, 9, 44, 0),
        ended_at=t("2026-09-30T09:51:00"),
        device=org.camera2,
        device_serial=org.camera2.serial,
    )
    acts.link(org.admin, morning, filler)
    evaluate_activity(morning)
    assert Finding.objects.filter(kind=FindingKind.GAP, status="open").count() == 1
    # Unlinking the clip brings nothing back that was not there.
    acts.unlink(org.admin, morning, filler)
    evaluate_activity(morning)
    assert Finding.objects.filter(kind=FindingKind.GAP, status="open").count() == 1


def test_a_recording_that_arrives_for_a_missing_activity_clears_the_finding(org):
    _, _, afternoon = the_day(org, "tongbai")
    late = clip(org, "2026-09-30T14:00:10", "2026-09-30T14:29:50", "2026-10-08T10:00:00", "d1.mp4")
    from avrecords.compliance.engine import relinked

    relinked(late)
    missing = Finding.objects.get(kind=FindingKind.MISSING)
    assert missing.status == "cleared" and missing.closed_at is not None
    assert not Finding.objects.filter(recording=late, kind=FindingKind.OUTSIDE).exists()


def test_tongbai_counts_the_adjusted_working_saturday_for_late_ingest(org):
    """000§17 on the calendar: recorded Fri 9 Oct, the 2 working days are Sat 10 Oct (调休上班)
    and Mon 12 Oct. In on Monday evening: on time. In on Tuesday morning: late, and at once a
    violation candidate (M1)."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    on_time = clip(
        org, "2026-10-09T15:00:00", "2026-10-09T16:00:00", "2026-10-12T20:00:00", "e1.mp4"
    )
    late = clip(org, "2026-10-09T16:10:00", "2026-10-09T16:40:00", "2026-10-13T09:00:00", "e2.mp4")
    assert not [f for f in evaluate_recording(on_time) if f.kind == FindingKind.LATE_INGEST]
    [finding] = [f for f in evaluate_recording(late) if f.kind == FindingKind.LATE_INGEST]
    assert finding.cite == "000§17"
    assert finding.summary.startswith("应于 2026-10-13 00:00 前存储（记录作出之日起2个工作日内）")
    candidate = ViolationCandidate.objects.get(finding=finding)
    assert (candidate.kind, candidate.person, candidate.unit) == (
        "late_ingest",
        org.officer,
        org.squad1,
    )
    assert list(candidate.recordings.all()) == [late]


def test_a_late_ingest_in_a_year_without_holiday_data_says_the_deadline_is_a_guess(org):
    """2027's holidays were not published for this release: the deadline counts Monday to
    Friday, and the finding says so rather than pretending to know (M1)."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    rec = clip(org, "2026-12-31T09:00:00", "2026-12-31T10:00:00", "2027-01-06T09:00:00", "f1.mp4")
    [late] = [f for f in evaluate_recording(rec) if f.kind == FindingKind.LATE_INGEST]
    assert late.summary.endswith("（2027年的节假日安排尚未录入，暂按周一至周五为工作日计算）")
