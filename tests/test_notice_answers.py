"""A missed notice is answered by the officer and reviewed by the unit head; the machine never
decides alone (U5; fuzhou 004§13, `notice.reviewed_by: unit_head`, approvals decision
``notice.review``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from avrecords import worklist
from avrecords.audit.models import AuditEntry
from avrecords.compliance import notice_answers as answers
from avrecords.compliance import workflows
from avrecords.compliance.models import Explanation, Finding, FindingKind, FindingStatus
from avrecords.lib.listening.matching import DEFAULT_MIN_CONFIDENCE
from avrecords.notices.models import Notice
from tests.notice_fixtures import fuzhou
from tests.rows import make, make_activity

SUMMARY = "首个音像记录开头 3 分钟（00:00–03:00）未检测到告知语"


@pytest.fixture
def missed(org) -> Finding:
    """The finding the notice check leaves on 张伟's inspection (made here directly)."""
    fuzhou(org)
    activity = make_activity(org.squad1, org.officer)
    return Finding.objects.create(
        key=f"notice:{activity.pk}",
        kind=FindingKind.NO_NOTICE,
        unit=org.squad1,
        officer=org.officer,
        activity=activity,
        recording=make(org, "inspection.mp4"),
        summary=SUMMARY,
        cite="004§13",
        detail={"outcome": "not_found", "to_seconds": 180},
    )


def titles(user, group: str) -> list[str]:
    return [t.title for g in worklist.groups_for(user) if g.name == group for t in g.tasks]


def test_the_officer_answers_with_one_of_the_profiles_answers(org, missed):
    assert answers.may_answer(org.officer, missed)
    explanation = answers.answer(org.officer, missed, "other_device", "告知在2号记录仪上录制")
    missed.refresh_from_db()
    assert missed.status == FindingStatus.EXPLAINED
    assert (explanation.reason, explanation.reason_name) == (
        "other_device",
        "告知在另一台设备上录制",
    )
    entry = AuditEntry.objects.get(action="notice.answer")
    assert entry.summary == "说明未检测到告知语：告知在另一台设备上录制"
    with pytest.raises(workflows.StepRefused, match="不能再次说明"):
        answers.answer(org.officer, missed, "other", "再说明一次试试")


def test_an_answer_the_profile_does_not_offer_or_without_words_is_refused(org, missed):
    with pytest.raises(workflows.StepRefused, match="请选择策略规定的说明情形"):
        answers.answer(org.officer, missed, "forgot", "忘记告知了啊")
    with pytest.raises(workflows.StepRefused, match="至少 5 个字"):
        answers.answer(org.officer, missed, "oral_not_recorded", "口头")
    assert not Explanation.objects.exists()


def test_another_officer_may_not_answer_but_a_successor_does(org, missed):
    with pytest.raises(PermissionDenied):
        answers.answer(org.officer2, missed, "other", "不是我的问题")
    Finding.objects.filter(pk=missed.pk).update(handled_by=org.officer2)  # E5: 张伟 left
    missed.refresh_from_db()
    assert not answers.may_answer(org.officer, missed)
    answers.answer(org.officer2, missed, "no_party", "当事人当时拒不到场")
    assert Finding.objects.get(pk=missed.pk).status == FindingStatus.EXPLAINED


def test_the_unit_head_confirms_an_answered_miss(org, missed, head1):
    answers.answer(org.officer, missed, "oral_not_recorded", "口头告知时记录仪尚未开启")
    assert answers.may_review(head1, missed)
    answers.review(head1, missed, confirm=True, note="应先开启记录仪再告知")
    missed.refresh_from_db()
    assert missed.status == FindingStatus.RESOLVED and missed.closed_at is not None
    assert missed.detail["review"]["outcome"] == "confirmed"
    assert Explanation.objects.get(finding=missed).acknowledged_by == head1
    assert AuditEntry.objects.get(action="notice.confirm").actor == head1
    with pytest.raises(workflows.StepRefused, match="不能再确认"):
        answers.review(head1, missed, confirm=False)


def test_the_unit_head_dismisses_without_an_answer(
    org, missed, head1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers.review(head1, missed, confirm=False, note="回放听到已告知，系统未识别")
    missed.refresh_from_db()
    assert missed.status == FindingStatus.RESOLVED
    assert missed.detail["review"] == {
        **missed.detail["review"],
        "outcome": "dismissed",
        "note": "回放听到已告知，系统未识别",
    }
    assert AuditEntry.objects.filter(action="notice.dismiss").count() == 1
    told = Notice.objects.get(recipient=org.officer)
    assert told.title == f"告知检查结果已不予认定：{SUMMARY}"


def test_nobody_reviews_a_miss_about_himself(org, missed, head1):
    Finding.objects.filter(pk=missed.pk).update(officer=head1)
    missed.refresh_from_db()
    assert not answers.may_review(head1, missed)
    with pytest.raises(workflows.StepRefused, match="不能确认与本人有关的告知检查结果"):
        answers.review(head1, missed, confirm=False)
    assert Finding.objects.get(pk=missed.pk).status == FindingStatus.OPEN


def test_a_successor_who_answered_does_not_review_it(org, missed, head1):
    Finding.objects.filter(pk=missed.pk).update(handled_by=head1)
    missed.refresh_from_db()
    answers.answer(head1, missed, "other", "交接时已核实当时有告知")
    with pytest.raises(workflows.StepRefused, match="不能确认本人作出的说明"):
        answers.review(head1, missed, confirm=False)


@pytest.mark.parametrize("who", ["officer2", "admin", "head2", "sysadmin"])
def test_people_without_the_unit_heads_part_may_not_review(org, missed, who):
    with pytest.raises(PermissionDenied):
        answers.review(getattr(org, who), missed, confirm=True)
    assert Finding.objects.get(pk=missed.pk).status == FindingStatus.OPEN


def test_the_leader_above_may_review_too(org, missed):
    answers.review(org.leader, missed, confirm=True)
    assert Finding.objects.get(pk=missed.pk).detail["review"]["outcome"] == "confirmed"


def test_the_interruption_acknowledgement_does_not_take_a_notice_answer(org, missed, head1):
    answers.answer(org.officer, missed, "other_device", "告知在2号记录仪上录制")
    with pytest.raises(workflows.StepRefused, match="告知检查的说明"):
        workflows.acknowledge(head1, missed)
    with pytest.raises(workflows.StepRefused):
        workflows.explain(org.officer, missed, "device_fault", "设备故障无法告知")


def test_the_officers_and_the_unit_heads_worklists_follow_the_miss(org, missed, head1):
    asked = f"请说明告知情况：{SUMMARY} — {missed.activity}"
    assert titles(org.officer, "需要我说明或核对的合规问题") == [asked]
    assert titles(head1, "待我确认的告知检查说明") == []
    answers.answer(org.officer, missed, "other_device", "告知在2号记录仪上录制")
    assert titles(org.officer, "需要我说明或核对的合规问题") == []
    assert titles(head1, "待我确认的告知检查说明") == [
        f"张伟 的告知说明：{SUMMARY} — {missed.activity}"
    ]
    assert titles(head1, "待我确认的中断说明") == []
    assert titles(org.head2, "待我确认的告知检查说明") == []  # another squad's head
    answers.review(head1, missed, confirm=False)
    assert titles(head1, "待我确认的告知检查说明") == []


def test_the_officers_worklist_page_links_to_the_finding_not_to_an_interruption_form(org, missed):
    from tests.conftest import client_for

    page = client_for(org.officer).get("/todo/").content.decode()
    assert "请说明告知情况" in page
    assert "中断原因" not in page


# --- the profile's notice section -----------------------------------------------------------

ARTICLES = {
    "tongbai": "000§12",
    "chengde": "001§11",
    "lingchuan": "002§10",
    "zhanhe": "003§9",
    "fuzhou": "004§13",
}


@pytest.mark.parametrize("code", sorted(ARTICLES))
def test_each_builtin_profile_cites_its_own_article_for_the_notice(code):
    from avrecords.policies.services import builtin_sources, parse

    profile = parse(builtin_sources()[code])
    notice = profile.notice
    assert notice.cite == ARTICLES[code]
    assert notice.note.startswith("第") and "平台设定" in notice.note
    assert notice.window_minutes == 3 and notice.reviewed_by == "unit_head"
    assert notice.min_confidence == DEFAULT_MIN_CONFIDENCE  # the library's calibrated threshold
    assert notice.checklist_item in {c.code for c in profile.supervision.checklist}
    assert "本次执法全程录音录像" in notice.phrases
    assert [a.name for a in notice.answers][:2] == ["告知在另一台设备上录制", "口头告知未录入"]


def test_a_notice_naming_a_checklist_item_the_profile_lacks_is_refused():
    from avrecords.policies.services import ProfileInvalid, builtin_sources, parse

    text = builtin_sources()["fuzhou"].replace(
        "checklist_item: notice_and_credentials", "checklist_item: shows_badge"
    )
    with pytest.raises(ProfileInvalid) as refused:
        parse(text)
    assert "notice.checklist_item “shows_badge” 不在 supervision.checklist 中" in str(
        refused.value.errors
    )


def test_a_profile_without_a_notice_section_gets_the_platforms_default():
    import re

    from avrecords.policies.services import builtin_sources, parse

    text = re.sub(r"\nnotice:\n(  .*\n|    .*\n|\n)*", "\n", builtin_sources()["fuzhou"])
    notice = parse(text).notice
    assert notice.cite == "" and "平台设定" in notice.note
    assert notice.window_minutes == 3 and notice.min_confidence == 0.5
