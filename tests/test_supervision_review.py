"""S1 (001§9, 004§10): supervisors review the activities of the units they supervise online —
recordings (played on the recording pages), documents, findings — and a complaint against an
activity places a legal hold that preserves and gathers its recordings; role and scope."""

from __future__ import annotations

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import ActivityRecording, FindingKind
from avrecords.org.models import Role
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.retention.models import LegalHold, RecordingRetention
from avrecords.retention.services import reclassify
from avrecords.supervision import review
from tests.conftest import client_for
from tests.rows import make_stored
from tests.test_supervision_quality import activity, at, finding


@pytest.fixture
def world(org):
    """一中队: 张伟's inspection of 华兴贸易 with two recordings and a gap, recorded in a
    现场检查笔录; 王芳's sampling at 绿源超市, nothing found. 二中队: 杨军's inspection of 远航物流.
    A supervisor of 一中队 (his own unit, none assigned) and one assigned 二中队."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    org.supervisor = org._user("jiandu", "监督员", Role.SUPERVISOR, org.squad1)
    org.supervisor2 = org._user("jiandu2", "监督员二", Role.SUPERVISOR, org.bureau)
    org.supervisor2.supervised_units.set([org.squad2])
    org.inspection = activity(
        org,
        org.squad1,
        [org.officer],
        at(2026, 3, 10, 9, 0),
        party="华兴贸易",
        document_name="现场检查笔录",
        document_started_at=at(2026, 3, 10, 9, 0),
        document_ended_at=at(2026, 3, 10, 10, 0),
    )
    org.recs = [
        make_stored(org, f"3501001_350211_20260310090{i}00_000{i}.MP4", at=(2026, 3, 10, 9, i))
        for i in (0, 5)
    ]
    for rec in org.recs:
        ActivityRecording.objects.create(activity=org.inspection, recording=rec, origin="auto")
    reclassify(org.recs)
    finding(org.inspection, FindingKind.GAP, officer=org.officer)
    org.sampling = activity(
        org, org.squad1, [org.officer2], at(2026, 4, 2, 14, 0), party="绿源超市"
    )
    org.sampling.kind, org.sampling.kind_name = "sampling", "抽样取证"
    org.sampling.save()
    org.far = activity(
        org, org.squad2, [org.other_officer], at(2026, 3, 12, 9, 0), party="远航物流"
    )
    return org


def listed(user, query: str = "") -> set[str]:
    response = client_for(user).get(f"/supervision/review/?{query}")
    assert response.status_code == 200, response.content.decode()
    body = response.content.decode()
    return {p for p in ("华兴贸易", "绿源超市", "远航物流") if p in body}


def test_it_lists_only_the_activities_of_the_supervised_units(world):
    assert listed(world.supervisor) == {"华兴贸易", "绿源超市"}
    assert listed(world.supervisor2) == {"远航物流"}
    assert listed(world.leader) == {"华兴贸易", "绿源超市", "远航物流"}
    assert listed(world.head2) == {"远航物流"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(lambda w: f"officer={w.officer2.pk}", {"绿源超市"}, id="officer"),
        pytest.param(lambda w: f"unit={w.squad2.pk}", {"远航物流"}, id="unit"),
        pytest.param(
            lambda w: f"unit={w.bureau.pk}", {"华兴贸易", "绿源超市", "远航物流"}, id="subtree"
        ),
        pytest.param(lambda w: "kind=sampling", {"绿源超市"}, id="kind"),
        pytest.param(lambda w: "date_from=2026-04-01", {"绿源超市"}, id="from"),
        pytest.param(lambda w: "date_to=2026-03-11", {"华兴贸易"}, id="to"),
        pytest.param(lambda w: "findings=1", {"华兴贸易"}, id="with-findings"),
        pytest.param(lambda w: "findings=0", {"绿源超市", "远航物流"}, id="without-findings"),
    ],
)
def test_it_narrows_the_list_by_each_filter(world, query, expected):
    assert listed(world.leader, query(world)) == expected


def test_it_counts_a_late_ingest_of_a_recording_as_a_finding_of_the_activity(world):
    rec = make_stored(world, "3501004_350221_20260312090000_0001.MP4", officer=world.other_officer)
    ActivityRecording.objects.create(activity=world.far, recording=rec, origin="auto")
    finding(world.far, FindingKind.LATE_INGEST, officer=world.other_officer, rec=rec)
    assert listed(world.leader, "findings=1") == {"华兴贸易", "远航物流"}


def test_it_says_what_is_wrong_with_a_filter(world):
    response = client_for(world.leader).get("/supervision/review/?date_from=昨天")
    assert response.status_code == 400
    assert "起始日期：应为日期" in response.content.decode()


def test_it_answers_htmx_with_only_the_results(world):
    response = client_for(world.leader).get("/supervision/review/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "华兴贸易" in body and "<html" not in body


def test_the_review_page_shows_recordings_documents_and_findings_and_is_audited(world):
    client = client_for(world.supervisor)  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    response = client.get(f"/supervision/review/{world.inspection.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    for rec in world.recs:  # played on the recording page, which checks grants and audits
        assert f'href="/recordings/{rec.pk}/"' in body
    assert "/media" not in body
    assert "现场检查笔录" in body and "记录中断" in body and "华兴贸易" in body
    [entry] = AuditEntry.objects.filter(seq__gt=before)
    assert (entry.action, entry.actor_id) == ("supervision.review_view", world.supervisor.pk)
    assert (entry.object_type, entry.object_id) == ("compliance.activity", str(world.inspection.pk))


def test_a_complaint_places_a_legal_hold_gathering_the_activitys_recordings(world):
    client = client_for(world.supervisor)
    url = f"/supervision/review/{world.inspection.pk}/complaint"
    response = client.post(url, {"reason": "当事人投诉执法态度", "reference": "投诉〔2026〕5号"})
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/review/{world.inspection.pk}/"
    hold = LegalHold.objects.get(activity=world.inspection)
    assert (hold.kind, hold.reference, hold.placed_by) == (
        "complaint",
        "投诉〔2026〕5号",
        world.supervisor,
    )
    assert set(hold.recordings.all()) == set(world.recs)
    assert all(RecordingRetention.objects.get(recording=r).held for r in world.recs)
    assert AuditEntry.objects.filter(action="retention.hold", object_id=str(hold.pk)).count() == 1
    body = client.get(response["Location"]).content.decode()
    assert hold.number in body and "当事人投诉执法态度" in body
    assert all(r.original_name in body for r in world.recs)


def test_a_complaint_needs_a_reason(world):
    response = client_for(world.supervisor).post(
        f"/supervision/review/{world.inspection.pk}/complaint", {"reason": "  "}
    )
    assert response.status_code == 400
    assert "请填写投诉事由" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_a_complaint_is_posted_and_only_by_those_who_may_place_a_hold(world):
    url = f"/supervision/review/{world.inspection.pk}/complaint"
    assert client_for(world.supervisor).get(url).status_code == 405
    # a system administrator reviews everything but places no hold (the unit roles do)
    assert client_for(world.sysadmin).post(url, {"reason": "投诉"}).status_code == 403
    assert client_for(world.supervisor2).post(url, {"reason": "投诉"}).status_code == 404
    assert not LegalHold.objects.exists()
    with pytest.raises(review.ComplaintRefused, match="无权"):
        review.open_complaint(world.officer, world.inspection, reason="投诉")


def test_an_officer_is_refused_and_a_supervisor_of_another_unit_finds_nothing(world):
    page = f"/supervision/review/{world.inspection.pk}/"
    assert client_for(world.officer).get("/supervision/review/").status_code == 403
    assert client_for(world.officer).get(page).status_code == 403  # his own activity
    assert client_for(world.other_officer).get(page).status_code == 404
    assert client_for(world.admin).get(page).status_code == 403  # in scope, not a reviewer
    client = client_for(world.supervisor2)  # signed in (auth.login) before counting
    before = AuditEntry.objects.count()
    assert client.get(page).status_code == 404
    assert client.get("/supervision/review/999999/").status_code == 404
    assert not AuditEntry.objects.filter(seq__gt=before).exists()


# --- the API ------------------------------------------------------------------------------


def test_the_api_lists_the_supervised_units_activities_with_their_findings(world):
    response = client_for(world.supervisor).get("/api/v1/supervision/review/activities")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {r["party"]: r for r in body["results"]}
    assert set(rows) == {"华兴贸易", "绿源超市"}
    assert rows["华兴贸易"]["finding_count"] == 1
    assert rows["华兴贸易"]["officers"] == ["张伟"]
    assert rows["华兴贸易"]["document_name"] == "现场检查笔录"
    found = client_for(world.supervisor).get(
        "/api/v1/supervision/review/activities?has_findings=false"
    )
    assert [r["party"] for r in found.json()["results"]] == ["绿源超市"]


def test_the_api_refuses_officers_bad_dates_and_strangers(world):
    path = "/api/v1/supervision/review/activities"
    refused = client_for(world.officer).get(path)
    assert refused.status_code == 403 and refused.json()["detail"].startswith("无权")
    backwards = client_for(world.leader).get(f"{path}?date_from=2026-05-01&date_to=2026-04-01")
    assert backwards.status_code == 422
    assert client_for(world.leader).get(f"{path}?date_from=昨天").status_code == 422
    assert client_for(None).get(path).status_code == 401


def test_the_dashboard_links_officers_to_their_activities_for_review(world):
    body = (
        client_for(world.supervisor)
        .get("/supervision/?start=2026-01-01&end=2026-12-31")
        .content.decode()
    )
    assert f"/supervision/review/?officer={world.officer.pk}&amp;date_from=2026-01-01" in body
