"""M10: cases (案卷): open and edit, link recordings and activities, close (the archiving
deadline of the profile starts, 004§19(2)), file; scope (X2) and marks (M9); pages and API.

Each refusal changes nothing and says why in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from avrecords.access.secrecy import apply_mark
from avrecords.audit.models import AuditEntry
from avrecords.cases import services
from avrecords.cases.models import Case, CaseStatus
from avrecords.compliance.models import Activity, ActivityRecording
from avrecords.org.models import Role, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.recordings.models import Recording
from tests.conftest import PASSWORD, client_for
from tests.rows import make


def _input(org, **changes) -> services.CaseInput:
    values = {
        "number": "榕市监罚〔2026〕12号",
        "title": "某超市销售过期食品案",
        "case_type": "penalty",
        "unit": org.squad1,
        "opened_on": dt.date(2026, 11, 2),
        "party": "某超市",
        "leader": org.leader,
    }
    values.update(changes)
    return services.CaseInput(**values)


@pytest.fixture
def case(org):
    return services.open_case(org.admin, _input(org))


@pytest.fixture
def fuzhou(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))


@pytest.fixture
def tongbai(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))


@pytest.fixture
def head1(org):
    return User.objects.create(
        username="zhongdui1", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )


def closed_at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))


# --- open and edit --------------------------------------------------------------------------


def test_it_opens_a_case_and_audits_it(org, case):
    assert case.status == CaseStatus.OPEN and case.created_by == org.admin
    assert AuditEntry.objects.filter(action="case.open", object_id=str(case.pk)).count() == 1


def test_it_refuses_bad_input_with_every_reason_at_once_and_saves_nothing(org, case):
    with pytest.raises(services.CaseError) as refused:
        services.open_case(
            org.admin,
            _input(
                org,
                title=" ",
                opened_on=timezone.localdate() + dt.timedelta(days=1),
                leader=org.admin,
            ),
        )
    assert refused.value.errors == [
        "案件编号“榕市监罚〔2026〕12号”已存在",
        "请填写案件名称",
        "立案日期不能晚于今天",
        "林海不是分管领导，不能作为主管领导",
    ]
    assert Case.objects.count() == 1


def test_a_retired_unit_opens_no_new_case_but_keeps_its_own(org, case):
    """Issue 18 §1: a retired unit keeps its history and takes nothing new."""
    org.squad1.retired_at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    org.squad1.save()
    with pytest.raises(services.CaseInvalid) as refused:
        services.open_case(org.admin, _input(org, number="榕市监罚〔2026〕13号"))
    assert "执法一中队已撤销，不能承办新案卷" in refused.value.errors
    services.update_case(org.admin, case, _input(org, title="某超市销售过期食品一案"))
    case.refresh_from_db()
    assert case.title == "某超市销售过期食品一案"
    form = client_for(org.admin).get("/cases/new").content.decode()
    assert "执法一中队" not in form.split('name="unit"')[1].split("</select>")[0]
    listed = client_for(org.admin).get("/cases/").content.decode()
    assert "执法一中队" in listed  # its cases are still found by it


def test_it_refuses_a_leader_of_another_agency_or_one_who_left(org):
    other_agency = org._user("lingdao2", "吴军", Role.LEADER, None)
    gone = org._user("lingdao3", "钱明", Role.LEADER, org.bureau, is_active=False)
    for leader in (other_agency, gone):
        assert services.check(_input(org, leader=leader)) == [services.BAD_LEADER]


def test_it_stores_the_case_number_tidied_as_recordings_are_searched(org):
    case = services.open_case(org.admin, _input(org, number=" 榕市监罚〔２０２６〕１３号 "))
    assert case.number == "榕市监罚〔2026〕13号"


def test_it_renumbers_the_linked_recordings_when_the_case_number_changes(org, case):
    rec = make(org, "A.MP4")
    services.link_recordings(org.admin, case, [rec])
    services.update_case(org.admin, case, _input(org, number="榕市监罚〔2026〕99号"))
    rec.refresh_from_db()
    assert rec.case_number == "榕市监罚〔2026〕99号"
    assert AuditEntry.objects.filter(action="case.edit", object_id=str(case.pk)).count() == 1


def test_it_refuses_to_edit_a_filed_case(org, case, tongbai):
    services.close_case(org.admin, case)
    services.file_case(org.admin, case)
    with pytest.raises(services.CaseError, match="案卷已归档，不能修改"):
        services.update_case(org.admin, case, _input(org, title="新名称"))
    case.refresh_from_db()
    assert case.title == "某超市销售过期食品案"


# --- close and file ------------------------------------------------------------------------


def test_closing_a_fuzhou_case_gives_thirty_days_to_file_it(org, case, fuzhou):
    services.close_case(org.admin, case, at=closed_at(dt.date(2026, 11, 20)))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.file_due == dt.date(2026, 12, 20)  # 004§19(2): within 30 days of closure
    assert services.filing_days(case.unit) == (30, "004§19(2)")
    entry = AuditEntry.objects.get(action="case.close", object_id=str(case.pk))
    assert "2026-12-20" in entry.summary and "004§19(2)" in entry.summary


def test_a_fuzhou_inspection_case_has_no_filing_deadline(org, case, fuzhou):
    """004§19(2) names 行政许可、处罚、强制、征收 cases; an inspection case is not one."""
    case.case_type = "inspection"
    case.save()
    services.close_case(org.admin, case, at=closed_at(dt.date(2026, 11, 20)))
    case.refresh_from_db()
    assert case.file_due is None
    assert services.filing_days(case.unit, "inspection") == (None, "")
    assert services.filing_days(case.unit, "penalty") == (30, "004§19(2)")


def test_closing_a_tongbai_case_sets_no_deadline(org, case, tongbai):
    services.close_case(org.admin, case, at=closed_at(dt.date(2026, 11, 20)))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.file_due is None
    assert services.filing_days(case.unit) == (None, "")


def test_it_refuses_to_close_twice_in_the_future_or_before_opening(org, case, fuzhou):
    for at, message in [
        (timezone.now() + dt.timedelta(hours=1), "结案时间不能晚于现在"),
        (closed_at(dt.date(2026, 11, 1)), "结案时间不能早于立案日期"),
    ]:
        with pytest.raises(services.CaseError, match=message):
            services.close_case(org.admin, case, at=at)
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN and case.closed_at is None
    services.close_case(org.admin, case)
    with pytest.raises(services.CaseError, match="不能结案"):
        services.close_case(org.admin, case)


def test_it_lists_the_cases_past_their_deadline_until_filed(org, case, fuzhou):
    services.close_case(org.admin, case, at=closed_at(dt.date(2026, 11, 10)))
    on_time = services.open_case(org.admin, _input(org, number="榕市监罚〔2026〕13号"))
    services.close_case(org.admin, on_time, at=closed_at(dt.date(2026, 11, 15)))
    case.refresh_from_db()
    late = dt.date(2026, 12, 13)
    assert list(services.overdue(Case.objects.all(), late)) == [case]
    assert services.overdue_days(case, late) == 3
    assert services.overdue_days(on_time, late) == 0
    assert not services.overdue(Case.objects.all(), dt.date(2026, 12, 10)).exists()
    services.file_case(org.admin, case)
    assert not services.overdue(Case.objects.all(), late).exists()
    assert services.overdue_days(case, late) == 0


def test_filing_needs_a_closed_case_and_records_who_filed(org, case, fuzhou):
    with pytest.raises(services.CaseError, match="只有已结案的案卷才能归档"):
        services.file_case(org.admin, case)
    services.close_case(org.admin, case)
    services.file_case(org.admin, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.FILED and case.filed_by == org.admin
    assert case.filed_at is not None
    with pytest.raises(services.CaseError, match="案卷已归档，不能再关联音像记录"):
        services.link_recordings(org.admin, case, [make(org, "LATE.MP4")])


# --- linking --------------------------------------------------------------------------------


def test_linking_recordings_writes_the_case_number_on_them(org, case):
    recs = [make(org, "A.MP4"), make(org, "B.MP4")]
    assert services.link_recordings(org.admin, case, recs) == 2
    assert set(Recording.objects.filter(case=case).values_list("case_number", flat=True)) == {
        case.number
    }
    assert services.link_recordings(org.admin, case, recs) == 0  # already there
    entry = AuditEntry.objects.get(action="case.link", object_id=str(case.pk))
    assert entry.detail["recordings"] == sorted(r.pk for r in recs)


def test_it_refuses_a_recording_filed_with_another_case(org, case):
    rec = make(org, "A.MP4")
    other = services.open_case(org.admin, _input(org, number="榕市监罚〔2026〕13号"))
    services.link_recordings(org.admin, other, [rec])
    with pytest.raises(services.CaseError, match="A.MP4 已关联案卷 榕市监罚〔2026〕13号"):
        services.link_recordings(org.admin, case, [rec, make(org, "B.MP4")])
    assert not Recording.objects.filter(case=case).exists()


def test_unlinking_a_recording_clears_its_case_number(org, case):
    rec = make(org, "A.MP4")
    services.link_recordings(org.admin, case, [rec])
    services.unlink_recording(org.admin, case, rec)
    rec.refresh_from_db()
    assert rec.case is None and rec.case_number == ""
    with pytest.raises(services.CaseError, match="该音像记录不在本案卷中"):
        services.unlink_recording(org.admin, case, rec)


def _activity(org, *recordings) -> Activity:
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="on_site_inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC),
        source="web",
    )
    activity.officers.set([org.officer])
    for rec in recordings:
        ActivityRecording.objects.create(activity=activity, recording=rec, origin="manual")
    return activity


def test_linking_an_activity_brings_its_recordings(org, case):
    rec = make(org, "A.MP4")
    activity = _activity(org, rec)
    assert services.link_activity(org.admin, case, activity) == 1
    activity.refresh_from_db()
    rec.refresh_from_db()
    assert activity.case == case and activity.case_number == case.number
    assert rec.case == case
    with pytest.raises(services.CaseError, match="该执法活动已在本案卷中"):
        services.link_activity(org.admin, case, activity)
    services.unlink_activity(org.admin, case, activity)
    activity.refresh_from_db()
    assert activity.case is None


# --- scope and marks ------------------------------------------------------------------------


def test_a_marked_case_hides_from_an_uncleared_unit_head_but_not_a_cleared_one(org, case, head1):
    assert case in Case.objects.visible_to(head1)
    apply_mark(case, "state_secret")
    assert case not in Case.objects.visible_to(head1)
    head1.secrecy_clearances = ["state_secret"]
    head1.save()
    assert case in Case.objects.visible_to(User.objects.get(pk=head1.pk))


def test_an_officer_sees_a_case_only_through_his_own_recordings(org, case):
    assert case not in Case.objects.visible_to(org.officer)
    services.link_recordings(org.admin, case, [make(org, "OTHER.MP4", officer=org.officer2)])
    assert case not in Case.objects.visible_to(org.officer)
    services.link_recordings(org.admin, case, [make(org, "OWN.MP4", officer=org.officer)])
    assert list(Case.objects.visible_to(org.officer)) == [case]


def test_a_unit_role_sees_only_the_cases_of_its_units(org, case):
    assert case in Case.objects.visible_to(org.bureau_admin)
    assert case not in Case.objects.visible_to(org.other_admin)
    assert case not in Case.objects.visible_to(org.head2)


def test_the_list_filters_by_status_type_unit_text_and_overdue(org, case, fuzhou):
    other = services.open_case(
        org.other_admin,
        _input(org, number="榕市监检〔2026〕1号", unit=org.squad2, case_type="inspection"),
    )
    services.close_case(org.admin, case, at=closed_at(dt.date(2026, 11, 20)))

    def found(today=dt.date(2027, 1, 1), **kw):
        return set(services.search_cases(org.bureau_admin, services.CaseFilter(**kw), today))

    assert found() == {case, other}
    assert found(status="closed") == {case}
    assert found(case_type="inspection") == {other}
    assert found(unit=org.squad2.pk) == {other}
    assert found(unit=org.bureau.pk) == {case, other}
    assert found(q="监检") == {other}
    assert found(overdue=True) == {case}
    assert found(overdue=True, today=dt.date(2026, 12, 20)) == set()


# --- pages ----------------------------------------------------------------------------------


def test_the_pages_render_for_an_administrator(org, fuzhou):
    case = services.open_case(org.admin, _input(org, opened_on=dt.date(2026, 1, 5)))
    services.close_case(org.admin, case, at=closed_at(dt.date(2026, 1, 10)))
    rec = make(org, "A.MP4")
    services.link_recordings(org.admin, case, [rec])
    web = client_for(org.admin)
    listing = web.get("/cases/")
    assert listing.status_code == 200
    page = listing.content.decode()
    late = (timezone.localdate() - dt.date(2026, 2, 9)).days  # due 30 days after 01-10
    assert case.number in page and "2026-02-09" in page and f"逾期 {late} 天" in page
    assert "逾期未归档的案卷：<strong>1</strong>" in page
    detail = web.get(f"/cases/{case.pk}/").content.decode()
    assert ">第十九条第（二）项</span>" in detail and "A.MP4" in detail
    assert f"/recordings/{rec.pk}/" in detail
    assert f"kind=view&amp;case={case.pk}" in detail and f"kind=mark&amp;case={case.pk}" in detail
    assert AuditEntry.objects.filter(action="case.view", object_id=str(case.pk)).count() == 1
    assert web.get("/cases/new").status_code == 200
    assert web.get(f"/cases/{case.pk}/edit").status_code == 200


def test_the_case_page_says_when_the_profile_sets_no_deadline(org, case, tongbai):
    page = client_for(org.admin).get(f"/cases/{case.pk}/").content.decode()
    assert "本单位执行的规定未设归档期限" in page


def test_the_new_case_page_opens_a_case(org):
    web = client_for(org.admin)
    response = web.post(
        "/cases/new",
        {
            "number": "榕市监罚〔2026〕20号",
            "title": "无照经营案",
            "case_type": "penalty",
            "unit": org.squad1.pk,
            "opened_on": "2026-11-02",
            "leader": org.leader.pk,
        },
    )
    case = Case.objects.get(number="榕市监罚〔2026〕20号")
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    assert case.leader == org.leader and case.unit == org.squad1


def test_the_new_case_page_shows_every_error_and_saves_nothing(org, case):
    response = client_for(org.admin).post(
        "/cases/new",
        {
            "number": case.number,
            "title": "",
            "case_type": "penalty",
            "unit": org.squad2.pk,  # not the admin's unit
            "opened_on": "2099-01-01",
            "leader": org.officer.pk,
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    for message in [
        "已存在",
        "请填写案件名称",
        "承办单位不存在或不在您的管辖范围内",
        "立案日期不能晚于今天",
        "张伟不是分管领导，不能作为主管领导",
    ]:
        assert message in page
    assert Case.objects.count() == 1


def test_the_pages_answer_404_outside_the_scope(org, case):
    web = client_for(org.other_admin)
    for url in ("", "edit", "close", "file", "link", "unlink"):
        assert web.get(f"/cases/{case.pk}/{url}").status_code == 404
        assert web.post(f"/cases/{case.pk}/{url}").status_code == 404
    assert case.number not in web.get("/cases/").content.decode()


def test_the_actions_answer_405_to_a_get(org, case):
    web = client_for(org.admin)
    for url in ("close", "file", "link", "unlink"):
        assert web.get(f"/cases/{case.pk}/{url}").status_code == 405


def test_an_officer_may_see_his_case_but_not_open_or_close_one(org, case):
    services.link_recordings(org.admin, case, [make(org, "OWN.MP4")])
    web = client_for(org.officer)
    assert web.get(f"/cases/{case.pk}/").status_code == 200
    assert web.get("/cases/new").status_code == 403
    assert web.post("/cases/new", {"number": "X"}).status_code == 403
    assert web.post(f"/cases/{case.pk}/close").status_code == 403
    assert web.post(f"/cases/{case.pk}/file").status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_closing_and_filing_through_the_pages(org, case, fuzhou):
    web = client_for(org.admin)
    response = web.post(f"/cases/{case.pk}/close", {"at": "2026-11-20T15:00"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.file_due == dt.date(2026, 12, 20)
    refused = web.post(f"/cases/{case.pk}/close", {"at": ""})
    assert refused.status_code == 400 and "不能结案" in refused.content.decode()
    assert web.post(f"/cases/{case.pk}/file").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.FILED


def test_a_refused_page_step_shows_the_reason_with_400(org, case):
    response = client_for(org.admin).post(f"/cases/{case.pk}/file")
    assert response.status_code == 400
    assert "只有已结案的案卷才能归档" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_linking_through_the_page_takes_only_visible_recordings(org, case):
    mine, theirs = make(org, "A.MP4"), make(org, "B.MP4", officer=org.other_officer)
    web = client_for(org.admin)
    refused = web.post(f"/cases/{case.pk}/link", {"ids": f"{mine.pk}, {theirs.pk}"})
    assert refused.status_code == 400
    assert f"不在您的权限范围内：{theirs.pk}" in refused.content.decode()
    assert not Recording.objects.filter(case=case).exists()
    assert web.post(f"/cases/{case.pk}/link", {"recordings": [mine.pk]}).status_code == 302
    mine.refresh_from_db()
    assert mine.case == case
    assert web.post(f"/cases/{case.pk}/unlink", {"recording": mine.pk}).status_code == 302
    mine.refresh_from_db()
    assert mine.case is None


def test_linking_an_activity_through_the_page(org, case):
    activity = _activity(org, make(org, "A.MP4"))
    response = client_for(org.admin).post(f"/cases/{case.pk}/link", {"activity": activity.pk})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.case == case


# --- API ------------------------------------------------------------------------------------


class _Api:
    """The mounted /api/v1 routes, signed in by HTTP Basic as `user`."""

    def _auth(self, user):
        import base64

        token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
        return {"HTTP_AUTHORIZATION": f"Basic {token}"}

    def get(self, path, *, user):
        return Client().get(f"/api/v1{path}", **self._auth(user))

    def post(self, path, json=None, *, user):
        return Client().post(
            f"/api/v1{path}", json or {}, content_type="application/json", **self._auth(user)
        )


@pytest.fixture
def api():
    return _Api()


def test_the_api_opens_closes_links_and_files_a_case(org, api, fuzhou):
    body = {
        "number": "榕市监罚〔2026〕30号",
        "title": "虚假宣传案",
        "case_type": "penalty",
        "unit": org.squad1.code,
        "opened_on": "2026-11-02",
        "leader": org.leader.pk,
    }
    created = api.post("/cases", json=body, user=org.admin)
    assert created.status_code == 201, created.json()
    case_id = created.json()["id"]
    again = api.post("/cases", json=body, user=org.admin)
    assert again.status_code == 422 and "已存在" in again.json()["detail"]
    rec = make(org, "A.MP4")
    linked = api.post(f"/cases/{case_id}/recordings", json={"recordings": [rec.pk]}, user=org.admin)
    assert linked.status_code == 200 and linked.json()["added"] == 1
    closed = api.post(
        f"/cases/{case_id}/close", json={"closed_at": "2026-11-20T15:00:00"}, user=org.admin
    )
    assert closed.status_code == 200 and closed.json()["file_due"] == "2026-12-20"
    refused = api.post(f"/cases/{case_id}/close", json={}, user=org.admin)
    assert refused.status_code == 400 and "不能结案" in refused.json()["detail"]
    assert api.post(f"/cases/{case_id}/file", user=org.admin).json()["status"] == "filed"
    detail = api.get(f"/cases/{case_id}", user=org.admin).json()
    assert detail["recording_ids"] == [rec.pk] and detail["filing_cite"] == "004§19(2)"
    listing = api.get("/cases?status=filed", user=org.admin).json()
    assert [c["id"] for c in listing["results"]] == [case_id] and listing["count"] == 1


def test_the_api_answers_404_outside_scope_and_403_without_permission(org, api, case):
    assert api.get(f"/cases/{case.pk}", user=org.other_admin).status_code == 404
    assert api.post(f"/cases/{case.pk}/close", json={}, user=org.other_admin).status_code == 404
    assert api.get("/cases", user=org.other_admin).json()["count"] == 0
    services.link_recordings(org.admin, case, [make(org, "OWN.MP4")])
    assert api.get(f"/cases/{case.pk}", user=org.officer).status_code == 200
    assert api.post(f"/cases/{case.pk}/close", json={}, user=org.officer).status_code == 403
    assert api.post(f"/cases/{case.pk}/file", user=org.officer).status_code == 403
    body = {"recordings": [make(org, "X.MP4").pk]}
    assert api.post(f"/cases/{case.pk}/recordings", json=body, user=org.officer).status_code == 403
    denied = api.post(
        "/cases",
        json={
            "number": "X",
            "title": "X",
            "case_type": "penalty",
            "unit": org.squad1.code,
            "opened_on": "2026-11-02",
        },
        user=org.officer,
    )
    assert denied.status_code == 403
