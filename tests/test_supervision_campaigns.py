"""S2, S3: spot-check campaigns — creating one, drawing its sample (audited with the seed),
rechecking the draw, scoring samples on the profile's checklist with timed notes, closing;
the year's review reminder; and role and scope on every step, pages and API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.org.models import Role
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.supervision import campaigns, scoring
from avrecords.supervision.campaigns import CampaignError, CampaignInput
from avrecords.supervision.models import Campaign, CampaignStatus, Sample
from avrecords.supervision.scoring import NoteInput, ScoreError, ScoreInput
from tests.conftest import client_for, with_menu_counts
from tests.rows import grant, make

BEIJING = ZoneInfo("Asia/Shanghai")
SEPTEMBER = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
TONGBAI_ITEMS = [
    "recorded_as_required",
    "continuous",
    "notice_and_credentials",
    "times_match_documents",
    "stored_in_time",
]


@pytest.fixture
def world(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    org.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1)
    org.supervisor2 = org._user("jiandu2", "二中队监督员", Role.SUPERVISOR, org.bureau)
    org.supervisor2.supervised_units.set([org.squad2])
    return org


def activity(org, day: int, hour: int = 10, *, officers=None, unit=None, kind="on_site_inspection"):
    start = dt.datetime(2026, 9, day, hour, tzinfo=BEIJING)
    return acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=unit or org.squad1,
            kind=kind,
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            officers=officers or [org.officer],
        ),
    )


def campaign(org, *, user=None, units=None, ratio=None, kind="spot_check") -> Campaign:
    return campaigns.create_campaign(
        user or org.supervisor,
        CampaignInput(
            kind=kind,
            title="2026年9月音像记录抽查",
            period_start=SEPTEMBER[0],
            period_end=SEPTEMBER[1],
            units=units or [org.squad1],
            ratio=ratio,
        ),
    )


def drawn(org, *, ratio=1.0) -> tuple[Campaign, Sample]:
    """A drawn campaign over one seizure nothing recorded (a finding) with one sample."""
    seizure = activity(org, 12, kind="seal_seizure")
    evaluate_activity(seizure)
    c = campaign(org, ratio=ratio)
    campaigns.draw_sample(org.supervisor, c)
    return c, c.samples.get()


def verdicts(passed: int, codes=TONGBAI_ITEMS) -> dict[str, bool]:
    return {code: n < passed for n, code in enumerate(codes)}


def actions(obj) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# --- creating --------------------------------------------------------------------------------


def test_it_takes_the_ratio_and_its_article_from_the_first_units_profile(world):
    c = campaign(world)
    assert (c.ratio, c.profile_code, c.status) == (0.05, "tongbai", CampaignStatus.DRAFT)
    assert c.ratio_cite.startswith("000§22")
    assert 0 <= c.seed < 2**63
    assert actions(c) == ["supervision.create"]


def test_it_uses_the_ratio_the_supervisor_sets_and_says_who_set_it(world):
    c = campaign(world, ratio=0.25)
    assert c.ratio == 0.25
    assert c.ratio_cite == "由监督人员设定（规定默认 5%，000§22）"


@pytest.mark.parametrize("ratio", [0, -0.1, 1.5])
def test_it_refuses_a_ratio_outside_zero_to_one(world, ratio):
    with pytest.raises(CampaignError, match="抽样比例应大于 0% 且不超过 100%"):
        campaign(world, ratio=ratio)
    assert not Campaign.objects.exists()


def test_it_refuses_units_outside_the_supervisors_scope(world):
    with pytest.raises(CampaignError, match="“执法二中队”不在您的监督范围内"):
        campaign(world, units=[world.squad2])


def test_it_lets_only_supervisors_and_system_administrators_create_campaigns(world):
    with pytest.raises(CampaignError, match="无权组织抽查"):
        campaign(world, user=world.leader)
    assert campaign(world, user=world.sysadmin, units=[world.squad2]).units.get() == world.squad2


# --- drawing -----------------------------------------------------------------------------


def test_it_says_so_when_the_units_had_no_activities_in_the_period(world):
    activity(world, 12, unit=world.squad2, officers=[world.other_officer])  # not squad 1's
    c = campaign(world)
    with pytest.raises(CampaignError, match=campaigns.EMPTY_POPULATION):
        campaigns.draw_sample(world.supervisor, c)
    c.refresh_from_db()
    assert (c.status, c.samples.count()) == (CampaignStatus.DRAFT, 0)
    assert "supervision.draw" not in actions(c)


def test_it_shows_the_empty_population_on_the_campaign_page_with_400(world):
    c = campaign(world)
    response = client_for(world.supervisor).post(f"/supervision/campaigns/{c.pk}/draw")
    assert response.status_code == 400
    assert campaigns.EMPTY_POPULATION in response.content.decode()


def test_it_draws_a_stratified_sample_and_audits_the_seed(world):
    for day in range(1, 9):
        activity(world, day)  # 张伟: 8
    for day in range(1, 3):
        activity(world, day, 15, officers=[world.officer2])  # 王芳: 2
    c = campaign(world, ratio=0.3)
    result = campaigns.draw_sample(world.supervisor, c)
    c.refresh_from_db()
    samples = list(c.samples.order_by("order"))
    assert (c.status, c.population, len(samples), result.strata) == ("scoring", 10, 3, 2)
    assert {s.officer for s in samples} == {world.officer, world.officer2}
    entry = AuditEntry.objects.get(action="supervision.draw", object_id=str(c.pk))
    assert entry.actor_id == world.supervisor.pk
    assert entry.detail["seed"] == c.seed
    assert entry.detail["population"] == 10
    assert entry.detail["sampled"] == [s.activity_id for s in samples]


def test_it_counts_activities_by_their_beijing_date_both_ends_included(world):
    first = activity(world, 1, 0)  # 00:00 on 1 September in Beijing: 31 August in UTC
    last = activity(world, 30, 23)  # 23:00 on 30 September in Beijing
    october = acts.create_activity(
        world.admin,
        acts.ActivityInput(
            unit=world.squad1,
            kind="on_site_inspection",
            started_at=dt.datetime(2026, 10, 1, 0, 30, tzinfo=BEIJING),  # 30 September in UTC
            ended_at=dt.datetime(2026, 10, 1, 1, 30, tzinfo=BEIJING),
            officers=[world.officer],
        ),
    )
    ids = {i.activity_id for i in campaigns.population(world.supervisor, campaign(world))}
    assert ids == {first.pk, last.pk}
    assert october.pk not in ids


def test_it_draws_from_the_units_below_the_chosen_one(world):
    world.supervisor2.supervised_units.set([world.bureau])
    squad2 = activity(world, 3, unit=world.squad2, officers=[world.other_officer])
    c = campaign(world, user=world.supervisor2, units=[world.bureau], ratio=1.0)
    campaigns.draw_sample(world.supervisor2, c)
    assert list(c.samples.values_list("activity_id", "unit_id")) == [(squad2.pk, world.squad2.pk)]


def test_it_refuses_to_draw_a_second_time(world):
    c, sample = drawn(world)
    with pytest.raises(CampaignError, match="不能重新抽取"):
        campaigns.draw_sample(world.supervisor, c)
    assert list(c.samples.all()) == [sample]


# --- rechecking ----------------------------------------------------------------------------


def test_it_reproduces_the_sample_from_the_stored_seed(world):
    for day in range(1, 21):
        activity(world, day, officers=[world.officer if day % 3 else world.officer2])
    c = campaign(world, ratio=0.2)
    campaigns.draw_sample(world.supervisor, c)
    result = campaigns.redraw_check(world.leader, c)
    assert result.ok and result.seed_ok
    assert (
        result.expected
        == result.stored
        == list(c.samples.order_by("order").values_list("activity_id", flat=True))
    )
    assert "复核一致" in result.message
    assert actions(c)[-1] == "supervision.recheck"


def test_it_rechecks_against_the_population_of_the_draw_not_what_came_later(world):
    activity(world, 2)
    c = campaign(world, ratio=0.5)
    campaigns.draw_sample(world.supervisor, c)
    late = activity(world, 3)  # imported after the draw
    result = campaigns.redraw_check(world.supervisor, c)
    assert result.ok
    assert result.added_since == [late.pk]
    assert "新增 1 项" in result.message


def test_it_finds_a_sample_changed_after_the_draw(world):
    one, two = activity(world, 2), activity(world, 3)
    c = campaign(world, ratio=0.5)
    campaigns.draw_sample(world.supervisor, c)
    sample = c.samples.get()
    other = two if sample.activity_id == one.pk else one
    Sample.objects.filter(pk=sample.pk).update(activity=other)  # picked by hand
    result = campaigns.redraw_check(world.supervisor, c)
    assert not result.ok
    assert "复核不一致" in result.message


def test_it_refuses_to_recheck_a_campaign_not_drawn(world):
    with pytest.raises(CampaignError, match="尚未抽取样本"):
        campaigns.redraw_check(world.supervisor, campaign(world))


# --- scoring -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passed", "items", "expected"),
    [(4, 5, 80.0), (5, 5, 100.0), (0, 5, 0.0), (2, 3, 66.7), (1, 3, 33.3), (1, 16, 6.3)],
)
def test_it_computes_the_total_as_the_share_passed(passed, items, expected):
    assert scoring.total(passed, items) == expected


def test_it_scores_four_of_five_items_as_80(world):
    c, sample = drawn(world)
    data = ScoreInput(passed=verdicts(4), item_notes={"stored_in_time": "逾期三天"}, comment="较好")
    score = scoring.score_sample(world.supervisor, sample, data)
    assert score.total == 80.0
    assert [i["code"] for i in score.items] == TONGBAI_ITEMS
    assert score.items[-1] == {
        "code": "stored_in_time",
        "name": "按时存储、未私自复制",
        "cite": "000§17",
        "passed": False,
        "note": "逾期三天",
    }
    entry = AuditEntry.objects.get(action="supervision.score")
    assert (entry.object_id, entry.detail["total"], entry.detail["failed"]) == (
        str(sample.pk),
        80.0,
        ["stored_in_time"],
    )


def test_it_refuses_a_score_with_an_item_not_judged(world):
    _, sample = drawn(world)
    passed = verdicts(5)
    del passed["continuous"]
    with pytest.raises(ScoreError, match="请判定“全程不间断记录”是否符合要求"):
        scoring.score_sample(world.supervisor, sample, ScoreInput(passed=passed, item_notes={}))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("02:13", 133), ("0:05", 5), ("75:00", 4500), ("1:02:03", 3723), ("02：13", 133)],
)
def test_it_reads_a_time_into_the_recording(text, seconds):
    assert scoring.parse_time(text) == seconds


@pytest.mark.parametrize("text", ["2:75", "abc", "02:13:", "1:2:3", ""])
def test_it_refuses_a_time_it_cannot_read_in_chinese(text):
    with pytest.raises(ScoreError, match="应为 分:秒 或 时:分:秒"):
        scoring.parse_time(text)


def _recorded(org):
    """A sampled inspection with 张伟's three-minute recording linked to it."""
    rec = make(org, "3501001_350211_20260912100500_0001.MP4", at=(2026, 9, 12, 10, 5))
    rec.duration_seconds = 180
    rec.save()
    a = activity(org, 12)
    c = campaign(org, ratio=1.0)
    campaigns.draw_sample(org.supervisor, c)
    return rec, c.samples.get(activity=a)


def test_it_keeps_timed_notes_within_the_recording(world):
    rec, sample = _recorded(world)
    notes = tuple(scoring.parse_note_lines(rec.pk, "02:13 未告知\n03:00 未亮证"))
    score = scoring.score_sample(
        world.supervisor, sample, ScoreInput(passed=verdicts(3), item_notes={}, notes=notes)
    )
    assert [str(n) for n in score.notes.all()] == ["02:13 未告知", "03:00 未亮证"]


def test_it_refuses_a_note_past_the_end_of_the_recording(world):
    rec, sample = _recorded(world)
    data = ScoreInput(passed=verdicts(5), item_notes={}, notes=(NoteInput(rec.pk, "03:01", "x"),))
    with pytest.raises(ScoreError, match=r"时间点 03:01 超出该音像记录的时长（03:00）"):
        scoring.score_sample(world.supervisor, sample, data)
    assert not hasattr(Sample.objects.get(pk=sample.pk), "score")


def test_it_refuses_a_note_on_a_recording_of_another_activity(world):
    _, sample = _recorded(world)
    stranger = make(world, "3501004_350221_20260912100000_0001.MP4", officer=world.other_officer)
    data = ScoreInput(
        passed=verdicts(5), item_notes={}, notes=(NoteInput(stranger.pk, "00:10", "x"),)
    )
    with pytest.raises(ScoreError, match="不属于本次执法活动"):
        scoring.score_sample(world.supervisor, sample, data)


def test_it_never_lets_a_supervisor_score_an_activity_he_took_part_in(world):
    own = activity(world, 5, officers=[world.supervisor])
    c = campaign(world, ratio=1.0)
    campaigns.draw_sample(world.supervisor, c)
    sample = c.samples.get(activity=own)
    assert scoring.refusal(world.supervisor, sample) == f"无权评分：{scoring.NOT_OWN}"
    response = client_for(world.supervisor).post(
        f"/supervision/samples/{sample.pk}/score", {f"item_{c}": "pass" for c in TONGBAI_ITEMS}
    )
    assert response.status_code == 403


def test_it_saves_the_scoring_form_and_shows_the_findings_beside_it(world):
    _, sample = drawn(world)
    client = client_for(world.supervisor)
    page = client.get(f"/supervision/samples/{sample.pk}/").content.decode()
    assert "应记录未记录" in page and "待处理" in page  # the engine's finding and its status
    form = {f"item_{code}": "pass" for code in TONGBAI_ITEMS} | {"item_continuous": "fail"}
    response = client.post(f"/supervision/samples/{sample.pk}/score", form | {"comment": "中断"})
    assert response.status_code == 302
    assert Sample.objects.get(pk=sample.pk).score.total == 80.0


def test_it_shows_the_form_again_with_400_when_a_note_is_wrong(world):
    rec, sample = _recorded(world)
    form = {f"item_{code}": "pass" for code in TONGBAI_ITEMS} | {f"notes_{rec.pk}": "9:99 未告知"}
    response = client_for(world.supervisor).post(f"/supervision/samples/{sample.pk}/score", form)
    assert response.status_code == 400
    assert "无法识别的时间点“9:99”" in response.content.decode()
    assert not hasattr(Sample.objects.get(pk=sample.pk), "score")


def test_it_links_playback_or_the_view_request_from_the_scoring_page(world):
    rec, sample = _recorded(world)
    url = f"/supervision/samples/{sample.pk}/"
    page = client_for(world.supervisor).get(url).content.decode()
    assert f"/access/new?kind=view&amp;recording={rec.pk}" in page  # no grant: ask for one
    grant(world.supervisor, rec, kind="view")
    page = client_for(world.supervisor).get(url).content.decode()
    assert f'href="/recordings/{rec.pk}/">播放' in page


# --- closing -----------------------------------------------------------------------------------


def test_it_needs_a_reason_to_close_with_samples_unscored(world):
    c, _ = drawn(world)
    client = client_for(world.supervisor)
    response = client.post(f"/supervision/campaigns/{c.pk}/close")
    assert response.status_code == 400
    assert "尚有 1 项样本未评分，结束须写明理由" in response.content.decode()
    c.refresh_from_db()
    assert c.status == CampaignStatus.SCORING
    response = client.post(f"/supervision/campaigns/{c.pk}/close", {"reason": "人员调整"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.status, actions(c)[-1]) == (CampaignStatus.CLOSED, "supervision.close")
    assert "结束说明：人员调整" in c.note


def test_it_closes_without_a_reason_once_every_sample_is_scored(world):
    c, sample = drawn(world)
    scoring.score_sample(world.supervisor, sample, ScoreInput(passed=verdicts(5), item_notes={}))
    campaigns.close_campaign(world.supervisor, c)
    assert c.status == CampaignStatus.CLOSED
    with pytest.raises(ScoreError, match="已结束，不能评分"):
        scoring.score_sample(
            world.supervisor, sample, ScoreInput(passed=verdicts(4), item_notes={})
        )


# --- the year's review (003§17) -----------------------------------------------------------


def test_it_reminds_of_the_years_review_once_the_due_day_has_come(world):
    policies.assign(None, world.bureau, PolicyProfile.objects.get(code="zhanhe"))  # 1 a year
    year = timezone.localdate().year
    assert campaigns.reviews_due(world.supervisor, dt.date(year, 10, 30)) == []
    [due] = campaigns.reviews_due(world.supervisor, dt.date(year, 10, 31))
    assert (due.unit, due.profile_code, due.due, due.cite) == (
        world.squad1,
        "zhanhe",
        dt.date(year, 10, 31),
        "003§17",
    )
    campaign(world, kind="annual_review")
    assert campaigns.reviews_due(world.supervisor, dt.date(year, 11, 1)) == []


def test_it_shows_the_reminder_on_the_list_and_counts_it_in_the_menu(world, monkeypatch):
    policies.assign(None, world.bureau, PolicyProfile.objects.get(code="zhanhe"))
    monkeypatch.setattr(timezone, "localdate", lambda *args: dt.date(2026, 11, 2))
    page = with_menu_counts(client_for(world.supervisor), "/supervision/campaigns/")
    assert "每年至少组织 1 次音像记录评查" in page and "应于 2026-10-31 前组织" in page
    assert '执法监督 <span class="count-badge">1</span>' in page


def test_it_does_not_remind_where_the_profile_asks_for_no_yearly_review(world):
    assert campaigns.reviews_due(world.supervisor, dt.date(2026, 12, 31)) == []  # tongbai: 0


# --- role and scope on every step, pages and API --------------------------------------------

FORM = {f"item_{code}": "pass" for code in TONGBAI_ITEMS}
SCORE_JSON = {"items": [{"code": code, "passed": True} for code in TONGBAI_ITEMS]}
# (name, method, path, body): {c} a drawn campaign, {d} a draft one, {s} the drawn sample
STEPS = [
    ("list", "get", "/supervision/campaigns/", None),
    ("new", "get", "/supervision/campaigns/new", None),
    ("campaign", "get", "/supervision/campaigns/{c}/", None),
    ("draw", "post", "/supervision/campaigns/{d}/draw", {}),
    ("recheck", "post", "/supervision/campaigns/{c}/recheck", {}),
    ("close", "post", "/supervision/campaigns/{c}/close", {"reason": "人员调整"}),
    ("sample", "get", "/supervision/samples/{s}/", None),
    ("score", "post", "/supervision/samples/{s}/score", FORM),
    ("api-list", "get", "/api/v1/campaigns", None),
    ("api-campaign", "get", "/api/v1/campaigns/{c}", None),
    ("api-draw", "post", "/api/v1/campaigns/{d}/draw", {}),
    ("api-recheck", "post", "/api/v1/campaigns/{c}/recheck", {}),
    ("api-close", "post", "/api/v1/campaigns/{c}/close", {"reason": "人员调整"}),
    ("api-sample", "get", "/api/v1/samples/{s}", None),
    ("api-score", "post", "/api/v1/samples/{s}/score", SCORE_JSON),
]
OK = {"list": 200, "new": 200, "campaign": 200, "sample": 200, "api-list": 200}
OK |= {"api-campaign": 200, "api-sample": 200, "api-draw": 200, "api-recheck": 200}
OK |= {"api-close": 200, "api-score": 200, "draw": 302, "recheck": 302, "close": 302}
OK |= {"score": 302}
LISTS = ("list", "new", "api-list")
EXPECTED = {
    "supervisor": OK,
    # an officer reads no campaigns at all: 403 whatever the object
    "officer": dict.fromkeys(OK, 403),
    # a supervisor of squad 2: the lists open, squad 1's campaign does not exist for him
    "supervisor2": {n: (OK[n] if n in LISTS else 404) for n in OK},
    # the leader reads and rechecks; he neither creates, draws, closes nor scores
    "leader": OK
    | {n: 403 for n in ("new", "draw", "close", "score", "api-draw", "api-close")}
    | {"api-score": 403},
    "head2": {n: (403 if n == "new" else OK[n] if n in LISTS else 404) for n in OK},
}
ROLE_CASES = [
    pytest.param(who, name, method, path, body, id=f"{name}-{who}")
    for who in EXPECTED
    for name, method, path, body in STEPS
]


@pytest.mark.parametrize(("who", "name", "method", "path", "body"), ROLE_CASES)
def test_it_checks_role_and_scope_on_every_step(world, who, name, method, path, body):
    c, sample = drawn(world)
    d = campaign(world)
    url = path.format(c=c.pk, d=d.pk, s=sample.pk)
    client = client_for(getattr(world, who))
    if method == "get":
        response = client.get(url)
    elif url.startswith("/api/"):
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, body)
    assert response.status_code == EXPECTED[who][name]
    if response.status_code == 403 and url.startswith("/api/"):
        assert response.json()["detail"].startswith("无权")


@pytest.mark.parametrize("step", ["draw", "recheck", "close", "score"])
def test_it_answers_405_to_a_get_on_a_post_only_step_and_404_out_of_scope(world, step):
    c, sample = drawn(world)
    url = {"score": f"/supervision/samples/{sample.pk}/score"}.get(
        step, f"/supervision/campaigns/{c.pk}/{step}"
    )
    assert client_for(world.supervisor).get(url).status_code == 405
    assert client_for(world.supervisor2).get(url).status_code == 404


# --- the API -----------------------------------------------------------------------------------


def test_it_creates_draws_and_scores_through_the_api(world):
    rec = make(world, "3501001_350211_20260912100500_0001.MP4", at=(2026, 9, 12, 10, 5))
    rec.duration_seconds = 180
    rec.save()
    activity(world, 12)
    api = client_for(world.supervisor)
    body = {
        "kind": "spot_check",
        "title": "九月抽查",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "units": ["T350200-01"],
        "ratio": 1,
    }
    created = api.post("/api/v1/campaigns", body, content_type="application/json")
    assert created.status_code == 201
    cid = created.json()["id"]
    assert created.json()["seed"] == str(Campaign.objects.get(pk=cid).seed)
    draw = api.post(f"/api/v1/campaigns/{cid}/draw")
    assert draw.status_code == 200
    assert (draw.json()["population"], len(draw.json()["campaign"]["sample_list"])) == (1, 1)
    again = api.post(f"/api/v1/campaigns/{cid}/draw")
    assert again.status_code == 409 and "不能重新抽取" in again.json()["detail"]
    sid = draw.json()["campaign"]["sample_list"][0]["id"]
    score = {
        "items": [{"code": c, "passed": n != 0} for n, c in enumerate(TONGBAI_ITEMS)],
        "comment": "未告知",
        "notes": [{"recording_id": rec.pk, "at": "02:13", "text": "未告知"}],
    }
    scored = api.post(f"/api/v1/samples/{sid}/score", score, content_type="application/json")
    assert scored.status_code == 200
    got = scored.json()
    assert (got["score"]["total"], got["recording_ids"]) == (80.0, [rec.pk])
    assert got["score"]["notes"] == [
        {"recording_id": rec.pk, "at_seconds": 133, "at": "02:13", "text": "未告知"}
    ]
    score["notes"][0]["at"] = "03:01"
    late = api.post(f"/api/v1/samples/{sid}/score", score, content_type="application/json")
    assert late.status_code == 422 and "超出该音像记录的时长" in late.json()["detail"]
    recheck = api.post(f"/api/v1/campaigns/{cid}/recheck")
    assert recheck.status_code == 200 and recheck.json()["ok"] is True


def test_it_answers_409_to_a_draw_over_an_empty_period_and_keeps_the_draft(world):
    c = campaign(world)
    response = client_for(world.supervisor).post(f"/api/v1/campaigns/{c.pk}/draw")
    assert response.status_code == 409
    assert response.json()["detail"] == campaigns.EMPTY_POPULATION
    assert Campaign.objects.get(pk=c.pk).status == CampaignStatus.DRAFT


def test_it_refuses_a_campaign_over_a_unit_code_outside_scope_with_422(world):
    body = {
        "kind": "spot_check",
        "title": "九月抽查",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "units": ["T350200-02"],
    }
    response = client_for(world.supervisor).post(
        "/api/v1/campaigns", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "T350200-02" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_it_shows_the_findings_and_checklist_in_the_api_sample(world):
    _, sample = drawn(world)
    got = client_for(world.leader).get(f"/api/v1/samples/{sample.pk}").json()
    assert [i["code"] for i in got["checklist"]] == TONGBAI_ITEMS
    assert [(f["kind"], f["status"]) for f in got["findings"]] == [("missing", "open")]
    assert (got["score"], got["can_score"]) == (None, False)


def test_it_closes_through_the_api_and_refuses_a_second_close_with_409(world):
    c, _ = drawn(world)
    url = f"/api/v1/campaigns/{c.pk}/close"
    api = client_for(world.supervisor)
    statuses = [
        api.post(url, body, content_type="application/json").status_code
        for body in ({}, {"reason": "人员调整"}, {"reason": "人员调整"})
    ]
    assert statuses == [422, 200, 409]  # a reason is needed; then closed; then closed already
