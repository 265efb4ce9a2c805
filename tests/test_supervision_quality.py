"""S2 (001§26, 004§22; the annual 执法质量考评): quality scores per officer, unit and month,
checked against hand-computed figures; the dashboard's charts; the Excel and PDF reports; the
scores API; who may see them."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import (
    Activity,
    ActivityRecording,
    Finding,
    FindingKind,
    FindingStatus,
)
from avrecords.org.models import Role
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.supervision import charts
from avrecords.supervision.models import Campaign, Sample, Score
from avrecords.supervision.quality import Period, Weights, read_period, score
from tests.conftest import client_for
from tests.rows import make
from tests.test_equipment_registry import pdf_text_and_fonts

BEIJING = ZoneInfo("Asia/Shanghai")
YEAR = "start=2026-01-01&end=2026-12-31"
CUSTOM = "ceshi"  # squad 2's profile: w 0.5, late 10, gap 5, missing 50


# --- the formula over plain numbers -------------------------------------------------------


def test_it_scores_a_unit_from_its_spot_checks_and_findings():
    """Default weights (w 0.6; late 20, gap 20, missing 40). 10 activities, 2 late, 3 gaps,
    1 missing, spot-check scores 80, 90, 100:
    deduction = (2×20 + 3×20 + 1×40) / 10 = 140 / 10 = 14; automatic = 100 − 14 = 86;
    spot = (80 + 90 + 100) / 3 = 90; quality = 0.6 × 90 + 0.4 × 86 = 54 + 34.4 = 88.4;
    late rate = 2 / 10 = 0.2."""
    f = score(activities=10, late=2, gaps=3, missing=1, spot_scores=[80, 90, 100])
    assert f.deduction == pytest.approx(14)
    assert f.automatic == pytest.approx(86)
    assert f.spot_mean == pytest.approx(90)
    assert f.quality == pytest.approx(88.4)
    assert f.late_rate == pytest.approx(0.2)
    assert f.spot_count == 3


def test_it_scores_on_findings_alone_without_spot_checks():
    """4 activities, 1 late, 0 gaps, 1 missing, no spot check:
    deduction = (1×20 + 0×20 + 1×40) / 4 = 60 / 4 = 15; automatic = 85 = quality."""
    f = score(activities=4, late=1, gaps=0, missing=1)
    assert (f.automatic, f.quality, f.spot_mean) == (pytest.approx(85), pytest.approx(85), None)


def test_it_never_takes_the_automatic_score_below_zero():
    """1 activity, 1 late, 3 gaps, 1 missing, one score of 50:
    deduction = (20 + 60 + 40) / 1 = 120; automatic = max(0, 100 − 120) = 0;
    quality = 0.6 × 50 + 0.4 × 0 = 30."""
    f = score(activities=1, late=1, gaps=3, missing=1, spot_scores=[50])
    assert (f.automatic, f.quality) == (0, pytest.approx(30))


def test_it_uses_the_profiles_weights():
    """w 0.5, late 10, gap 5, missing 50. 5 activities, 1 late, 2 gaps, 0 missing, score 70:
    deduction = (1×10 + 2×5 + 0×50) / 5 = 20 / 5 = 4; automatic = 96;
    quality = 0.5 × 70 + 0.5 × 96 = 35 + 48 = 83."""
    weights = Weights(0.5, 10, 5, 50)
    f = score(activities=5, late=1, gaps=2, missing=0, spot_scores=[70], weights=weights)
    assert (f.automatic, f.quality) == (pytest.approx(96), pytest.approx(83))


def test_it_gives_no_score_to_a_group_without_activities():
    f = score(activities=0, late=0, gaps=0, missing=0)
    assert (f.automatic, f.quality, f.late_rate) == (None, None, None)


def test_it_reads_the_period_and_defaults_to_this_year():
    today = dt.date(2026, 5, 20)
    assert read_period({}, today) == (Period(dt.date(2026, 1, 1), today), [])
    assert read_period({"start": "2025-01-01"}, today)[0] == Period(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    )
    period, errors = read_period({"start": "2026-05-01", "end": "2026-04-01"}, today)
    assert errors == ["截止日期早于起始日期"] and period.start == dt.date(2026, 1, 1)
    assert read_period({"start": "昨天"}, today)[1] == ["起始日期：应为日期，如 2026-01-01"]
    assert read_period({"start": "2010-01-01", "end": "2026-01-01"}, today)[1]


# --- through the database -----------------------------------------------------------------


def at(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BEIJING)


def activity(org, unit, officers, start: dt.datetime, **extra) -> Activity:
    a = Activity.objects.create(
        unit=unit,
        kind="on_site_inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        source="web",
        created_by=org.admin,
        **extra,
    )
    a.officers.set(officers)
    return a


def finding(a: Activity, kind: str, status: str = FindingStatus.OPEN, officer=None, rec=None):
    return Finding.objects.create(
        key=f"{kind}:{a.pk}:{Finding.objects.count()}",
        kind=kind,
        status=status,
        unit=a.unit,
        officer=officer,
        activity=None if kind == FindingKind.LATE_INGEST else a,
        recording=rec,
        summary=f"测试：{kind}",
    )


def late(org, a: Activity, name: str, officer, status: str = FindingStatus.OPEN):
    """A recording linked to the activity and ingested late (the finding is the recording's)."""
    rec = make(org, name, officer=officer, unit=a.unit, at=a.started_at.timetuple()[:5])
    ActivityRecording.objects.create(activity=a, recording=rec, origin="auto")
    finding(a, FindingKind.LATE_INGEST, status, officer, rec)
    return rec


def scored(org, a: Activity, total: float, reviewer) -> Score:
    campaign, _ = Campaign.objects.get_or_create(
        number=f"CC-TEST-{a.unit_id}",
        defaults={
            "kind": "spot_check",
            "title": "2026年度抽查",
            "period_start": dt.date(2026, 1, 1),
            "period_end": dt.date(2026, 12, 31),
            "ratio": 0.5,
            "seed": 1,
            "profile_code": "tongbai",
            "created_by": reviewer,
        },
    )
    sample = Sample.objects.create(
        campaign=campaign, activity=a, unit=a.unit, officer=a.officers.first(), order=a.pk
    )
    return Score.objects.create(sample=sample, reviewer=reviewer, total=total)


@pytest.fixture
def year(org):
    """A year of two squads. 一中队 (tongbai: w 0.6; late 20, gap 20, missing 40), officers
    张伟 (Z) and 王芳 (W, created after him: Z is an activity's first officer):

      A1 2026-03-10 [Z]     a recording ingested late (Z); scored 80
      A2 2026-03-20 [Z, W]  a gap (W, open), an uncovered stretch naming nobody (escalated:
                            charged to Z), a gap explained (not counted); scored 90
      A3 2026-04-05 [W]     missing recording (W, open)
      A4 2026-04-06 [W]     missing but exempted; a late ingest cleared (neither counts)
      A5 2025-12-31 23:30   [Z] missing — before the period (not counted)
      A6 2026-01-01 00:10   [Z] nothing found (16:10 UTC on the 31st: Beijing's date counts)

    二中队 (profile ceshi: w 0.5; late 10, gap 5, missing 50), officer 杨军 (Y):
      B1 2026-03-15 [Y]     two gaps (open); scored 70
      B2 2026-03-16 [Y]     nothing found
    """
    tongbai = PolicyProfile.objects.get(code="tongbai")
    policies.assign(None, org.bureau, tongbai)
    source = tongbai.source.replace("code: tongbai", f"code: {CUSTOM}").replace(
        "supervision:\n",
        "supervision:\n  quality: {spot_check_weight: 0.5, late_ingest_points: 10, "
        "unexplained_gap_points: 5, missing_recording_points: 50, note: 测试权重}\n",
    )
    policies.assign(None, org.squad2, policies.save_profile(None, source))
    org.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1)
    z, w, y = org.officer, org.officer2, org.other_officer
    a1 = activity(org, org.squad1, [z], at(2026, 3, 10, 9, 0), party="华兴贸易")
    late(org, a1, "a1.mp4", z)
    scored(org, a1, 80, org.supervisor)
    a2 = activity(org, org.squad1, [z, w], at(2026, 3, 20, 9, 0))
    finding(a2, FindingKind.GAP, officer=w)
    finding(a2, FindingKind.UNCOVERED, FindingStatus.ESCALATED)
    finding(a2, FindingKind.GAP, FindingStatus.EXPLAINED, officer=w)
    scored(org, a2, 90, org.supervisor)
    a3 = activity(org, org.squad1, [w], at(2026, 4, 5, 9, 0))
    finding(a3, FindingKind.MISSING, officer=w)
    a4 = activity(org, org.squad1, [w], at(2026, 4, 6, 9, 0))
    finding(a4, FindingKind.MISSING, FindingStatus.EXEMPTED, officer=w)
    late(org, a4, "a4.mp4", w, FindingStatus.CLEARED)
    a5 = activity(org, org.squad1, [z], at(2025, 12, 31, 23, 30))
    finding(a5, FindingKind.MISSING, officer=z)
    activity(org, org.squad1, [z], at(2026, 1, 1, 0, 10))
    b1 = activity(org, org.squad2, [y], at(2026, 3, 15, 9, 0), party="二中队当事人")
    finding(b1, FindingKind.GAP, officer=y)
    finding(b1, FindingKind.GAP, officer=y)
    scored(org, b1, 70, org.supervisor)
    activity(org, org.squad2, [y], at(2026, 3, 16, 9, 0))
    return org


def api(user, query: str) -> dict:
    response = client_for(user).get(f"/api/v1/supervision/quality?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def by_label(body: dict) -> dict[str, dict]:
    return {row["label"]: row["figures"] for row in body["rows"]}


def test_it_scores_each_unit_with_its_own_profile(year):
    """一中队: A1 A2 A3 A4 A6 = 5 activities; late 1 (A1); gaps 2 (A2's open gap and escalated
    stretch); missing 1 (A3); scores 80, 90.
    deduction = (1×20 + 2×20 + 1×40) / 5 = 100 / 5 = 20; automatic 80; spot 85;
    quality = 0.6 × 85 + 0.4 × 80 = 51 + 32 = 83.
    二中队 (w 0.5; gap 5): 2 activities, gaps 2, score 70.
    deduction = 2×5 / 2 = 5; automatic 95; quality = 0.5 × 70 + 0.5 × 95 = 82.5."""
    units = by_label(api(year.sysadmin, f"{YEAR}&by=unit"))
    one, two = units["执法一中队"], units["执法二中队"]
    assert (one["activities"], one["late"], one["gaps"], one["missing"]) == (5, 1, 2, 1)
    assert one["late_rate"] == pytest.approx(0.2)
    assert (one["automatic"], one["spot_mean"], one["quality"]) == (80, 85, pytest.approx(83))
    assert (two["activities"], two["gaps"], two["automatic"]) == (2, 2, 95)
    assert two["quality"] == pytest.approx(82.5)
    assert two["weights"]["spot_check_weight"] == 0.5


def test_it_charges_each_finding_to_the_officer_it_names(year):
    """张伟: A1 A2 A6 = 3; late 1 (A1); gaps 1 (A2's stretch naming nobody: its first officer);
    scores 80, 90. deduction = (20 + 20) / 3 = 40/3; automatic = 100 − 40/3 = 260/3 ≈ 86.67;
    quality = 0.6 × 85 + 0.4 × 260/3 = 51 + 104/3 = 257/3 ≈ 85.67.
    王芳: A2 A3 A4 = 3; gaps 1 (A2's open gap); missing 1 (A3); score 90.
    deduction = (20 + 40) / 3 = 20; automatic 80; quality = 0.6 × 90 + 0.4 × 80 = 86."""
    people = by_label(api(year.sysadmin, f"{YEAR}&by=officer"))
    zhang, wang = people["张伟"], people["王芳"]
    assert (zhang["activities"], zhang["late"], zhang["gaps"], zhang["missing"]) == (3, 1, 1, 0)
    assert zhang["automatic"] == pytest.approx(260 / 3)
    assert zhang["quality"] == pytest.approx(257 / 3)
    assert (wang["activities"], wang["late"], wang["gaps"], wang["missing"]) == (3, 0, 1, 1)
    assert (wang["automatic"], wang["quality"]) == (pytest.approx(80), pytest.approx(86))
    assert people["杨军"]["quality"] == pytest.approx(82.5)


def test_it_scores_each_month_of_the_period_by_local_dates(year):
    """January: A6 only (00:10 Beijing on the 1st) → 100. March: A1 A2 B1 B2 = 4; late 1;
    gaps 2 + 2 = 4; scores 80, 90, 70 (spot 80). Two activities each under tongbai and ceshi:
    the tie goes to the code first in order, ceshi (w 0.5; late 10, gap 5, missing 50).
    deduction = (1×10 + 4×5) / 4 = 30 / 4 = 7.5; automatic 92.5;
    quality = 0.5 × 80 + 0.5 × 92.5 = 40 + 46.25 = 86.25.
    April: A3 A4 = 2 (tongbai), missing 1: deduction 40 / 2 = 20 → 80.
    Months without activities: no score."""
    body = api(year.sysadmin, f"{YEAR}&by=month")
    months = {row["key"]: row["figures"] for row in body["rows"]}
    assert list(months) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert (months["2026-01"]["activities"], months["2026-01"]["quality"]) == (1, 100)
    march = months["2026-03"]
    assert (march["activities"], march["late"], march["gaps"], march["spot_count"]) == (4, 1, 4, 3)
    assert (march["automatic"], march["quality"]) == (92.5, pytest.approx(86.25))
    assert months["2026-04"]["quality"] == pytest.approx(80)
    assert months["2026-02"]["quality"] is None
    # All seven: late 1, gaps 4, missing 1 → (20 + 80 + 40) / 7 = 20 → 80; spot 80 → 80.
    assert (body["total"]["activities"], body["total"]["quality"]) == (7, pytest.approx(80))


def test_it_counts_only_the_supervisors_units(year):
    body = api(year.supervisor, f"{YEAR}&by=unit")
    assert list(by_label(body)) == ["执法一中队"]
    assert body["scope"] == "执法一中队"


def test_it_narrows_to_a_unit_and_refuses_one_outside_scope(year):
    body = api(year.sysadmin, f"{YEAR}&by=officer&unit={year.squad2.pk}")
    assert list(by_label(body)) == ["杨军"]
    response = client_for(year.supervisor).get(
        f"/api/v1/supervision/quality?{YEAR}&unit={year.squad2.pk}"
    )
    assert response.status_code == 422
    assert "不在您的监督范围内" in response.json()["detail"]


def test_the_api_refuses_other_roles_bad_periods_and_strangers(year):
    officer = client_for(year.officer).get("/api/v1/supervision/quality")
    assert officer.status_code == 403 and officer.json()["detail"].startswith("无权")
    assert client_for(year.admin).get("/api/v1/supervision/quality").status_code == 403
    backwards = client_for(year.leader).get(
        "/api/v1/supervision/quality?start=2026-05-01&end=2026-04-01"
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == "参数无效：截止日期早于起始日期"
    bad = client_for(year.leader).get("/api/v1/supervision/quality?by=week")
    assert bad.status_code == 422
    assert client_for(None).get("/api/v1/supervision/quality").status_code == 401


# --- the dashboard and its charts ---------------------------------------------------------


def test_the_trend_chart_is_svg_with_the_months_and_values():
    svg = charts.trend(
        ["1月", "2月", "3月"],
        [charts.Series("质量得分", [100, None, 78])],
        title="质量得分月度趋势",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for text in ("1月", "2月", "3月", "100.0", "78.0", "月份", "得分", "质量得分月度趋势"):
        assert text in svg
    assert "<polyline" not in svg  # 100 and 78 are not neighbours: no line across February


def test_the_unit_chart_escapes_names_and_says_when_there_is_nothing():
    svg = charts.bars([("<一中队>", 83.0), ("二中队", None)], title="各单位质量得分对比")
    assert "&lt;一中队&gt;" in svg and "<一中队>" not in svg
    assert "83.0" in svg and "无数据" in svg and "质量得分" in svg


def test_the_dashboard_shows_the_charts_and_tables(year):
    response = client_for(year.sysadmin).get(f"/supervision/?{YEAR}")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") == 2
    assert "3月" in body and "86.2" in body  # the trend (March: 86.25)
    assert "83.0" in body and "82.5" in body  # the units
    assert "85.7" in body  # 张伟: 257/3, to one decimal
    assert 'href="/supervision/campaigns/"' in body and 'href="/supervision/violations/"' in body


def test_the_dashboard_defaults_to_this_year(year):
    body = client_for(year.supervisor).get("/supervision/").content.decode()
    today = timezone.localdate()
    assert f'name="start" value="{today.year}-01-01"' in body
    assert f'name="end" value="{today:%Y-%m-%d}"' in body


def test_the_dashboard_shows_a_supervisor_only_his_units(year):
    body = client_for(year.supervisor).get(f"/supervision/?{YEAR}").content.decode()
    assert "执法一中队" in body and "执法二中队" not in body and "杨军" not in body


def test_the_dashboard_says_what_is_wrong_with_the_period(year):
    response = client_for(year.supervisor).get("/supervision/?start=2026-05-01&end=2026-04-01")
    assert response.status_code == 400
    assert "截止日期早于起始日期" in response.content.decode()


@pytest.mark.parametrize("who", ["officer", "admin"])
def test_the_dashboard_refuses_officers_and_administrators(year, who):
    response = client_for(getattr(year, who)).get("/supervision/")
    assert response.status_code == 403
    assert "无权查看执法监督" in response.content.decode()


# --- the reports --------------------------------------------------------------------------


def test_the_excel_report_has_a_row_per_unit_officer_and_month(year):
    client = client_for(year.sysadmin)  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    response = client.get(f"/supervision/report.xlsx?{YEAR}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按单位", "按执法人员", "按月份", "计算方法"]
    units = book["按单位"]
    assert "执法质量考评" in units["A1"].value and "2026-01-01 至 2026-12-31" in units["A1"].value
    rows = [[c.value for c in row] for row in units.iter_rows(min_row=3)]
    assert rows[0] == [1, "执法一中队", "某市市场监督管理局", 5, 1, 20, 2, 1, 2, 85, 80, 83]
    assert rows[1][1] == "执法二中队" and rows[1][-1] == 82.5
    assert rows[2][1] == "合计" and rows[2][3] == 7 and rows[2][-1] == 80
    people = {row[1].value: row[-1].value for row in book["按执法人员"].iter_rows(min_row=3)}
    assert people == {"张伟": 85.7, "王芳": 86, "杨军": 82.5}
    months = {row[1].value: row[-1].value for row in book["按月份"].iter_rows(min_row=3)}
    assert list(months) == [f"2026年{m}月" for m in range(1, 13)]
    assert (months["2026年3月"], months["2026年2月"]) == (86.2, "—")  # February: no activities
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert (entry.action, entry.actor_id) == ("supervision.report_export", year.sysadmin.pk)
    assert entry.detail["format"] == "xlsx" and entry.detail["activities"] == 7


def test_the_pdf_report_is_a_pdf_with_the_chinese_font(year):
    client = client_for(year.supervisor)  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    response = client.get(f"/supervision/report.pdf?{YEAR}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text, fonts = pdf_text_and_fonts(response.content)
    assert any(b"NotoSansCJK" in name for name in fonts), fonts
    assert "执法质量考评" in text and "执法一中队" in text
    assert (
        AuditEntry.objects.filter(seq__gt=before, action="supervision.report_export").count() == 1
    )


def test_an_export_with_a_bad_period_goes_back_to_the_dashboard_unaudited(year):
    client = client_for(year.supervisor)  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    response = client.get("/supervision/report.xlsx?start=x")
    assert response.status_code == 302 and response["Location"].startswith("/supervision/?")
    assert not AuditEntry.objects.filter(seq__gt=before).exists()


def test_an_officer_cannot_export_the_report(year):
    assert client_for(year.officer).get("/supervision/report.pdf").status_code == 403
