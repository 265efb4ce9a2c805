"""One filter per list (issue 16 §5): the page and the API of a list read the same parameters
the same way, so they show the same rows; a value neither understands is a Chinese 422 on the
API and a Chinese message over an empty list on the page.

Rows are compared through real requests: the page's rows by the links they carry, the API's
by their ids.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from avrecords.access import requests as access_requests
from avrecords.access.models import AccessRequest
from avrecords.cases import services as cases
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Finding
from avrecords.org.models import Role
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.supervision import campaigns
from avrecords.supervision.campaigns import CampaignInput
from tests.conftest import client_for
from tests.rows import make

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")


def linked_ids(html: str, name: str) -> list[int]:
    """The ids of the rows linking to the named detail page, in page order, once each."""
    pattern = re.escape(reverse(name, args=[999999999])).replace("999999999", r"(\d+)")
    return list(dict.fromkeys(int(pk) for pk in re.findall(pattern, html)))


def page_of(client, url: str, params: dict) -> str:
    answer = client.get(url, params)
    assert answer.status_code == 200
    return answer.content.decode()


def api_of(client, url: str, params: dict) -> list[dict]:
    answer = client.get(url, params)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    return body["results"] if isinstance(body, dict) else body


def assert_refused_alike(client, page_url, api_url, params, name):
    """The API answers 422 naming the parameter in Chinese; the page says why and lists
    nothing."""
    api = client.get(api_url, params)
    assert api.status_code == 422
    body = api.json()
    assert body["detail"].startswith("参数无效：") and name in body["detail"]
    assert body["errors"]
    page = client.get(page_url, params)
    assert page.status_code == 200
    html = page.content.decode()
    # the page names the field as its label shows it, never the parameter (issue 17 §7)
    assert "应为" in html and f"{name} 应为" not in html and "messages" in html
    return html


# --- cases -----------------------------------------------------------------------------------


def _case(org, user, number, **changes):
    values = {
        "number": number,
        "title": "某超市销售过期食品案",
        "case_type": "penalty",
        "unit": org.squad1,
        "opened_on": dt.date(2026, 11, 2),
        "party": "某超市",
        "leader": org.leader,
    }
    values.update(changes)
    return cases.open_case(user, cases.CaseInput(**values))


@pytest.fixture
def some_cases(org):
    policies.assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    first = _case(org, org.admin, "榕市监罚〔2026〕12号")
    second = _case(
        org, org.other_admin, "榕市监检〔2026〕1号", unit=org.squad2, case_type="inspection"
    )
    third = _case(org, org.admin, "榕市监罚〔2026〕13号", party="某药店")
    cases.close_case(org.admin, third)
    return first, second, third


@pytest.mark.parametrize(
    "page_params, api_params",
    [
        ({}, {}),
        ({"status": "closed"}, {"status": "closed"}),
        ({"type": "inspection"}, {"case_type": "inspection"}),
        ({"q": "药店"}, {"q": "药店"}),
        ({"q": "监检", "status": "open"}, {"q": "监检", "status": "open"}),
    ],
)
def test_the_case_list_shows_the_same_cases_on_the_page_and_in_the_api(
    org, some_cases, page_params, api_params
):
    client = client_for(org.bureau_admin)
    unit = {"unit": org.squad2.pk} if page_params.get("type") else {}
    page = linked_ids(page_of(client, "/cases/", {**page_params, **unit}), "cases:detail")
    api = [c["id"] for c in api_of(client, "/api/v1/cases", {**api_params, **unit})]
    assert page == api
    assert page  # every case above matches something


def test_a_bad_case_filter_is_refused_alike(org, some_cases):
    client = client_for(org.bureau_admin)
    html = assert_refused_alike(client, "/cases/", "/api/v1/cases", {"status": "lost"}, "status")
    assert linked_ids(html, "cases:detail") == []


# --- compliance: findings and activities ----------------------------------------------------


def _activity(org, day, *, kind="on_site_inspection", external_ref=""):
    start = dt.datetime(2026, 9, day, 10, tzinfo=BEIJING)
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind=kind,
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            officers=[org.officer],
            external_ref=external_ref,
        ),
    )
    evaluate_activity(activity)
    return activity


@pytest.fixture
def activities(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    seizure = _activity(org, 1, kind="seal_seizure", external_ref="TB-1")
    inspection = _activity(org, 2, external_ref="TB-2")
    other = _activity(org, 3, kind="seal_seizure")
    Finding.objects.filter(activity=other).update(status="resolved")
    return seizure, inspection, other


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "seal_seizure"},
        {"open": "1"},
        {"kind": "seal_seizure", "open": "1"},
        {"external_ref": "TB-2"},
    ],
)
def test_the_activity_list_shows_the_same_activities_on_the_page_and_in_the_api(
    org, activities, params
):
    client = client_for(org.admin)
    page = linked_ids(page_of(client, "/activities/", params), "compliance:activity")
    api = [a["id"] for a in api_of(client, "/api/v1/activities", params)]
    assert page == api


def test_a_bad_activity_filter_is_refused_alike(org, activities):
    client = client_for(org.admin)
    html = assert_refused_alike(
        client, "/activities/", "/api/v1/activities", {"open": "maybe"}, "open"
    )
    assert linked_ids(html, "compliance:activity") == []


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "all"}, {"status": "resolved"}, {"status": "all", "kind": "missing"}],
)
def test_the_finding_list_shows_the_same_findings_on_the_page_and_in_the_api(
    org, activities, params
):
    assert Finding.objects.filter(activity__isnull=False).count() >= 2
    client = client_for(org.admin)
    # A finding's row links to its activity (the findings here are one per activity).
    page = linked_ids(page_of(client, "/findings/", params), "compliance:activity")
    api = list(dict.fromkeys(f["activity_id"] for f in api_of(client, "/api/v1/findings", params)))
    assert page == api


def test_a_bad_finding_filter_is_refused_alike(org, activities):
    client = client_for(org.admin)
    html = assert_refused_alike(
        client, "/findings/", "/api/v1/findings", {"status": "all", "kind": "bogus"}, "kind"
    )
    assert linked_ids(html, "compliance:activity") == []


# --- access requests -------------------------------------------------------------------------


@pytest.fixture
def asked(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    org.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.bureau)
    rec = make(org, "DSJ_0001.MP4", officer=org.officer2)
    ask = access_requests.Ask
    view = access_requests.submit(
        org.supervisor, ask(kind="view", reason="案情研判需要", days=3, recordings=[rec])
    )
    copy = access_requests.submit(
        org.supervisor, ask(kind="copy", reason="移送需要", days=3, recordings=[rec])
    )
    own = access_requests.submit(
        org.admin, ask(kind="view", reason="复核", days=3, recordings=[rec])
    )
    return view, copy, own


@pytest.mark.parametrize(
    "params",
    [
        {"tab": "mine"},
        {"tab": "all"},
        {"tab": "all", "kind": "copy"},
        {"tab": "approve"},
        {"tab": "all", "status": "pending"},
    ],
)
def test_the_request_list_shows_the_same_requests_on_the_page_and_in_the_api(org, asked, params):
    assert AccessRequest.objects.count() == 3
    for user in (org.admin, org.supervisor, org.leader):
        client = client_for(user)
        page = linked_ids(page_of(client, "/access/", params), "access:detail")
        api = [r["id"] for r in api_of(client, "/api/v1/access-requests", params)]
        assert page == api, (user, params)


def test_mine_in_the_api_is_the_pages_own_tab(org, asked):
    client = client_for(org.supervisor)
    page = linked_ids(page_of(client, "/access/", {}), "access:detail")
    api = [r["id"] for r in api_of(client, "/api/v1/access-requests", {"mine": "true"})]
    assert page == api
    assert set(page) == {r.pk for r in asked[:2]}


def test_a_bad_request_filter_is_refused_alike(org, asked):
    client = client_for(org.supervisor)
    html = assert_refused_alike(
        client, "/access/", "/api/v1/access-requests", {"tab": "all", "kind": "steal"}, "kind"
    )
    assert linked_ids(html, "access:detail") == []


# --- supervision: campaigns ------------------------------------------------------------------


@pytest.fixture
def some_campaigns(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    org.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1)

    def make_campaign(kind):
        return campaigns.create_campaign(
            org.supervisor,
            CampaignInput(
                kind=kind,
                title="2026年9月音像记录抽查",
                period_start=dt.date(2026, 9, 1),
                period_end=dt.date(2026, 9, 30),
                units=[org.squad1],
            ),
        )

    return make_campaign("spot_check"), make_campaign("annual_review")


@pytest.mark.parametrize(
    "params", [{}, {"kind": "spot_check"}, {"kind": "annual_review"}, {"status": "draft"}]
)
def test_the_campaign_list_shows_the_same_campaigns_on_the_page_and_in_the_api(
    org, some_campaigns, params
):
    client = client_for(org.supervisor)
    page = linked_ids(page_of(client, "/supervision/campaigns/", params), "supervision:campaign")
    api = [c["id"] for c in api_of(client, "/api/v1/campaigns", params)]
    assert page == api


def test_a_bad_campaign_filter_is_refused_alike(org, some_campaigns):
    client = client_for(org.supervisor)
    html = assert_refused_alike(
        client, "/supervision/campaigns/", "/api/v1/campaigns", {"status": "gone"}, "status"
    )
    assert linked_ids(html, "supervision:campaign") == []


# --- recordings ------------------------------------------------------------------------------


@pytest.fixture
def some_recordings(org):
    return [
        make(org, "DSJ_0001.MP4", party="恒达贸易"),
        make(org, "DSJ_0002.JPG", media_kind="photo", at=(2026, 11, 21, 9, 0)),
        make(org, "DSJ_0003.MP4", officer=org.other_officer, at=(2026, 11, 22, 9, 0)),
        make(org, "DSJ_0004.MP4", needs_assignment=True, at=(2026, 11, 23, 9, 0)),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"media_kind": "photo"},
        {"date_from": "2026-11-21", "date_to": "2026-11-22"},
        {"party": "恒达"},
        {"needs_assignment": "1"},
        {"needs_assignment": "0"},
        {"q": "DSJ_0003"},
    ],
)
def test_the_recording_list_shows_the_same_recordings_on_the_page_and_in_the_api(
    org, some_recordings, params
):
    client = client_for(org.bureau_admin)
    page = linked_ids(page_of(client, "/recordings/", params), "recordings:detail")
    api = [r["id"] for r in api_of(client, "/api/v1/recordings", params)]
    assert page == api
    assert page


def test_a_bad_recording_filter_is_refused_alike(org, some_recordings):
    client = client_for(org.bureau_admin)
    html = assert_refused_alike(
        client, "/recordings/", "/api/v1/recordings", {"media_kind": "hologram"}, "media_kind"
    )
    assert linked_ids(html, "recordings:detail") == []


# --- retention: holds, disposal lists, destruction records -----------------------------------


@pytest.fixture
def retained(org):
    from avrecords.retention import holds
    from avrecords.retention.models import DisposalList, DisposalStatus
    from tests.test_retention_pages import _case as retention_case
    from tests.test_retention_pages import _classified, _purged

    policies.assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    archivist = org._user("dangan", "何静", Role.ARCHIVIST, org.bureau)
    one, two = _classified(org, "A.MP4"), _classified(org, "B.MP4")
    case = retention_case(org, "桐市监罚〔2026〕21号", [one, two])
    placed = [
        holds.place(org.admin, kind="complaint", reason="当事人投诉", case=case),
        holds.place(org.admin, kind="petition", reason="信访", case=case),
    ]
    holds.request_release(org.admin, placed[1], "已办结")
    for n, status in enumerate((DisposalStatus.REVIEW, DisposalStatus.SUBMITTED)):
        DisposalList.objects.create(
            number=f"QC-20261101-00{n}", unit=org.squad1, profile_code="tongbai", status=status
        )
    _purged(org, one, org.leader, archivist)
    return archivist


@pytest.mark.parametrize("params", [{}, {"status": "active"}, {"status": "release_pending"}])
def test_the_hold_list_shows_the_same_holds_on_the_page_and_in_the_api(org, retained, params):
    client = client_for(org.bureau_admin)
    page = linked_ids(page_of(client, "/retention/holds/", params), "retention:hold")
    api = [h["id"] for h in api_of(client, "/api/v1/holds", params)]
    assert page == api
    assert page


@pytest.mark.parametrize("params", [{}, {"status": "review"}, {"status": "submitted"}])
def test_the_disposal_list_shows_the_same_lists_on_the_page_and_in_the_api(org, retained, params):
    client = client_for(org.bureau_admin)
    page = linked_ids(page_of(client, "/retention/disposals/", params), "retention:disposal")
    api = [d["id"] for d in api_of(client, "/api/v1/disposals", params)]
    assert page == api
    assert page


@pytest.mark.parametrize(
    "page_params, api_params",
    [
        ({}, {}),
        ({"q": "A.MP4"}, {"q": "A.MP4"}),
        ({"q": "一般执法"}, {"q": "一般执法"}),  # the category: the API did not search it
        ({"q": "B.MP4"}, {"q": "B.MP4"}),
        ({"from": "2020-01-01", "to": "2099-12-31"}, {"purged_from": "2020-01-01"}),
        ({"to": "2020-01-01"}, {"purged_to": "2020-01-01"}),
    ],
)
def test_the_destruction_records_are_the_same_on_the_page_and_in_the_api(
    org, retained, page_params, api_params
):
    client = client_for(org.bureau_admin)
    html = page_of(client, "/retention/records/", page_params)
    page = linked_ids(html, "retention:record_pdf")
    api = [r["id"] for r in api_of(client, "/api/v1/destruction-records", api_params)]
    assert sorted(page) == sorted(api)
    assert bool(page) == (page_params.get("q") != "B.MP4" and page_params.get("to") != "2020-01-01")


@pytest.mark.parametrize(
    "page_url, api_url",
    [("/retention/holds/", "/api/v1/holds"), ("/retention/disposals/", "/api/v1/disposals")],
)
def test_a_bad_retention_status_is_refused_alike(org, retained, page_url, api_url):
    client = client_for(org.bureau_admin)
    assert_refused_alike(client, page_url, api_url, {"status": "forgotten"}, "status")


def test_a_bad_destruction_record_date_is_refused_alike(org, retained):
    client = client_for(org.bureau_admin)
    api = client.get("/api/v1/destruction-records", {"purged_from": "2026-13-01"})
    assert api.status_code == 422 and api.json()["detail"].startswith("参数无效")
    page = client.get("/retention/records/", {"from": "2026-13-01"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "清除日期自应为日期" in html
    assert linked_ids(html, "retention:record_pdf") == []


# --- supervision: the activities to review ---------------------------------------------------


@pytest.fixture
def review_world(org):
    from tests.test_supervision_review import world

    return world.__wrapped__(org)


@pytest.mark.parametrize(
    "page_params, api_params",
    [
        ({}, {}),
        ({"findings": "1"}, {"has_findings": "true"}),
        ({"findings": "0"}, {"has_findings": "false"}),
        ({"kind": "sampling"}, {"kind": "sampling"}),
        ({"date_from": "2026-03-11", "date_to": "2026-04-30"}, None),
    ],
)
def test_the_review_list_shows_the_same_activities_on_the_page_and_in_the_api(
    org, review_world, page_params, api_params
):
    api_params = page_params if api_params is None else api_params
    client = client_for(org.leader)
    page = linked_ids(page_of(client, "/supervision/review/", page_params), "supervision:review")
    api = [a["id"] for a in api_of(client, "/api/v1/supervision/review/activities", api_params)]
    assert page == api
    assert page


def test_a_bad_review_filter_is_refused_alike(org, review_world):
    client = client_for(org.leader)
    params = {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    api = client.get("/api/v1/supervision/review/activities", params)
    assert api.status_code == 422 and "截止日期早于起始日期" in api.json()["detail"]
    page = client.get("/supervision/review/", params)
    assert page.status_code == 400 and "截止日期早于起始日期" in page.content.decode()
    assert linked_ids(page.content.decode(), "supervision:review") == []


# --- supervision: the violation register (already one filter: violations.read_filter) -------


@pytest.fixture
def registered(org):
    from avrecords.supervision import violations

    policies.assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="chengde"))
    org.supervisor = org._user("jiandu", "刘监督", Role.SUPERVISOR, org.squad1)

    def entry(**changes):
        values = {"kind": "lent", "unit": org.squad1, "person": org.officer, "summary": "借给他人"}
        values.update(changes)
        return violations.report(org.supervisor, violations.ViolationInput(**values))

    lent = entry()
    other = entry(kind="leaked", person=org.officer2, summary="外传视频")
    violations.decide(org.supervisor, other, confirm=False, reason="查无实据")
    return lent, other


@pytest.mark.parametrize(
    "params", [{}, {"status": "open"}, {"kind": "leaked"}, {"person": "王芳"}, {"source": "auto"}]
)
def test_the_violation_register_is_the_same_on_the_page_and_in_the_api(org, registered, params):
    client = client_for(org.supervisor)
    html = page_of(client, "/supervision/violations/", params)
    page = linked_ids(html, "supervision:violation")
    api = [v["id"] for v in api_of(client, "/api/v1/violations", params)]
    assert page == api
    assert bool(page) == (params.get("source") != "auto")
