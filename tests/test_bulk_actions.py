"""Bulk actions on the recordings list (issue 17 §6): tick rows, apply one action; each item
goes through the single-item service (same rule, same audit entry), the refused ones are
listed with their reason, and an id the person may not see is never named."""

from __future__ import annotations

import pytest
from django.test import Client

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import ActivityRecording
from avrecords.org.models import Role
from avrecords.recordings.bulk import BULK_MAX_ITEMS
from avrecords.recordings.models import Recording
from tests.conftest import PASSWORD, client_for
from tests.rows import make, make_activity, make_case

SECRET = "commercial_secret"
BULK = "/recordings/bulk/"


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_the_list_has_a_checkbox_per_row_select_all_and_the_roles_actions(org):
    make(org, "ROW0001.MP4")
    admin_page = client_for(org.admin).get("/recordings/").content.decode()
    assert 'name="recording"' in admin_page and "data-bulk-item" in admin_page
    assert 'aria-label="全选"' in admin_page and "已选" in admin_page
    for action in (
        "加入案卷",
        "关联执法活动",
        "申请查阅",
        "申请复制",
        "申请导出",
        "指派执法人员/设备",
    ):
        assert action in admin_page
    officer_page = client_for(org.officer).get("/recordings/").content.decode()
    assert "申请查阅" in officer_page
    assert "加入案卷" not in officer_page and "指派执法人员/设备" not in officer_page


def test_it_adds_the_allowed_recordings_to_a_case_and_names_each_refused_one(org):
    case = make_case(org, "桐市监罚〔2026〕7号", org.squad1)
    other_case = make_case(org, "桐市监罚〔2026〕6号", org.squad1)
    free = make(org, "FREE0001.MP4")
    elsewhere = make(org, "ELSE0001.MP4", case=other_case, case_number=other_case.number)
    hidden = make(org, "HIDDEN01.MP4", officer=org.other_officer)
    before = audits("case.link")

    response = client_for(org.admin).post(
        BULK,
        {"action": "case", "case": case.pk, "recording": [free.pk, elsewhere.pk, hidden.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "办理 1 条" in html and "未办理 2 条" in html
    assert f"#{free.pk} FREE0001.MP4：已加入案卷 桐市监罚〔2026〕7号" in html
    assert f"#{elsewhere.pk} ELSE0001.MP4：ELSE0001.MP4 已关联案卷 桐市监罚〔2026〕6号" in html
    assert f"#{hidden.pk}：不存在或无权查看" in html
    assert "HIDDEN01" not in html  # out of scope: never named
    assert audits("case.link") == before + 1
    assert Recording.objects.get(pk=free.pk).case_id == case.pk
    assert Recording.objects.get(pk=elsewhere.pk).case_id == other_case.pk  # untouched
    assert Recording.objects.get(pk=hidden.pk).case_id is None


def test_it_links_recordings_to_an_activity_without_naming_a_confidential_one(org):
    head1 = org._user("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)
    activity = make_activity(org.squad1, org.officer)
    plain = make(org, "PLAIN001.MP4")
    linked = make(org, "LINKED01.MP4")
    ActivityRecording.objects.create(activity=activity, recording=linked, origin="manual")
    secret = make(org, "SECRET01.MP4", officer=org.officer2, secrecy=SECRET)
    before = audits("activity.link")

    response = client_for(head1).post(
        BULK,
        {
            "action": "activity",
            "activity": activity.pk,
            "recording": [plain.pk, linked.pk, secret.pk],
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"#{plain.pk} PLAIN001.MP4：已关联执法活动 现场检查" in html
    assert f"#{linked.pk} LINKED01.MP4：原已关联" in html
    assert f"#{secret.pk}：不存在或无权查看" in html and "SECRET01" not in html
    assert audits("activity.link") == before + 1
    assert not ActivityRecording.objects.filter(activity=activity, recording=secret).exists()


def test_it_assigns_only_the_recordings_waiting_for_assignment(org):
    waiting = make(org, "WAIT0001.MP4", officer=False, needs_assignment=True, uploaded_by=org.admin)
    bound = make(org, "BOUND001.MP4")
    before = audits("recording.assign")

    response = client_for(org.admin).post(
        BULK,
        {"action": "assign", "officer": org.officer2.pk, "recording": [waiting.pk, bound.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"#{waiting.pk} WAIT0001.MP4：已指派给 王芳" in html
    assert f"#{bound.pk} BOUND001.MP4：该音像记录已确定执法人员和设备，无需指派" in html
    assert audits("recording.assign") == before + 1
    assert Recording.objects.get(pk=waiting.pk).officer_id == org.officer2.pk
    assert Recording.objects.get(pk=bound.pk).officer_id == org.officer.pk


def test_it_refuses_bulk_assignment_and_case_filing_to_an_officer(org):
    mine = make(org, "MINE0001.MP4")
    case = make_case(org, "桐市监罚〔2026〕5号", org.squad1)
    officer = client_for(org.officer)
    assert (
        officer.post(
            BULK, {"action": "assign", "officer": org.officer.pk, "recording": mine.pk}
        ).status_code
        == 403
    )
    assert (
        officer.post(BULK, {"action": "case", "case": case.pk, "recording": mine.pk}).status_code
        == 403
    )
    assert audits("recording.assign") == audits("case.link") == 0


def test_it_opens_the_request_form_with_the_visible_recordings_filled_in(org):
    a = make(org, "REQ00001.MP4")
    b = make(org, "REQ00002.MP4")
    hidden = make(org, "REQHIDE1.MP4", officer=org.other_officer)
    admin = client_for(org.admin)
    response = admin.post(BULK, {"action": "copy", "recording": [a.pk, b.pk, hidden.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"/access/new?kind=copy&recording={a.pk}&recording={b.pk}"
    form = admin.get(response["Location"]).content.decode()
    assert "REQ00001.MP4" in form and "REQ00002.MP4" in form and "REQHIDE1" not in form
    assert f"1 条音像记录不存在或无权查看，未列入申请：#{hidden.pk}" in form


def test_it_bounds_the_selection_and_takes_only_a_post_with_csrf(org):
    one = make(org, "BOUND0001.MP4")
    admin = client_for(org.admin)
    too_many = admin.post(BULK, {"action": "view", "recording": list(range(1, BULK_MAX_ITEMS + 2))})
    assert too_many.status_code == 422
    assert f"一次最多处理 {BULK_MAX_ITEMS} 条" in too_many.content.decode()
    assert admin.get(BULK).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert strict.login(username=org.admin.username, password=PASSWORD)
    assert strict.post(BULK, {"action": "view", "recording": one.pk}).status_code == 403


@pytest.mark.parametrize("action", ["case", "activity"])
def test_it_says_what_to_choose_when_no_case_or_activity_was_picked(org, action):
    rec = make(org, "NOPICK01.MP4")
    response = client_for(org.admin).post(BULK, {"action": action, "recording": rec.pk})
    assert response.status_code == 422
    assert ("请选择案卷" if action == "case" else "请选择执法活动") in response.content.decode()
