"""Search-as-you-type pickers (issue 17 §6): `/pick/<kind>/?q=` finds what each list's search
finds, only within the user's scope, never a confidential recording he is not cleared for, at
most ten at a time; forms that took typed ids now post the picker's hidden inputs."""

from __future__ import annotations

import re

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import ActivityRecording
from avrecords.org.models import Role
from avrecords.supervision.models import ViolationCandidate
from tests.conftest import client_for
from tests.rows import make, make_activity, make_case

SECRET = "commercial_secret"


@pytest.fixture
def head1(org):
    """The unit head of squad 1, cleared for no confidentiality mark."""
    return org._user("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)


def picked(user, kind: str, q: str = "") -> tuple[int, str, set[int]]:
    response = client_for(user).get(f"/pick/{kind}/", {"q": q})
    html = response.content.decode()
    return response.status_code, html, {int(pk) for pk in re.findall(r'data-pk="(\d+)"', html)}


def test_it_finds_recordings_by_file_name_within_the_users_scope(org, head1):
    mine = make(org, "XHZ0001湖滨路.MP4", officer=org.officer)
    theirs = make(org, "XHZ0002湖滨路.MP4", officer=org.other_officer)
    secret = make(org, "XHZ0003湖滨路.MP4", officer=org.officer2, secrecy=SECRET)

    cleared = org._user("shemi", "涉密领导", Role.LEADER, org.bureau, secrecy_clearances=[SECRET])

    assert picked(cleared, "recordings", "XHZ")[2] == {mine.pk, theirs.pk, secret.pk}
    status, html, found = picked(head1, "recordings", "XHZ")
    assert status == 200
    assert found == {mine.pk}  # the confidential one is withheld, as on the list
    assert "XHZ0001湖滨路.MP4" in html and "张伟" in html
    assert "XHZ0003" not in html
    assert picked(org.other_officer, "recordings", "XHZ")[2] == {theirs.pk}


def test_it_finds_activities_by_party_within_the_users_scope(org, head1):
    here = make_activity(org.squad1, org.officer, party="华兴贸易有限公司", place="湖滨路8号")
    there = make_activity(org.squad2, org.other_officer, party="华兴贸易分公司")
    secret = make_activity(org.squad1, org.officer2, party="华兴机密", secrecy=SECRET)

    status, html, found = picked(head1, "activities", "华兴")
    assert (status, found) == (200, {here.pk})
    assert "现场检查" in html and "湖滨路8号" in html and "华兴机密" not in html
    assert picked(org.other_officer, "activities", "华兴")[2] == {there.pk}
    assert secret.pk not in picked(org.officer, "activities", "华兴")[2]


def test_it_finds_cases_by_number_and_never_a_confidential_one(org, head1):
    open_case = make_case(org, "桐市监罚〔2026〕7号", org.squad1)
    secret = make_case(org, "桐市监罚〔2026〕8号", org.squad1, secrecy=SECRET)
    other = make_case(org, "桐市监罚〔2026〕9号", org.squad2)

    status, html, found = picked(head1, "cases", "2026")
    assert (status, found) == (200, {open_case.pk})
    assert "桐市监罚〔2026〕7号" in html and "〔2026〕8号" not in html
    assert secret.pk not in picked(org.officer, "cases", "2026")[2]
    assert other.pk not in picked(org.other_officer, "cases", "2026")[2]


def test_it_finds_people_by_name_or_badge_number_within_the_users_units(org, head1):
    status, html, found = picked(org.admin, "people", "35020019001")
    assert (status, found) == (200, {org.officer.pk})
    assert "张伟" in html and "执法一中队" in html and "35020019001" in html
    assert picked(org.admin, "people", "杨军")[2] == set()  # squad 2 is not his
    assert picked(org.other_officer, "people", "张伟")[2] == set()
    assert picked(org.other_officer, "people", "")[2] == {org.other_officer.pk}


def test_it_finds_devices_by_serial_with_their_holder(org):
    status, html, found = picked(org.admin, "devices", "35010")
    assert (status, found) == (200, {org.camera.pk})
    assert "3501001" in html and "张伟" in html
    assert picked(org.other_admin, "devices", "3501001")[2] == set()
    assert picked(org.head2, "devices", "3501")[2] == {org.camera2.pk}  # squad 2's own only
    assert picked(org.other_officer, "devices", "3501001")[2] == set()


def test_it_offers_recent_items_for_an_empty_search_and_at_most_ten(org):
    rows = [make(org, f"BULKPICK{i:02}.MP4", at=(2026, 11, 1 + i, 9, 0)) for i in range(15)]
    status, html, found = picked(org.admin, "recordings", "")
    assert status == 200 and "最近的音像记录" in html
    assert found == {r.pk for r in rows[-10:]}  # the newest ten
    assert "只显示前 10 条" in html
    assert len(picked(org.admin, "recordings", "BULKPICK")[2]) == 10


def test_it_refuses_a_search_over_a_hundred_characters(org):
    make(org, "AAAAAAAA.MP4")
    status, html, found = picked(org.admin, "recordings", "A" * 101)
    assert (status, found) == (200, set())
    assert "搜索词过长" in html


def test_it_answers_404_for_an_unknown_kind_and_405_to_a_post(org):
    assert client_for(org.admin).get("/pick/secrets/?q=x").status_code == 404
    assert client_for(org.admin).post("/pick/recordings/", {"q": "x"}).status_code == 405


def test_it_sends_an_anonymous_visitor_to_the_login_page(org):
    assert client_for(None).get("/pick/recordings/?q=x").status_code == 302


def test_the_activity_page_links_a_recording_through_the_pickers_hidden_input(org):
    activity = make_activity(org.squad1, org.officer)
    recording = make(org, "LINKME01.MP4")
    admin = client_for(org.admin)
    page = admin.get(f"/activities/{activity.pk}/").content.decode()
    assert 'hx-get="/pick/recordings/"' in page
    assert 'inputmode="numeric"' not in page  # no typed id any more

    response = admin.post(f"/activities/{activity.pk}/link", {"recording": recording.pk})
    assert response.status_code == 302
    assert ActivityRecording.objects.filter(activity=activity, recording=recording).exists()
    assert AuditEntry.objects.filter(action="activity.link").count() == 1


# --- forms that took typed ids post the picker's hidden inputs under the same names ----------


def test_the_case_page_links_several_recordings_picked_as_chips(org):
    case = make_case(org, "桐市监罚〔2026〕3号", org.squad1)
    a, b = make(org, "CHIPA001.MP4"), make(org, "CHIPB001.MP4")
    admin = client_for(org.admin)
    page = admin.get(f"/cases/{case.pk}/").content.decode()
    assert 'hx-get="/pick/recordings/"' in page and 'data-name="recordings"' in page
    assert 'name="ids"' not in page  # no box for typed numbers any more
    assert 'hx-get="/pick/activities/"' in page  # the activity to file, picked too

    response = admin.post(f"/cases/{case.pk}/link", {"recordings": [a.pk, b.pk]})
    assert response.status_code == 302
    assert set(case.recordings.values_list("pk", flat=True)) == {a.pk, b.pk}


def test_the_request_form_shows_the_chosen_recordings_as_removable_chips(org):
    a, b = make(org, "ASKA0001.MP4"), make(org, "ASKB0001.MP4")
    page = client_for(org.admin).get(f"/access/new?kind=view&recording={a.pk}&recording={b.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<input type="hidden" name="recording" value="{a.pk}">' in html
    assert f'<input type="hidden" name="recording" value="{b.pk}">' in html
    assert 'aria-label="移除 ASKA0001.MP4"' in html
    assert 'hx-get="/pick/recordings/"' in html


def test_the_assignment_box_and_the_issue_form_pick_people_and_devices(org):
    waiting = make(org, "WAITPICK.MP4", officer=False, needs_assignment=True, uploaded_by=org.admin)
    admin = client_for(org.admin)
    box = admin.get(f"/recordings/{waiting.pk}/").content.decode()
    assert 'hx-get="/pick/people/"' in box and 'data-name="officer"' in box
    assert 'hx-get="/pick/devices/"' in box and 'data-name="device"' in box
    response = admin.post(f"/recordings/{waiting.pk}/assign", {"officer": org.officer2.pk})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.officer_id == org.officer2.pk

    spare = org.camera.__class__.objects.create(serial="3501009", unit=org.squad1)
    device_page = admin.get(f"/equipment/devices/{spare.pk}/").content.decode()
    assert 'hx-get="/pick/people/"' in device_page and 'data-name="holder"' in device_page


def test_the_violation_form_takes_the_recordings_picked_as_chips(org, supervisor):
    a, b = make(org, "VIOA0001.MP4"), make(org, "VIOB0001.MP4")
    web = client_for(supervisor)
    page = web.get("/supervision/violations/new").content.decode()
    assert 'data-name="recordings"' in page and 'placeholder="如 12, 13"' not in page
    response = web.post(
        "/supervision/violations/new",
        {
            "unit": org.squad1.pk,
            "person": org.officer.pk,
            "kind": "private_use",
            "summary": "下班后用执法记录仪拍摄私人活动",
            "recordings": [a.pk, b.pk],
        },
    )
    assert response.status_code == 302
    assert set(ViolationCandidate.objects.get().recordings.values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }


def test_the_violation_form_picks_people_in_the_supervisors_units_and_keeps_them_when_refused(
    org, supervisor
):
    assert org.officer.pk in picked(supervisor, "people", "张伟")[2]
    assert picked(supervisor, "people", "杨军")[2] == set()  # squad 2 is not his to supervise
    response = client_for(supervisor).post(
        "/supervision/violations/new",
        {"unit": org.squad1.pk, "person": org.officer.pk, "kind": "private_use", "summary": ""},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'<input type="hidden" name="person" value="{org.officer.pk}">' in html
    assert 'hx-get="/pick/activities/"' in html and 'hx-get="/pick/devices/"' in html
