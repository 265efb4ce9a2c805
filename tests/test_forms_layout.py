"""Forms as people fill them in (issue 17 §7): one stacked layout with help under each field
and errors under the field they concern; a required choice starts with nothing chosen and
posting without one is refused in Chinese, storing nothing; an exemption's legal basis comes
from the chosen ground, never typed."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from avrecords.access.models import AccessRequest
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Activity, Exemption, Explanation
from avrecords.equipment.models import DeviceEvent
from avrecords.org.models import Role
from avrecords.policies import citations
from avrecords.policies import services as policies
from avrecords.policies.models import HolidayOverride, PolicyProfile
from avrecords.policies.services import profile_for_unit
from avrecords.supervision.models import Campaign
from tests.conftest import client_for
from tests.rows import make

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def first_option(page: str, name: str) -> str:
    """The first <option> of the <select name=…>, as the browser preselects it."""
    select = re.search(rf'<select name="{name}"[^>]*>\s*(<option[^>]*>[^<]*)', page)
    assert select, f"no select {name}"
    return select.group(1)


def assert_starts_empty(page: str, name: str) -> None:
    option = first_option(page, name)
    assert 'value=""' in option and "请选择" in option, option


@pytest.fixture
def seizure(org) -> Activity:
    """A tongbai seizure by 张伟 that nothing recorded: he owes a work record."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="seal_seizure",
            started_at=t("2026-11-20T14:00:00"),
            ended_at=t("2026-11-20T14:40:00"),
            officers=[org.officer],
        ),
    )
    evaluate_activity(activity)
    return activity


def test_the_activity_form_is_grouped_with_help_under_each_field(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    page = client_for(org.officer).get("/activities/new").content.decode()
    assert 'class="card form-stack"' in page
    legends = re.findall(r"<legend>([^<]+)</legend>", page)
    assert legends == ["基本信息", "当事人与地点", "执法人员", "记录情况"]
    labels = page.count("<label")
    assert page.count('<small class="help">') >= labels - 1  # 计划结束 shares 计划开始's help
    assert 'size="50"' not in page and "<br>" not in page.split("<form", 1)[1]
    assert_starts_empty(page, "kind")


def test_a_wrong_field_shows_its_error_under_it_and_nothing_is_stored(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    response = client_for(org.admin).post(
        "/activities/new",
        {
            "unit": org.squad1.code,
            "kind": "on_site_inspection",
            "started_at": "2026-11-20T10:00",
            "ended_at": "2026-11-20T09:00",
            "officers": [org.officer.badge_no],
        },
    )
    page = response.content.decode()
    assert response.status_code == 422 and not Activity.objects.exists()
    ended = page.index('name="ended_at"')
    field = page[ended : page.index("</label>", ended)]
    assert '<small class="errorlist">结束时间早于开始时间</small>' in field


def test_posting_an_activity_without_a_kind_is_refused_in_chinese(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    response = client_for(org.admin).post(
        "/activities/new",
        {
            "unit": org.squad1.code,
            "kind": "",
            "started_at": "2026-11-20T09:00",
            "ended_at": "2026-11-20T10:00",
            "officers": [org.officer.badge_no],
        },
    )
    page = response.content.decode()
    kind = page.index('name="kind"')
    assert response.status_code == 422 and not Activity.objects.exists()
    assert "errorlist" in page[kind : page.index("</label>", kind)]


def test_the_exemption_basis_comes_from_the_chosen_ground(org, seizure):
    officer = client_for(org.officer)
    page = officer.get(f"/activities/{seizure.pk}/").content.decode()
    assert_starts_empty(page, "ground")
    assert 'name="basis"' not in page  # nothing to type
    profile = profile_for_unit(seizure.unit)
    ground = profile.exemptions.grounds[0]
    expected = citations.legal_basis(profile, ground.cite)
    assert f'data-basis="{expected}"' in page and "exemption.js" in page
    officer.post(
        f"/activities/{seizure.pk}/exemption",
        {"ground": ground.code, "reason": "设备故障无法开机", "basis": "随便写的依据"},
    )
    exemption = Exemption.objects.get(activity=seizure)
    assert exemption.legal_basis == expected and profile.document in expected
    assert f"依据：{expected}" in officer.get(f"/activities/{seizure.pk}/").content.decode()


def test_an_exemption_without_a_ground_is_refused_in_chinese(org, seizure):
    officer = client_for(org.officer)
    response = officer.post(
        f"/activities/{seizure.pk}/exemption",
        {"ground": "", "reason": "设备故障无法开机"},
        follow=True,
    )
    assert "请选择策略规定的免予记录情形" in response.content.decode()
    assert not Exemption.objects.exists()


def test_an_explanation_without_a_reason_is_refused_in_chinese(org, gap):
    officer = client_for(org.officer)
    page = officer.get("/todo/").content.decode()
    assert_starts_empty(page, "reason")
    response = officer.post(
        f"/findings/{gap.pk}/explain", {"reason": "", "text": "电量耗尽，更换电池"}, follow=True
    )
    assert "请选择策略规定的中断原因" in response.content.decode()
    assert not Explanation.objects.exists()


def test_a_mark_request_without_a_mark_is_refused_in_chinese(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    recording = make(org, "mark.mp4")
    admin = client_for(org.admin)
    url = f"/access/new?kind=mark&recording={recording.pk}"
    assert "请选择……" in admin.get(url).content.decode()
    response = admin.post(
        "/access/new", {"kind": "mark", "recording": recording.pk, "reason": "涉及个人隐私"}
    )
    assert response.status_code == 400 and "请选择密级" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_device_event_without_a_kind_is_refused(org):
    admin = client_for(org.admin)
    page = admin.get(f"/equipment/devices/{org.camera.pk}/").content.decode()
    assert_starts_empty(page, "kind")
    before = DeviceEvent.objects.count()
    response = admin.post(
        f"/equipment/devices/{org.camera.pk}/event", {"kind": "", "note": "说明"}, follow=True
    )
    assert DeviceEvent.objects.count() == before
    assert re.search(r"[\u4e00-\u9fff]", response.content.decode().split("messages", 1)[-1])


def test_a_campaign_without_a_kind_is_refused(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    supervisor = client_for(org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1))
    assert_starts_empty(supervisor.get("/supervision/campaigns/new").content.decode(), "kind")
    supervisor.post(
        "/supervision/campaigns/new",
        {
            "kind": "",
            "title": "抽查",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "units": [org.squad1.pk],
        },
    )
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("cite", "text"),
    [
        ("001§6(3)", "第六条第（三）项"),
        ("004§19(3)1", "第十九条第（三）项第1目"),
        ("000§13,000§14", "第十三条、第十四条"),
        ("002§20", "第二十条"),
        ("002§105", "第一百零五条"),
        ("002§110", "第一百一十条"),
    ],
)
def test_an_article_reference_reads_as_people_cite_it(cite, text):
    assert citations.article_text(cite) == text


def test_a_calendar_day_without_an_arrangement_is_refused_in_chinese(org):
    admin = client_for(org.sysadmin)
    assert_starts_empty(admin.get("/policies/calendar").content.decode(), "workday")
    response = admin.post("/policies/calendar", {"day": "2027-01-05", "name": "调休"}, follow=True)
    assert "请选择安排" in response.content.decode()
    assert not HolidayOverride.objects.filter(day=dt.date(2027, 1, 5)).exists()


def test_django_s_own_form_texts_are_chinese_whatever_the_browser_asks_for(org):
    officer = client_for(org.officer)
    page = officer.get("/account/password/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = page.content.decode()
    assert "Your password" not in text and "密码" in text
    response = officer.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    errors = re.findall(r'<small class="errorlist">([^<]+)</small>', response.content.decode())
    assert errors and not any(re.search(r"[A-Za-z]{4,}", e) for e in errors), errors


def fields_with_errors(page: str, names) -> list[str]:
    """Those of the named fields of the page's form that show an error under them."""
    form = page[page.index('class="card form-stack"') :]
    shown = []
    for name in names:
        start = form.index(f'name="{name}"')
        if '<small class="errorlist">' in form[start : form.index("</label>", start)]:
            shown.append(name)
    return shown


def test_a_device_s_wrong_fields_show_their_errors_under_them(org):
    response = client_for(org.admin).post(
        "/equipment/devices/new",
        {"serial": "3501009", "kind": "", "unit": org.squad1.code, "storage_gb": "很多"},
    )
    assert response.status_code == 422
    names = ["kind", "storage_gb", "serial"]
    assert fields_with_errors(response.content.decode(), names) == ["kind", "storage_gb"]


def test_a_case_s_wrong_fields_show_their_errors_under_them(org):
    response = client_for(org.admin).post(
        "/cases/new", {"number": "", "title": "", "case_type": "", "unit": org.squad1.pk}
    )
    assert 400 <= response.status_code < 500
    names = ["number", "title", "case_type", "party"]
    assert fields_with_errors(response.content.decode(), names) == ["number", "title", "case_type"]
