"""M3, M8: viewing and copying originals need an approved, executed, live request.

Every approval chain of the five shipped profiles is walked: the people it names approve in
order, the administrator carries it out, and only then may the requester play or download;
an expired or revoked grant plays nothing; nobody approves his own request or two steps of one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused, approvers_now
from avrecords.access.models import AccessRequest, RegisterEntry, RequestKind, RequestStatus
from avrecords.audit.models import AuditEntry
from avrecords.cases.models import Case
from avrecords.org.models import Role, Unit, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import PASSWORD, client_for
from tests.rows import make_stored as make

PROFILES = ["tongbai", "chengde", "lingchuan", "zhanhe", "fuzhou"]


def _person(username, name, role, unit) -> User:
    user = User(username=username, full_name=name, role=role, unit=unit)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def people(org):
    """The squad-1 people a chain may name, besides the org fixture's bureau leader."""
    return {
        Role.UNIT_HEAD: _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1),
        Role.LEADER: org.leader,
        Role.ADMIN: org.admin,
        Role.ARCHIVIST: _person("dangan", "刘洋", Role.ARCHIVIST, org.bureau),
        Role.SUPERVISOR: _person("jiandu", "何平", Role.SUPERVISOR, org.bureau),
    }


def _profile(org, code: str):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code=code))
    return PolicyProfile.objects.get(code=code).profile


def _office_director(org) -> User:
    """chengde 001§22: 报经办公室主任审核 — the head of the bureau's 办公室 takes the unit-head
    step (the profile's `deciding.access.office`), not the squad's own head."""
    office = Unit.objects.create(name="办公室", code="T350200-00", parent=org.bureau)
    return _person("bangongshi", "许主任", Role.UNIT_HEAD, office)


def _deciders(org, people, code: str) -> dict:
    return {**people, Role.UNIT_HEAD: _office_director(org)} if code == "chengde" else people


def _walk(req, people, *, comment="同意") -> AccessRequest:
    for role in req.chain:
        req = svc.approve(people[role], req, comment)
    return req


@pytest.mark.parametrize("code", PROFILES)
@pytest.mark.parametrize("kind", [RequestKind.VIEW, RequestKind.COPY])
def test_each_profile_chain_is_walked_in_order_then_executed(org, people, code, kind):
    profile = _profile(org, code)
    people = _deciders(org, people, code)
    chain = profile.approvals.chain(kind)
    rec = make(org, "DSJ_0001.MP4", officer=org.officer2)
    req = svc.submit(
        people[Role.SUPERVISOR],
        svc.Ask(kind=kind, reason="案情研判需要", days=3, recordings=[rec]),
    )
    assert req.chain == list(chain.steps) and req.cite == chain.cite
    assert req.status == RequestStatus.PENDING
    for n, role in enumerate(chain.steps):
        # the step's role is the only one that may decide it, and not the requester
        assert people[role] in approvers_now(req)
        wrong = people[Role.LEADER if role == Role.UNIT_HEAD else Role.UNIT_HEAD]
        with pytest.raises(RequestRefused):
            svc.approve(wrong, req)
        req = svc.approve(people[role], req, f"第{n + 1}步同意")
    assert req.status == RequestStatus.APPROVED
    client = client_for(people[Role.SUPERVISOR])
    # approved is not yet carried out: still no playback
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 403
    req = svc.execute(people[chain.executed_by], req)
    assert req.status == RequestStatus.ACTIVE
    assert req.valid_until == req.executed_at + dt.timedelta(days=3)
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 200
    download = client.get(f"/recordings/{rec.pk}/original")
    assert download.status_code == (200 if kind == RequestKind.COPY else 403)
    entries = RegisterEntry.objects.filter(request=req)
    assert entries.filter(register="view", act="播放").count() == 1
    assert entries.filter(register="copy").count() == (1 if kind == RequestKind.COPY else 0)


def test_chengde_needs_two_different_people_and_the_case_leader(org, people):
    _profile(org, "chengde")
    other_leader = _person("lingdao2", "吴强", Role.LEADER, org.bureau)
    case = Case.objects.create(
        number="承安监罚〔2026〕12号",
        title="某化工企业未按规定检查案",
        case_type="penalty",
        unit=org.squad1,
        leader=other_leader,
        opened_on=dt.date(2026, 11, 1),
        created_by=org.admin,
    )
    rec = make(org, "DSJ_0002.MP4", officer=org.officer2, case=case)
    req = svc.submit(org.admin, svc.Ask(kind="view", reason="执法监督", case=case))
    assert list(req.recordings.all()) == [rec]
    with pytest.raises(RequestRefused, match="不能审批本人"):
        svc.approve(org.admin, req)
    req = svc.approve(_office_director(org), req)  # 办公室主任审核
    with pytest.raises(RequestRefused, match="吴强"):  # 001§22: 案件的局主管领导
        svc.approve(org.leader, req)
    req = svc.approve(other_leader, req)
    assert req.status == RequestStatus.APPROVED
    with pytest.raises(RequestRefused, match="管理员办理"):
        svc.execute(people[Role.UNIT_HEAD], req)


def test_an_expired_grant_plays_nothing_and_says_so(org, people):
    _profile(org, "fuzhou")
    rec = make(org, "DSJ_0003.MP4", officer=org.officer2)
    req = svc.execute(
        org.admin,
        _walk(
            svc.submit(
                people[Role.SUPERVISOR], svc.Ask(kind="copy", reason="复核", recordings=[rec])
            ),
            people,
        ),
    )
    client = client_for(people[Role.SUPERVISOR])
    assert client.get(f"/recordings/{rec.pk}/original").status_code == 200
    AccessRequest.objects.filter(pk=req.pk).update(
        valid_until=timezone.now() - dt.timedelta(seconds=1)
    )
    refused = client.get(f"/recordings/{rec.pk}/original")
    assert refused.status_code == 403 and "复制申请" in refused.content.decode()
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 403
    api = client_for(None).get(
        f"/api/v1/recordings/{rec.pk}/original",
        HTTP_AUTHORIZATION="Basic "
        + __import__("base64").b64encode(f"jiandu:{PASSWORD}".encode()).decode(),
    )
    assert api.status_code == 403
    assert svc.state_label(AccessRequest.objects.get(pk=req.pk)) == "已过期"


def test_a_revoked_grant_stops_at_once_and_the_revocation_is_audited(org, people):
    _profile(org, "tongbai")
    rec = make(org, "DSJ_0004.MP4", officer=org.officer2)
    req = svc.execute(
        org.admin,
        _walk(
            svc.submit(
                people[Role.SUPERVISOR], svc.Ask(kind="view", reason="复核", recordings=[rec])
            ),
            people,
        ),
    )
    client = client_for(people[Role.SUPERVISOR])
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 200
    with pytest.raises(RequestRefused, match="撤销理由"):
        svc.revoke(people[Role.UNIT_HEAD], req, "")
    svc.revoke(people[Role.UNIT_HEAD], req, "事由已消失")
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 403
    assert AuditEntry.objects.filter(action="access.revoke", object_id=str(req.pk)).exists()


def test_a_grant_is_for_its_requester_and_its_recordings_only(org, people):
    _profile(org, "tongbai")
    rec, other = make(org, "A.MP4", officer=org.officer2), make(org, "B.MP4", officer=org.officer2)
    svc.execute(
        org.admin,
        _walk(
            svc.submit(org.leader, svc.Ask(kind="copy", reason="x", recordings=[rec])),
            people,
        ),
    )
    head = client_for(org.leader)
    assert head.get(f"/recordings/{rec.pk}/original").status_code == 200
    assert head.get(f"/recordings/{other.pk}/original").status_code == 403
    # the administrator who carried it out got nothing for himself
    assert client_for(org.admin).get(f"/recordings/{rec.pk}/original").status_code == 403


def test_own_recordings_play_without_a_request_but_never_download_without_one(org):
    rec = make(org, "MINE.MP4", officer=org.officer)
    client = client_for(org.officer)
    assert client.get(f"/recordings/{rec.pk}/media").status_code == 200
    assert client.get(f"/recordings/{rec.pk}/original").status_code == 403
    assert client_for(org.sysadmin).get(f"/recordings/{rec.pk}/original").status_code == 403
    assert not RegisterEntry.objects.exists()  # one's own playback is no 查阅


def test_bad_requests_are_refused_in_chinese_and_leave_nothing(org, people):
    _profile(org, "fuzhou")
    rec = make(org, "C.MP4", officer=org.officer2)
    foreign = make(org, "D.MP4", officer=org.other_officer)
    sup = people[Role.SUPERVISOR]
    with pytest.raises(RequestRefused, match="事由"):
        svc.submit(sup, svc.Ask(kind="view", reason=" ", recordings=[rec]))
    with pytest.raises(RequestRefused, match="有效天数"):
        svc.submit(sup, svc.Ask(kind="view", reason="x", days=99, recordings=[rec]))
    with pytest.raises(RequestRefused, match="提取地点"):
        svc.submit(sup, svc.Ask(kind="export", reason="x", recordings=[rec]))
    with pytest.raises(RequestRefused, match="权限范围"):  # another squad's recording
        svc.submit(org.admin, svc.Ask(kind="view", reason="x", recordings=[foreign]))
    with pytest.raises(RequestRefused, match="权限范围"):  # a colleague's: officers see their own
        svc.submit(org.officer, svc.Ask(kind="view", reason="x", recordings=[rec]))
    with pytest.raises(RequestRefused, match="不同意时请填写理由"):
        req = svc.submit(sup, svc.Ask(kind="view", reason="x", recordings=[rec]))
        svc.reject(people[Role.UNIT_HEAD], req, "")
    assert AccessRequest.objects.count() == 1  # only the last, valid one
    req = AccessRequest.objects.get()
    svc.reject(people[Role.UNIT_HEAD], req, "理由不充分")
    with pytest.raises(RequestRefused):
        svc.approve(people[Role.UNIT_HEAD], req)


def test_the_pages_walk_a_request_through(org, people):
    _profile(org, "fuzhou")
    rec = make(org, "E.MP4", officer=org.officer2)
    officer = client_for(people[Role.SUPERVISOR])
    form = officer.get(f"/access/new?kind=view&recording={rec.pk}")
    assert (
        form.status_code == 200
        and "单位负责人审批 → 设备及音像资料管理员办理" in form.content.decode()
    )
    bad = officer.post(
        "/access/new", {"kind": "view", "recording": rec.pk, "reason": "", "days": 3}
    )
    assert bad.status_code == 400 and "请填写事由" in bad.content.decode()
    made = officer.post(
        "/access/new", {"kind": "view", "recording": rec.pk, "reason": "复核现场", "days": 3}
    )
    req = AccessRequest.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/access/{req.pk}/"
    head = client_for(people[Role.UNIT_HEAD])
    assert str(req.number) in head.get("/access/?tab=approve").content.decode()
    assert officer.post(f"/access/{req.pk}/approve").status_code == 403  # not his role to decide
    head.post(f"/access/{req.pk}/approve", {"decision": "approve", "comment": "同意"})
    client_for(org.admin).post(f"/access/{req.pk}/execute")
    assert AccessRequest.objects.get().status == RequestStatus.ACTIVE
    assert officer.get(f"/recordings/{rec.pk}/media").status_code == 200
    assert client_for(org.other_admin).get(f"/access/{req.pk}/").status_code == 404


def test_the_api_walks_a_request_through(org, people):
    import base64

    def basic(user):
        token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
        return {"HTTP_AUTHORIZATION": f"Basic {token}"}

    _profile(org, "fuzhou")
    rec = make(org, "F.MP4", officer=org.officer)  # his own: playing is free, copying is not
    c = client_for(None)
    made = c.post(
        "/api/v1/access-requests",
        {"kind": "copy", "reason": "移送司法机关", "recording_ids": [rec.pk], "days": 2},
        content_type="application/json",
        **basic(org.officer),
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["chain"] == ["unit_head"]
    refused = c.post(
        f"/api/v1/access-requests/{pk}/execute", content_type="application/json", **basic(org.admin)
    )
    assert refused.status_code == 400 and "审批中" in refused.json()["detail"]
    ok = c.post(
        f"/api/v1/access-requests/{pk}/approve",
        {"comment": ""},
        content_type="application/json",
        **basic(people[Role.UNIT_HEAD]),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert (
        c.post(
            f"/api/v1/access-requests/{pk}/execute",
            content_type="application/json",
            **basic(org.admin),
        ).json()["status"]
        == "active"
    )
    assert c.get(f"/api/v1/recordings/{rec.pk}/original", **basic(org.officer)).status_code == 200
    assert c.get(f"/api/v1/access-requests/{pk}", **basic(org.other_admin)).status_code == 404


def test_the_leader_stands_in_where_no_unit_head_can_decide(org):
    """tongbai names the unit head; squad 1 has none here, so the leader above decides."""
    _profile(org, "tongbai")
    sup = _person("jiandu", "何平", Role.SUPERVISOR, org.bureau)
    rec = make(org, "G.MP4", officer=org.officer2)
    req = svc.submit(sup, svc.Ask(kind="view", reason="执法监督", recordings=[rec]))
    assert approvers_now(req) == [org.leader]
    req = svc.approve(org.leader, req)
    assert req.status == RequestStatus.APPROVED
    # once a unit head is there, the step is his again
    head = _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)
    other = svc.submit(sup, svc.Ask(kind="view", reason="执法监督", recordings=[rec]))
    with pytest.raises(RequestRefused, match="单位负责人审批"):
        svc.approve(org.leader, other)
    assert approvers_now(other) == [head]


def test_nobody_carries_out_his_own_request_to_copy(org, people):
    _profile(org, "fuzhou")
    rec = make(org, "H.MP4", officer=org.officer2)
    req = svc.approve(
        people[Role.UNIT_HEAD],
        svc.submit(org.admin, svc.Ask(kind="copy", reason="复核", recordings=[rec])),
    )
    with pytest.raises(RequestRefused, match="不能办理本人"):
        svc.execute(org.admin, req)
    assert svc.execute(org.bureau_admin, req).status == RequestStatus.ACTIVE
