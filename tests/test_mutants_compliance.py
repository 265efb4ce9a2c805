"""M1 late ingest and U1/U3 time to explain: the exact finding rows the compliance engine writes
(issue 23 §2, the survivors of `make mutate` on compliance/engine.py's ingest_deadline,
recording_findings and _respond_by).

Worked by hand on the official calendar (chinese-calendar, Beijing time): 元旦 Thu 1 – Sat 3
January 2026 with Sun 4 January worked; 国庆节 Thu 1 – Wed 7 October 2026 with Sat 10 October
worked; 春节 from Sun 15 February 2026 with Sat 14 February worked; 2027 not yet published.
Pinned: the deadline to the minute and whose end starts it (000§17 自记录作出之日起 counts the
file's day even inside a longer activity, or 24 hours after a field trip's return; 002§15
执法结束后 the activity's), that a file stored at the very minute of its deadline is on time,
the Chinese sentence of the late finding with its notes in brackets (no activity, a year
without holiday data) and no note where none applies (a file within an activity; a dispute
where no extension was given, 004§17), the row's key, article, answerable officer and detail,
the finding that a file in no activity must be checked for use outside enforcement (U7), and
the moment by which a missing recording must be explained (U1, U3): the end of the next
working day in Beijing, whatever the UTC date (all five profiles give 1 working day).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity, evaluate_recording
from avrecords.compliance.models import Finding, FindingKind
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from tests.test_deadlines_articles import BEIJING, clip, fuzhou_day, late, t, use
from tests.test_retention_rules import BUILTIN

pytestmark = pytest.mark.django_db
NO_ACTIVITY = "未关联执法活动，按文件结束时间计算"
NO_HOLIDAYS_2027 = "2027年的节假日安排尚未录入，暂按周一至周五为工作日计算"


def inspection(org, start: str, end: str, **extra) -> acts.Activity:
    """张伟's on-site inspection, evaluated as entered."""
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind=extra.pop("kind", "on_site_inspection"),
            started_at=t(start),
            ended_at=t(end),
            officers=[org.officer],
            **extra,
        ),
    )
    evaluate_activity(activity)
    return activity


def moments(detail: dict) -> dict:
    """The finding's detail with its two moments read back as datetimes."""
    return {
        **detail,
        "due": dt.datetime.fromisoformat(detail["due"]),
        "ingested": dt.datetime.fromisoformat(detail["ingested"]),
    }


def stored_at(rec: Recording, when: str) -> Recording:
    Recording.objects.filter(pk=rec.pk).update(ingested_at=t(when))
    rec.refresh_from_db()
    return rec


# --- the deadline to the minute ------------------------------------------------------------------


def test_a_file_stored_at_the_minute_of_its_deadline_is_on_time_and_a_minute_later_late(org):
    """000§17 自记录作出之日起2个工作日内: made Wed 31 December 2025; 1–3 January are 元旦 and Sun
    4 January is worked, so the two working days are Sun 4 and Mon 5 January: due by 6 January
    00:00. Stored at 00:00 it is on time; at 00:01, one minute late."""
    use(org, "tongbai")
    rec = clip(org, "2025-12-31T15:00:00", "2025-12-31T15:30:00", "2026-01-06T00:00:00")
    evaluate_recording(rec)
    assert late(rec) is None
    evaluate_recording(stored_at(rec, "2026-01-06T00:01:00"))
    assert late(rec).summary == (
        "应于 2026-01-06 00:00 前存储（记录作出之日起2个工作日内），"
        "实际 2026-01-06 00:01 入库，逾期 1 分钟"
    )


def test_within_a_longer_activity_000_17_still_counts_from_the_files_own_day(org):
    """000§17 自记录作出之日起: an inspection Fri 9 October 22:00 – Sat 10 October 00:30; 王芳's
    file of it ended Fri 23:50, so its two working days are Sat 10 (调休上班) and Mon 12 October:
    due 13 October 00:00 (from the activity's end it would be 14 October). Stored Tue 09:00, it
    is 9 hours late and the finding names 王芳, whose file it is, not the activity's officer."""
    use(org, "tongbai")
    rec = clip(org, "2026-10-09T22:00:00", "2026-10-09T23:50:00", "2026-10-13T09:00:00")
    Recording.objects.filter(pk=rec.pk).update(officer=org.officer2)
    activity = inspection(org, "2026-10-09T22:00:00", "2026-10-10T00:30:00")
    acts.link(org.admin, activity, rec)
    evaluate_activity(activity)
    finding = late(rec)
    assert (finding.key, finding.kind, finding.cite) == (
        f"late:{rec.pk}",
        FindingKind.LATE_INGEST,
        "000§17",
    )
    assert finding.summary == (
        "应于 2026-10-13 00:00 前存储（记录作出之日起2个工作日内），"
        "实际 2026-10-13 09:00 入库，逾期 9 小时"
    )
    assert (finding.officer, finding.recording, finding.activity) == (org.officer2, rec, None)
    assert moments(finding.detail) == {
        "due": t("2026-10-13T00:00:00"),
        "ingested": t("2026-10-13T09:00:00"),
        "warning": "",
        "activity": activity.pk,
        "counted_from": "recording",
        "note": "",
    }
    assert not Finding.objects.filter(kind=FindingKind.OUTSIDE, recording=rec).exists()


def test_002_15_counts_from_the_activitys_end_and_the_row_says_so(org):
    """002§15 执法结束后24小时内: the inspection ended 30 September 11:00, due 1 October 11:00;
    the file stored 12:00 is an hour late, counted from the activity."""
    use(org, "lingchuan")
    rec = clip(org, "2026-09-30T09:00:00", "2026-09-30T09:40:00", "2026-10-01T12:00:00")
    activity = inspection(org, "2026-09-30T09:00:00", "2026-09-30T11:00:00")
    finding = late(rec)
    assert finding.summary == (
        "应于 2026-10-01 11:00 前存储（执法活动结束后24小时内，执法活动 2026-09-30 11:00 结束），"
        "实际 2026-10-01 12:00 入库，逾期 1 小时"
    )
    assert (finding.cite, finding.officer) == ("002§15", org.officer)
    assert moments(finding.detail) == {
        "due": t("2026-10-01T11:00:00"),
        "ingested": t("2026-10-01T12:00:00"),
        "warning": "",
        "activity": activity.pk,
        "counted_from": "activity",
        "note": "",
    }


def test_after_a_field_trip_the_files_are_due_24_hours_after_the_return(org):
    """000§17 异地执法……确实无法及时存储相关记录的，应当在返回单位后24小时内进行存储: an
    inspection away Fri 9 October, the officers back Wed 14 October 18:00, so its files are
    due Thu 15 October 18:00 instead of 13 October 00:00: stored 17:00 on time, 19:00 an hour
    late."""
    use(org, "tongbai")
    on_time = clip(org, "2026-10-09T10:00:00", "2026-10-09T10:50:00", "2026-10-15T17:00:00")
    too_late = clip(org, "2026-10-09T10:50:00", "2026-10-09T11:40:00", "2026-10-15T19:00:00")
    inspection(
        org, "2026-10-09T10:00:00", "2026-10-09T12:00:00", returned_at=t("2026-10-14T18:00:00")
    )
    assert late(on_time) is None
    assert late(too_late).summary == (
        "应于 2026-10-15 18:00 前存储（返回单位后24小时内），实际 2026-10-15 19:00 入库，逾期 1 小时"
    )
    assert late(too_late).cite == "000§17"


# --- a file in no activity ------------------------------------------------------------------------


def test_a_file_in_no_activity_is_late_from_its_own_end_and_flagged_for_review(org):
    """002§15 执法结束后24小时内, without an activity: from the file's end, 30 September 14:30 →
    1 October 14:30, and the note says so; U7: 王芳's file is flagged for review, in her name."""
    use(org, "lingchuan")
    rec = clip(org, "2026-09-30T14:00:00", "2026-09-30T14:30:00", "2026-10-01T14:31:00")
    Recording.objects.filter(pk=rec.pk).update(officer=org.officer2)
    rec.refresh_from_db()
    assert rec.pk != org.officer2.pk  # else a row naming user #pk would name her by chance
    evaluate_recording(rec)
    finding = late(rec)
    assert finding.officer == org.officer2
    assert finding.summary == (
        "应于 2026-10-01 14:30 前存储（执法活动结束后24小时内），实际 2026-10-01 14:31 入库，"
        f"逾期 1 分钟（{NO_ACTIVITY}）"
    )
    assert moments(finding.detail) == {
        "due": t("2026-10-01T14:30:00"),
        "ingested": t("2026-10-01T14:31:00"),
        "warning": "",
        "activity": None,
        "counted_from": "recording",
        "note": NO_ACTIVITY,
    }
    outside = Finding.objects.get(kind=FindingKind.OUTSIDE, recording=rec)
    assert (outside.key, outside.summary, outside.cite, outside.officer, outside.detail) == (
        f"outside:{rec.pk}",
        "没有对应的执法活动，请核实是否用于执法以外的用途",
        "",
        org.officer2,
        {},
    )


def test_a_guessed_2027_deadline_says_so_once_and_nothing_about_an_activity(org):
    """000§17 counts from the file anyway: a file in no activity needs no note there; 2027's
    holidays are not published, so only the guess is said (M1)."""
    use(org, "tongbai")
    rec = clip(org, "2026-12-31T09:00:00", "2026-12-31T10:00:00", "2027-01-06T09:00:00")
    evaluate_recording(rec)
    finding = late(rec)
    assert finding.summary == (
        "应于 2027-01-05 00:00 前存储（记录作出之日起2个工作日内），实际 2027-01-06 09:00 入库，"
        f"逾期 1 天 9 小时（{NO_HOLIDAYS_2027}）"
    )
    assert (finding.detail["warning"], finding.detail["note"]) == (NO_HOLIDAYS_2027, "")


def test_both_notes_are_shown_each_in_its_brackets(org):
    """An agency's own profile counting 000§17's two working days from the activity's end: a
    2026 New Year's Eve file in no activity is measured from its own end, and 2027 is a guess."""
    text = (BUILTIN / "tongbai.yaml").read_text(encoding="utf-8")
    text = text.replace("code: tongbai", "code: tongbai_local").replace(
        "note: 自记录作出之日起2个工作日内存储}",
        "counted_from: activity_end, note: 本单位规定自执法活动结束之日起计算}",
    )
    policies.assign(None, org.bureau, policies.save_profile(org.sysadmin, text))
    rec = clip(org, "2026-12-31T09:00:00", "2026-12-31T10:00:00", "2027-01-06T09:00:00")
    evaluate_recording(rec)
    assert late(rec).summary.endswith(f"逾期 1 天 9 小时（{NO_ACTIVITY}）（{NO_HOLIDAYS_2027}）")


# --- fuzhou 004§17: no note where no extension was given -------------------------------------------


def test_a_dispute_without_any_extension_adds_no_note_about_one(org):
    """004§17 "（现场发生纠纷冲突或突发事件的除外）" concerns an extension; with none given, the
    late finding of a disputed activity says nothing about one."""
    _, rec = fuzhou_day(org, dispute=True)
    finding = late(rec)
    assert finding.summary == (
        "应于 2026-10-01 16:00 前存储（结束后24小时内），实际 2026-10-08 10:00 入库，"
        "逾期 6 天 18 小时"
    )
    assert (finding.cite, finding.detail["note"]) == ("004§17", "")


# --- the time to explain (U1, U3): the end of the next working day in Beijing ----------------------


@pytest.mark.parametrize(
    ("code", "kind", "now", "respond_by"),
    [
        # 00:30 Wed 30 Sep in Beijing is still Tue 29 Sep in UTC: the Beijing day counts;
        # 1–7 October are 国庆节, the next working day is Thu 8 October
        ("tongbai", "seal_seizure", "2026-09-30T00:30:00", "2026-10-09T00:00:00"),
        # Fri 9 October: Sat 10 October is worked (调休上班)
        ("chengde", "coercive_measure", "2026-10-09T18:00:00", "2026-10-11T00:00:00"),
        # New Year's Eve 2025: 1–3 January 元旦, Sun 4 January worked
        ("zhanhe", "evidence_collection", "2025-12-31T20:00:00", "2026-01-05T00:00:00"),
        # Fri 13 February 2026: Sat 14 February is worked before 春节
        ("fuzhou", "seal_seizure", "2026-02-13T07:59:00", "2026-02-15T00:00:00"),
        # an ordinary Friday evening: Monday
        ("lingchuan", "seal_seizure", "2026-11-20T23:59:00", "2026-11-24T00:00:00"),
    ],
)
def test_a_missing_recording_must_be_explained_by_the_end_of_the_next_working_day(
    org, monkeypatch, code, kind, now, respond_by
):
    use(org, code)
    monkeypatch.setattr(timezone, "now", lambda: t(now).astimezone(dt.UTC))
    start = t(now) - dt.timedelta(hours=2)
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind=kind,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=30),
            officers=[org.officer],
        ),
    )
    [opened] = evaluate_activity(activity)
    assert opened.kind == FindingKind.MISSING
    assert opened.respond_by == dt.datetime.fromisoformat(respond_by).replace(tzinfo=BEIJING)
    opened.refresh_from_db()
    assert timezone.localtime(opened.respond_by).isoformat() == f"{respond_by}+08:00"
    interruptions = PolicyProfile.objects.get(code=code).profile.interruptions
    assert interruptions.explain_within_working_days == 1
