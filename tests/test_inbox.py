"""待办 (issue 17 §3): every app's pending work, for exactly the people who can act on it now,
leaving once done; 站内消息 tell requesters and subjects what happened to their items."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from avrecords import worklist
from avrecords.access import requests as access
from avrecords.compliance import activities as acts
from avrecords.compliance import workflows
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Finding, FindingKind
from avrecords.equipment import events as device_events
from avrecords.equipment.models import EventKind
from avrecords.notices.models import Notice
from avrecords.notices.services import unread_count
from avrecords.org.models import Role, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.assignment import assign
from tests.conftest import PASSWORD, client_for
from tests.rows import BEIJING, make

pytestmark = pytest.mark.django_db


def _person(username, name, role, unit) -> User:
    user = User(username=username, full_name=name, role=role, unit=unit)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def fuzhou(org):
    """fuzhou: a copy is approved by the unit head and carried out by the administrator."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    return org


@pytest.fixture
def head1(org) -> User:
    return _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)


def _todo(user) -> str:
    return client_for(user).get("/todo/").content.decode()


def _copy_request(org, requester):
    rec = make(org, "DSJ_0001.MP4", officer=org.officer2)
    ask = access.Ask(kind="copy", reason="案情研判需要", days=3, recordings=[rec])
    return access.submit(requester, ask)


def test_a_unit_head_decides_a_copy_request_from_his_inbox(
    fuzhou, head1, django_capture_on_commit_callbacks
):
    org = fuzhou
    req = _copy_request(org, org.officer2)
    page = _todo(head1)
    assert "待我审批的查阅、复制申请（1）" in page and f"王芳 的复制申请 {req.number}" in page
    assert f'href="/access/{req.pk}/"' in page
    assert worklist.count_for(head1) == 1
    # the head of another squad, and the requester, have nothing to do with it
    assert req.number not in _todo(org.head2) and "暂无待办事项" in _todo(org.head2)
    assert req.number not in _todo(org.officer2)
    # /access/ opens on 待我审批 for him, on 我的申请 for the requester
    assert req.number in client_for(head1).get("/access/").content.decode()
    assert 'primary" href="?tab=approve"' in client_for(head1).get("/access/").content.decode()
    assert 'primary" href="?tab=mine"' in client_for(org.officer2).get("/access/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        access.approve(head1, req, "同意")
    assert req.number not in _todo(head1)
    assert "待我办理的查阅、复制申请（1）" in _todo(org.admin)
    assert unread_count(org.officer2) == 1
    with django_capture_on_commit_callbacks(execute=True):
        access.execute(org.admin, req)
    assert req.number not in _todo(org.admin)

    requester = client_for(org.officer2)
    inbox = requester.get("/messages/").content.decode()
    assert f"<strong>您的复制申请 {req.number} 已批准</strong>" in inbox
    assert f"<strong>您的复制申请 {req.number} 已办理</strong>" in inbox
    assert "2 条未读" in inbox
    opened = requester.get(re.search(r'href="(/messages/\d+/)"', inbox).group(1))
    assert opened.status_code == 302 and opened.url == f"/access/{req.pk}/"
    assert unread_count(User.objects.get(pk=org.officer2.pk)) == 1


def test_the_request_is_decided_and_carried_out_in_place_in_the_inbox(fuzhou, head1):
    """Issue 17 §3, §8: 同意 and 办理 sit on the task itself; each returns to 待办."""
    org = fuzhou
    req = _copy_request(org, org.officer2)
    head = client_for(head1)
    page = head.get("/todo/").content.decode()
    assert f'action="/access/{req.pk}/approve"' in page and "共 1 条音像记录，期限 3 天" in page
    answer = head.post(
        f"/access/{req.pk}/approve", {"decision": "approve", "comment": "", "next": "/todo/"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/todo/"
    req.refresh_from_db()
    assert req.status == "approved" and req.number not in _todo(head1)

    admin = client_for(org.admin)
    page = admin.get("/todo/").content.decode()
    form = re.search(rf'<form[^>]*action="/access/{req.pk}/execute"[^>]*>', page)
    assert form and "data-confirm" in form[0]  # irreversible: the browser asks first
    done = admin.post(f"/access/{req.pk}/execute", {"next": "/todo/"})
    assert done.status_code == 302 and done["Location"] == "/todo/"
    req.refresh_from_db()
    assert req.status == "active" and req.number not in _todo(org.admin)
    # from the request's own page the step returns to the request, as before
    assert head.post(f"/access/{req.pk}/approve", {"decision": "approve"})["Location"] == (
        f"/access/{req.pk}/"
    )


def test_a_refused_request_tells_the_requester_why(
    fuzhou, head1, django_capture_on_commit_callbacks
):
    req = _copy_request(fuzhou, fuzhou.officer2)
    with django_capture_on_commit_callbacks(execute=True):
        access.reject(head1, req, "与案件无关")
    notice = Notice.objects.get(recipient=fuzhou.officer2)
    assert notice.title == f"您的复制申请 {req.number} 未获批准" and notice.body == "与案件无关"


def test_nobody_sees_his_own_request_to_decide(fuzhou, head1):
    """The engine, not the role: the head who asks cannot approve, so it is not his task."""
    req = _copy_request(fuzhou, head1)
    assert req.number not in _todo(head1)
    assert worklist.count_for(head1) == 0


def test_an_officers_time_mismatch_finding_is_in_his_inbox_with_its_due_time(org):
    Finding.objects.create(
        key="test:mismatch",
        kind=FindingKind.TIME_MISMATCH,
        unit=org.squad1,
        officer=org.officer,
        summary="音像记录与现场检查笔录时间相差 15 分钟",
        cite="000§12",
        respond_by=timezone.now() - dt.timedelta(days=3, hours=1),
    )
    page = _todo(org.officer)
    assert "需要我说明或核对的合规问题（1）" in page
    assert "与文书时间不一致：音像记录与现场检查笔录时间相差 15 分钟" in page
    assert "已逾期 3 天" in page
    assert "相差 15 分钟" not in _todo(org.officer2)
    assert "相差 15 分钟" not in _todo(org.other_officer)


def _gap(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    for start, end in (("09:00", "09:20"), ("09:30", "10:00")):
        h, m = (int(x) for x in start.split(":"))
        eh, em = (int(x) for x in end.split(":"))
        make(
            org,
            f"{start}.mp4",
            at=(2026, 11, 20, h, m),
            ended_at=dt.datetime(2026, 11, 20, eh, em, tzinfo=BEIJING),
            device=org.camera,
        )
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="on_site_inspection",
            started_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING),
            ended_at=dt.datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING),
            officers=[org.officer],
        ),
    )
    evaluate_activity(activity)
    return Finding.objects.get(kind=FindingKind.GAP)


def test_an_explanation_is_written_and_acknowledged_in_place_and_the_officer_told(
    org, head1, django_capture_on_commit_callbacks
):
    gap = _gap(org)
    officer = client_for(org.officer)
    assert f'action="/findings/{gap.pk}/explain"' in _todo(org.officer)
    reason = workflows.profile_for_unit(gap.unit).interruptions.reasons[0].code
    r = officer.post(f"/findings/{gap.pk}/explain", {"reason": reason, "text": "电量耗尽更换电池"})
    assert r.status_code == 302 and r.url == "/todo/"
    assert f'action="/findings/{gap.pk}/explain"' not in _todo(org.officer)
    page = _todo(head1)
    assert "待我确认的中断说明（1）" in page and "电量耗尽更换电池" in page
    with django_capture_on_commit_callbacks(execute=True):
        client_for(head1).post(f"/findings/{gap.pk}/acknowledge")
    assert "待我确认的中断说明" not in _todo(head1)
    notice = Notice.objects.get(recipient=org.officer)
    assert notice.title.startswith("您的中断说明已确认") and notice.kind == "finding.acknowledged"


def test_an_exemption_is_decided_in_place_and_the_submitter_told(
    org, django_capture_on_commit_callbacks
):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="inquiry",
            started_at=dt.datetime(2026, 11, 20, 14, 0, tzinfo=BEIJING),
            ended_at=dt.datetime(2026, 11, 20, 14, 40, tzinfo=BEIJING),
            officers=[org.officer],
        ),
    )
    evaluate_activity(activity)
    ground = PolicyProfile.objects.get(code="fuzhou").profile.exemptions.grounds[0].code
    exemption = workflows.submit_exemption(org.officer, activity, ground, "询问涉及未成年人隐私")
    page = _todo(org.leader)
    assert "待我审批的免予记录（1）" in page and f'/exemptions/{exemption.pk}/decide"' in page
    assert "待我审批的免予记录" not in _todo(org.officer)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.leader).post(
            f"/exemptions/{exemption.pk}/decide", {"decision": "reject", "note": "并不涉及隐私"}
        )
    assert "待我审批的免予记录" not in _todo(org.leader)
    notice = Notice.objects.get(recipient=org.officer)
    assert "已驳回" in notice.title and notice.body == "审批意见：并不涉及隐私"


def test_a_loss_report_is_acknowledged_in_place(org, head1):
    event = device_events.record_event(org.admin, org.camera, EventKind.LOSS, note="巡查途中遗失")
    page = _todo(head1)
    assert "待我确认的设备遗失、被盗报告（1）" in page and "3501001" in page
    assert "3501001" not in _todo(org.head2)
    r = client_for(head1).post(
        f"/equipment/events/{event.pk}/acknowledge", {"next": "/todo/"}, follow=True
    )
    assert "待我确认的设备遗失" not in r.content.decode()


def test_a_recording_waiting_for_assignment_is_the_administrators_and_the_officer_is_told(
    org, django_capture_on_commit_callbacks
):
    rec = make(org, "NOBODY_0001.MP4", officer=None, unit=org.squad1, needs_assignment=True)
    page = _todo(org.admin)
    assert "待指派执法人员的音像记录（1）" in page and "NOBODY_0001.MP4" in page
    assert "NOBODY_0001.MP4" not in _todo(org.other_admin)
    assert "NOBODY_0001.MP4" not in _todo(org.officer)
    with django_capture_on_commit_callbacks(execute=True):
        assign(org.admin, rec.pk, officer_id=org.officer.pk)
    assert "NOBODY_0001.MP4" not in _todo(org.admin)
    assert Notice.objects.get(recipient=org.officer).title == "音像记录已指派给您：NOBODY_0001.MP4"


def test_every_source_answers_every_person_and_the_page_renders(org, head1):
    """Each registered source is asked for each stock person; none fails, 待办 renders."""
    people = [org.officer, org.admin, org.leader, head1, org.sysadmin, org.bureau_admin]
    names = {s.name for s in worklist.sources()}
    assert {
        "compliance.answer",
        "compliance.acknowledge",
        "compliance.exemptions",
        "compliance.clearances",
        "equipment.losses",
        "equipment.clock",
        "access.approve",
        "access.execute",
        "retention.decide",
        "supervision.violations",
        "supervision.decisions",
        "supervision.campaigns",
        "supervision.reviews",
        "recordings.assign",
        "evidence.discs",
    } <= names
    for person in people:
        for source in worklist.sources():
            # a source's fast count (the menu's) says what its task list says
            assert source.count_for(person) == len(source.tasks(person))
        assert client_for(person).get("/todo/").status_code == 200
    assert client_for(None).get("/todo/").status_code == 302
