"""M1 ingest deadlines as the articles word them (issue 20 §1), on the 2026 official calendar.

Worked by hand: 国庆节 Thu 1 – Wed 7 October 2026, working days Thu 8 and Fri 9 October, the
adjusted working Saturday 10 October. lingchuan 002§15 and zhanhe 003§13 count from the end
of the enforcement activity, not of each file a camera splits it into; fuzhou 004§17 gives 2
working days with the unit head's consent, except where a dispute or sudden incident
happened at that activity. Everything goes through the public services: the engine
(`evaluate_activity`, `evaluate_recording`), `workflows.grant_extension`, the activity page
and the activity import.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from avrecords.audit.models import AuditEntry
from avrecords.compliance import activities as acts
from avrecords.compliance import corrections, workflows
from avrecords.compliance.engine import evaluate_activity, evaluate_recording, relinked
from avrecords.compliance.models import Finding, FindingKind, FindingStatus
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from avrecords.supervision.models import ViolationCandidate
from tests.conftest import client_for
from tests.rows import make

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
THREE_FILES = (("09:00", "09:40"), ("09:40", "10:20"), ("10:20", "11:00"))


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def use(org, code: str) -> None:
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code=code))


def clip(org, start: str, end: str, ingested: str) -> Recording:
    rec = make(
        org,
        f"{start[-5:].replace(':', '')}.mp4",
        at=t(start).timetuple()[:6],
        ended_at=t(end),
        device=org.camera,
        device_serial=org.camera.serial,
    )
    Recording.objects.filter(pk=rec.pk).update(ingested_at=t(ingested))
    rec.refresh_from_db()
    return rec


def split_activity(org, ingested: str, *, end: str = "2026-09-30T11:00:00", **extra):
    """A two-hour inspection on 30 Sep 2026, 09:00–11:00, that the camera split into three
    files, all stored at `ingested`."""
    files = [
        clip(org, f"2026-09-30T{a}:00", f"2026-09-30T{b}:00", ingested) for a, b in THREE_FILES
    ]
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind=extra.pop("kind", "on_site_inspection"),
            started_at=t("2026-09-30T09:00:00"),
            ended_at=t(end),
            officers=[org.officer],
            **extra,
        ),
    )
    evaluate_activity(activity)
    return activity, files


def late(rec: Recording) -> Finding | None:
    return Finding.objects.filter(kind=FindingKind.LATE_INGEST, recording=rec).first()


def open_late(recordings) -> list[Finding]:
    return [f for f in map(late, recordings) if f is not None and f.status == FindingStatus.OPEN]


@pytest.mark.parametrize("code", ["lingchuan", "zhanhe"])
def test_a_split_activity_stored_23_hours_after_its_end_is_on_time_for_every_file(org, code):
    """002§15 "执法人员应当在执法结束后 24 小时内将音像信息储存至本单位指定的专用存储器";
    003§13 "行政执法人员应当在每次执法活动结束后，将音像记录设备记录的声像资料交法制办下载、
    存储" (24 h in the profile). The activity ended 30 Sep 11:00, due 1 Oct 11:00: stored at
    10:00 (23 h later), none of the three files is late — not even the first, which ended at
    09:40 and would be late if its own end started the clock."""
    use(org, code)
    _, files = split_activity(org, ingested="2026-10-01T10:00:00")
    assert [late(f) for f in files] == [None, None, None]
    assert not ViolationCandidate.objects.filter(kind="late_ingest").exists()


@pytest.mark.parametrize(
    ("code", "rule"),
    [("lingchuan", "执法活动结束后24小时内"), ("zhanhe", "每次执法活动结束后（24小时内）")],
)
def test_a_split_activity_stored_25_hours_after_its_end_is_late_for_every_file(org, code, rule):
    """002§15 "执法结束后 24 小时内……储存"; 003§13 "每次执法活动结束后……下载、存储". Due
    1 Oct 11:00 for each of the three files; stored at 12:00 (25 h after the activity's end),
    every file is one hour late, each a violation candidate at once."""
    use(org, code)
    _, files = split_activity(org, ingested="2026-10-01T12:00:00")
    findings = open_late(files)
    assert len(findings) == 3
    cite = "002§15" if code == "lingchuan" else "003§13"
    for finding in findings:
        assert finding.summary == (
            f"应于 2026-10-01 11:00 前存储（{rule}，执法活动 2026-09-30 11:00 结束），"
            "实际 2026-10-01 12:00 入库，逾期 1 小时"
        )
        assert finding.cite == cite
    assert ViolationCandidate.objects.filter(kind="late_ingest").count() == 3


def test_a_recording_in_no_activity_is_measured_from_its_own_end_and_says_so(org):
    """002§15 "执法结束后 24 小时内": without an activity the platform knows only the file's
    end, 30 Sep 14:30 → due 1 Oct 14:30; stored 15:00, 30 minutes late, and the finding says
    which end it counted from."""
    use(org, "lingchuan")
    rec = clip(org, "2026-09-30T14:00:00", "2026-09-30T14:30:00", "2026-10-01T15:00:00")
    evaluate_recording(rec)
    assert late(rec).summary == (
        "应于 2026-10-01 14:30 前存储（执法活动结束后24小时内），实际 2026-10-01 15:00 入库，"
        "逾期 30 分钟（未关联执法活动，按文件结束时间计算）"
    )
    assert Finding.objects.filter(kind=FindingKind.OUTSIDE, recording=rec).exists()


def test_a_file_in_two_activities_must_meet_the_earlier_deadline(org):
    """002§15 "执法结束后 24 小时内": a file holding part of two overlapping activities holds the
    information of each, due 24 h after each ends: A ended 30 Sep 10:00, B 15:00; stored 1 Oct
    12:00 the file is 2 hours late for A."""
    use(org, "lingchuan")
    rec = clip(org, "2026-09-30T09:30:00", "2026-09-30T09:55:00", "2026-10-01T12:00:00")
    for start, end in (("09:00", "10:00"), ("09:30", "15:00")):
        activity = acts.create_activity(
            org.admin,
            acts.ActivityInput(
                unit=org.squad1,
                kind="on_site_inspection",
                started_at=t(f"2026-09-30T{start}:00"),
                ended_at=t(f"2026-09-30T{end}:00"),
                officers=[org.officer],
            ),
        )
        evaluate_activity(activity)
    assert late(rec).summary.startswith(
        "应于 2026-10-01 10:00 前存储（执法活动结束后24小时内，执法活动 2026-09-30 10:00 结束）"
    )
    assert "逾期 2 小时" in late(rec).summary


CSV_HEADER = "外部编号,单位代码,活动类型,开始时间,结束时间,执法人员,现场纠纷"


def reimport(org, *rows: str):
    data = "\r\n".join((CSV_HEADER, *rows)).encode("utf-8")
    return client_for(org.admin).post(
        "/activities/import", {"file": SimpleUploadedFile("办案系统导出.csv", data)}
    )


def test_correcting_an_activitys_end_recomputes_its_files_deadlines(org):
    """002§15 "执法结束后 24 小时内": the case system first exported the inspection as ending at
    10:00 (a typing error), so the files stored 1 Oct 10:30 were late for 10:00 + 24 h. Its
    corrected export (same 外部编号, end 11:00) corrects the activity: every file is then due
    1 Oct 11:00, on time, and the late findings clear; unlinking a file by hand measures it
    from its own end again and says so."""
    use(org, "lingchuan")
    files = [
        clip(org, f"2026-09-30T{a}:00", f"2026-09-30T{b}:00", "2026-10-01T10:30:00")
        for a, b in THREE_FILES
    ]
    row = f"ZF-7,{org.squad1.code},on_site_inspection,2026-09-30 09:00,2026-09-30 {{}},{org.officer.badge_no},否"
    assert "已导入 1 条" in reimport(org, row.format("10:00")).content.decode()
    # 09:40 file: due 1 Oct 10:00; 10:20 file: its own end is later, due 1 Oct 10:20; the
    # 10:20–11:00 file is outside the activity as first entered.
    assert [f.summary.rsplit("，", 1)[-1] for f in open_late(files[:2])] == [
        "逾期 30 分钟",
        "逾期 10 分钟",
    ]
    body = reimport(org, row.format("11:00")).content.decode()
    assert "已导入 0 条，更正已导入过的 1 条（第 2 行）" in body
    assert open_late(files) == []
    assert {late(f).status for f in files[:2]} == {FindingStatus.CLEARED}
    entry = AuditEntry.objects.get(action="activity.correct")
    assert "实际结束 2026-09-30 10:00:00 → 2026-09-30 11:00:00" in entry.summary
    assert "已导入 0 条，跳过已导入过的 1 行（第 2 行）" in reimport(org, row.format("11:00")).text

    activity = files[0].activity_links.get().activity
    response = client_for(org.admin).post(
        f"/activities/{activity.pk}/link", {"recording": files[0].pk, "action": "unlink"}
    )
    assert response.status_code == 302
    assert open_late(files) == [late(files[0])]
    assert late(files[0]).summary.endswith("逾期 50 分钟（未关联执法活动，按文件结束时间计算）")


def test_a_wrong_correction_is_refused_in_chinese_and_changes_nothing(org):
    """A corrected end before the activity's start is a typing error: nothing is saved."""
    use(org, "lingchuan")
    row = f"ZF-8,{org.squad1.code},on_site_inspection,2026-09-30 09:00,2026-09-30 {{}},{org.officer.badge_no},否"
    reimport(org, row.format("10:00"))
    activity = acts.Activity.objects.get(external_ref="ZF-8")
    with pytest.raises(acts.ActivityInvalid, match="实际结束：结束时间早于开始时间"):
        corrections.correct(org.admin, activity, ended_at=t("2026-09-30T08:00:00"))
    activity.refresh_from_db()
    assert activity.ended_at == t("2026-09-30T10:00:00")
    assert not AuditEntry.objects.filter(action="activity.correct").exists()


# --- fuzhou 004§17: the extension ------------------------------------------------------------


def fuzhou_day(org, kind: str = "on_site_inspection", *, dispute: bool = False):
    """A fuzhou activity 30 Sep 15:00–16:00, its one file stored Thu 8 Oct 10:00: 24 h after
    the file's end is 1 Oct 16:00, so it is late by 6 days 18 hours."""
    use(org, "fuzhou")
    rec = clip(org, "2026-09-30T15:00:00", "2026-09-30T16:00:00", "2026-10-08T10:00:00")
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind=kind,
            started_at=t("2026-09-30T15:00:00"),
            ended_at=t("2026-09-30T16:00:00"),
            officers=[org.officer],
            external_ref=f"FZ-{kind}",
            dispute=dispute,
        ),
    )
    evaluate_activity(activity)
    return activity, rec


def test_fuzhou_consent_without_a_dispute_gives_two_working_days(org, head1):
    """004§17 "音像记录应在24小时内导出……特殊情况经本单位负责人同意可以在2个工作日内导出".
    Made Wed 30 Sep; 1–7 Oct are 国庆节, so the 2 working days are Thu 8 and Fri 9 Oct: due
    by the end of 9 Oct, and the 8 Oct ingest is on time. A second file stored Sat 10 Oct
    01:00 (an adjusted working day, but after the deadline) is 1 hour late."""
    activity, rec = fuzhou_day(org)
    assert late(rec).summary.endswith("逾期 6 天 18 小时")
    page = client_for(head1).get(f"/activities/{activity.pk}/").content.decode()
    assert "同意延期存储</button>" in page and "请审慎决定" not in page
    response = client_for(head1).post(f"/activities/{activity.pk}/extension")
    assert response.status_code == 302
    assert late(rec).status == FindingStatus.CLEARED
    later = clip(org, "2026-09-30T15:30:00", "2026-09-30T15:59:00", "2026-10-10T01:00:00")
    relinked(later)  # as after its ingest: linked to the activity, then evaluated
    assert late(later).summary == (
        "应于 2026-10-10 00:00 前存储（记录作出之日起2个工作日内），"
        "实际 2026-10-10 01:00 入库，逾期 1 小时"
    )


def test_fuzhou_refuses_the_extension_in_chinese_where_a_dispute_happened(org, head1):
    """004§17 "……可以在2个工作日内导出（现场发生纠纷冲突或突发事件的除外）"."""
    activity, rec = fuzhou_day(org, dispute=True)
    with pytest.raises(
        workflows.StepRefused, match="现场发生纠纷冲突或突发事件，不得延长存储期限（004§17）"
    ):
        workflows.grant_extension(head1, activity)
    page = client_for(head1).get(f"/activities/{activity.pk}/").content.decode()
    assert "同意延期存储</button>" not in page
    assert "现场发生纠纷冲突或突发事件，不得延长存储期限" in page
    assert late(rec).status == FindingStatus.OPEN
    assert not AuditEntry.objects.filter(action="activity.extension").exists()


def test_fuzhou_warns_but_lets_the_unit_head_decide_for_a_dispute_prone_type(org, head1):
    """004§17 excludes only "现场发生纠纷冲突或突发事件" at that activity, not whole types such
    as 查封、扣押 (004§7(3)): the page warns, the unit head consents, the deadline moves."""
    activity, rec = fuzhou_day(org, "seal_seizure")
    client = client_for(head1)
    warning = "“查封、扣押”属于容易引发争议的执法活动，请审慎决定"
    assert warning in client.get(f"/activities/{activity.pk}/").content.decode()
    response = client.post(f"/activities/{activity.pk}/extension", follow=True)
    assert f"已同意延期存储（已提示：{warning}）" in response.content.decode()
    assert late(rec).status == FindingStatus.CLEARED
    assert AuditEntry.objects.get(action="activity.extension").detail["warning"] == warning


def test_a_dispute_recorded_after_the_extension_brings_back_the_normal_deadline(org, head1):
    """004§17 "（现场发生纠纷冲突或突发事件的除外）": the consent was given, then the case
    system's export says a dispute happened there. The extension no longer applies: the file
    is late against 1 Oct 16:00 again, and the finding says why."""
    activity, rec = fuzhou_day(org)
    workflows.grant_extension(head1, activity)
    assert late(rec).status == FindingStatus.CLEARED
    row = f"FZ-on_site_inspection,{org.squad1.code},on_site_inspection,2026-09-30 15:00,2026-09-30 16:00,{org.officer.badge_no},是"
    assert "更正已导入过的 1 条" in reimport(org, row).content.decode()
    finding = late(rec)
    assert finding.status == FindingStatus.OPEN
    assert finding.summary == (
        "应于 2026-10-01 16:00 前存储（结束后24小时内），实际 2026-10-08 10:00 入库，"
        "逾期 6 天 18 小时（已同意的延期存储不再适用：现场发生纠纷冲突或突发事件，"
        "不得延长存储期限（004§17））"
    )


# --- the profile data ---------------------------------------------------------------------


def test_the_profiles_say_whose_end_starts_the_clock():
    """002§15 "执法结束后", 003§13 "每次执法活动结束后": the activity's end; 000§17 "自记录作出
    之日起", 001§19 and 004§17 keep the file's end."""
    counted = {
        row.code: row.profile.ingest.deadline.counted_from.value
        for row in PolicyProfile.objects.filter(builtin=True)
    }
    assert counted == {
        "tongbai": "recording_end",
        "chengde": "recording_end",
        "lingchuan": "activity_end",
        "zhanhe": "activity_end",
        "fuzhou": "recording_end",
    }


def test_a_profile_saved_before_issue_20_warns_for_dispute_prone_types_instead_of_refusing():
    """004§17 excludes only "现场发生纠纷冲突或突发事件": an administrator's profile that still
    lists dispute_prone under not_for reads as a warning; an unknown value names the field."""
    from pydantic import ValidationError

    from avrecords.policies.schema import Deadline, Extension

    old = Extension.model_validate(
        {
            "rule": "working_days",
            "amount": 2,
            "not_for": ["dispute", "dispute_prone"],
            "cite": "004§17",
        }
    )
    assert (old.not_for, old.warn_for) == (["dispute"], ["dispute_prone"])
    assert (
        Deadline.model_validate(
            {"rule": "after_activity", "amount": 24, "cite": "003§13"}
        ).counted_from
        == "activity_end"
    )
    with pytest.raises(ValidationError, match="counted_from"):
        Deadline.model_validate(
            {"rule": "hours", "amount": 24, "counted_from": "lunch", "cite": "002§15"}
        )
