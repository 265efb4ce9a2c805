"""M5, S1 as a user meets them: the 保存期限 dashboard's figures, a hold placed from its page
gathering the case's recordings, its release waiting for the leader, the archivist keeping an
item of a disposal list with a reason, a purged recording's tombstone (nothing plays: 410),
the destruction records printed with the Chinese font, the admin's guarded purge."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from avrecords.access import requests as access
from avrecords.access.chain import RequestRefused
from avrecords.audit.models import AuditEntry
from avrecords.cases import services as cases
from avrecords.org.models import Role, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.recordings.models import Recording
from avrecords.retention import disposal
from avrecords.retention.models import (
    DestructionRecord,
    DisposalItem,
    DisposalList,
    DisposalStatus,
    HoldStatus,
    ItemDecision,
    ItemOutcome,
    LegalHold,
    RecordingRetention,
    RetentionChange,
    RetentionFact,
)
from avrecords.retention.rules import add_months
from avrecords.retention.services import reclassify
from tests.conftest import client_for, with_menu_counts
from tests.rows import make
from tests.test_equipment_registry import pdf_text_and_fonts

GB = 1024**3
OLD = (2023, 1, 5, 9, 0)  # tongbai keeps a general recording 2 years: long past


@pytest.fixture
def tongbai(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))


@pytest.fixture
def archivist(org):
    return org._user("dangan", "何静", Role.ARCHIVIST, org.bureau)


@pytest.fixture
def head1(org):
    return org._user("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)


def _at(day: dt.date) -> tuple:
    return (day.year, day.month, day.day, 9, 0)


def _classified(org, name: str, **fields) -> Recording:
    rec = make(org, name, **fields)
    reclassify([rec], sync_store=False)
    return rec


def _case(org, number: str, recordings) -> object:
    case = cases.open_case(
        org.admin,
        cases.CaseInput(
            number=number,
            title="某超市销售过期食品案",
            case_type="penalty",
            unit=org.squad1,
            opened_on=dt.date(2026, 11, 2),
        ),
    )
    cases.link_recordings(org.admin, case, list(recordings))
    return case


def _purged(org, rec: Recording, leader, archivist) -> DestructionRecord:
    """What an approved purge leaves (the purge itself: tests/test_retention_purge.py)."""
    now = timezone.now()
    done = DisposalList.objects.create(
        number="QC-20261125-001",
        unit=org.bureau,
        profile_code="tongbai",
        status=DisposalStatus.DONE,
        reviewed_by=archivist,
        approved_by=leader,
        finished_at=now,
    )
    item = DisposalItem.objects.create(
        disposal=done,
        recording=rec,
        keep_until=dt.date(2025, 1, 5),
        category_name="一般执法记录",
        decision=ItemDecision.PURGE,
        outcome=ItemOutcome.PURGED,
    )
    record = DestructionRecord.objects.create(
        recording=rec,
        item=item,
        number=f"{done.number}-{item.pk}",
        original_name=rec.original_name,
        sha256=rec.sha256,
        size_bytes=rec.size_bytes,
        storage_key=rec.storage_key,
        started_at=rec.started_at,
        ended_at=rec.ended_at,
        ingested_at=rec.ingested_at,
        officer="张伟（zhangwei）",
        unit_name=rec.unit.name,
        category_name="一般执法记录",
        cite="000§18",
        keep_until=dt.date(2025, 1, 5),
        reviewed_by="何静（dangan）",
        approved_by="郑国华（lingdao）",
        begun_at=now,
        purged_at=now,
    )
    Recording.objects.filter(pk=rec.pk).update(purged_at=now)
    return record


def _text(response) -> str:
    html = re.sub(r'<span class="cite"[^>]*>([^<]*)</span>', r"\1", response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the dashboard ----------------------------------------------------------------------


def test_the_dashboard_shows_storage_expiry_and_what_is_due(org, tongbai):
    today = timezone.localdate()
    _classified(org, "old.mp4", at=OLD, size_bytes=GB)
    _classified(org, "soon.mp4", at=_at(add_months(today, -24) + dt.timedelta(days=10)))
    _classified(org, "later.mp4", at=_at(add_months(today, -24) + dt.timedelta(days=60)))
    _classified(org, "new.mp4", at=_at(today), size_bytes=GB // 2)
    page = _text(client_for(org.leader).get("/retention/"))
    assert "30 天内到期 1 条" in page
    assert "90 天内到期 2 条" in page
    assert "已到期待清除 1 条" in page
    # the agency by its name, sizes in their unit (issue 17 §7)
    assert "一般执法记录 桐柏县市场监督管理局 4 条 1.5 GB" in page
    assert "2023 年 1 条 1 GB" in page


def test_officers_do_not_see_the_menu_entry_and_are_refused_the_pages(org, tongbai):
    assert "保存期限" in client_for(org.leader).get("/recordings/").content.decode()
    officer = client_for(org.officer)
    assert "保存期限</a>" not in officer.get("/recordings/").content.decode()
    assert officer.get("/retention/").status_code == 403


# --- legal holds ------------------------------------------------------------------------


def test_a_hold_placed_from_the_page_shows_its_gathered_recordings(org, tongbai):
    one, two = _classified(org, "A.MP4"), _classified(org, "B.MP4")
    case = _case(org, "桐市监罚〔2026〕21号", [one, two])
    response = client_for(org.admin).post(
        "/retention/holds/new",
        {
            "kind": "complaint",
            "case_number": case.number,
            "reference": "桐市监投〔2026〕9号",
            "reason": "当事人投诉执法人员态度粗暴",
        },
    )
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    page = _text(client_for(org.admin).get(response["Location"]))
    assert f"法律保全 {hold.number} 保全中" in page
    assert "保全的音像记录（2）" in page and "A.MP4" in page and "B.MP4" in page
    assert RecordingRetention.objects.get(recording=one).held
    box = _text(client_for(org.admin).get(f"/recordings/{one.pk}/"))
    assert "法律保全中，期限暂停计算" in box and hold.number in box


def test_a_hold_form_refuses_a_case_out_of_scope_and_places_nothing(org, tongbai):
    case = cases.open_case(
        org.other_admin,
        cases.CaseInput(
            number="桐市监罚〔2026〕22号",
            title="二中队的案件",
            case_type="penalty",
            unit=org.squad2,
            opened_on=dt.date(2026, 11, 2),
        ),
    )
    response = client_for(org.admin).post(
        "/retention/holds/new",
        {"kind": "complaint", "case_number": case.number, "reason": "投诉"},
    )
    assert response.status_code == 400
    assert "案卷不存在或不在您的权限范围内" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_releasing_a_hold_needs_the_leader(org, tongbai, head1):
    rec = _classified(org, "A.MP4")
    case = _case(org, "桐市监罚〔2026〕23号", [rec])
    admin = client_for(org.admin)
    admin.post(
        "/retention/holds/new",
        {"kind": "petition", "case_number": case.number, "reason": "当事人上访"},
    )
    hold = LegalHold.objects.get()
    assert admin.post(f"/retention/holds/{hold.pk}/release", {"reason": " "}).status_code == 400
    admin.post(f"/retention/holds/{hold.pk}/release", {"reason": "信访事项已办结"})
    hold.refresh_from_db()
    assert hold.status == HoldStatus.RELEASE_PENDING
    assert "批准解除" not in admin.get(f"/retention/holds/{hold.pk}/").content.decode()
    for user in (org.admin, head1, org.sysadmin):
        assert client_for(user).post(f"/retention/holds/{hold.pk}/approve").status_code == 403
    assert client_for(org.admin).get(f"/retention/holds/{hold.pk}/approve").status_code == 405
    leader = client_for(org.leader)
    assert "批准解除" in leader.get(f"/retention/holds/{hold.pk}/").content.decode()
    assert leader.post(f"/retention/holds/{hold.pk}/approve").status_code == 302
    hold.refresh_from_db()
    assert hold.status == HoldStatus.RELEASED and hold.released_by == org.leader
    assert not RecordingRetention.objects.get(recording=rec).held


def test_a_hold_outside_ones_units_is_not_found(org, tongbai):
    rec = _classified(org, "A.MP4")
    case = _case(org, "桐市监罚〔2026〕24号", [rec])
    client_for(org.admin).post(
        "/retention/holds/new", {"kind": "complaint", "case_number": case.number, "reason": "投诉"}
    )
    hold = LegalHold.objects.get()
    assert client_for(org.other_admin).get(f"/retention/holds/{hold.pk}/").status_code == 404
    assert client_for(org.other_admin).get(f"/api/v1/holds/{hold.pk}").status_code == 404


# --- disposal review --------------------------------------------------------------------


def test_the_review_page_keeps_an_item_with_a_reason(org, tongbai, archivist):
    rec = _classified(org, "old.mp4", at=OLD)
    [made] = disposal.make_lists()
    item = made.items.get()
    reviewer = client_for(archivist)
    page = _text(reviewer.get(f"/retention/disposals/{made.pk}/"))
    assert "old.mp4" in page and "张伟" in page and "执法一中队" in page
    assert "一般执法记录 2025-01-05" in page

    url = f"/retention/disposals/{made.pk}/items/{item.pk}"
    refused = reviewer.post(url, {"decision": "keep", "fact": "valuable", "reason": ""})
    assert refused.status_code == 400
    assert "继续保存须填写理由" in refused.content.decode()
    item.refresh_from_db()
    assert item.decision == ItemDecision.UNDECIDED

    kept = reviewer.post(
        url, {"decision": "keep", "fact": "valuable", "reason": "典型案例，用于培训"}
    )
    assert kept.status_code == 302
    assert reviewer.post(f"/retention/disposals/{made.pk}/submit").status_code == 302
    item.refresh_from_db()
    assert (item.decision, item.outcome) == (ItemDecision.KEEP, ItemOutcome.KEPT)
    row = RecordingRetention.objects.get(recording=rec)
    assert row.keep_until is None and not row.pending  # kept permanently now (000§20(4))
    page = _text(client_for(org.leader).get(f"/retention/disposals/{made.pk}/"))
    assert "继续保存 典型案例，用于培训" in page and "批准清除" in page


def test_only_the_leader_may_approve_and_not_the_reviewer(org, tongbai, archivist):
    _classified(org, "old.mp4", at=OLD)
    [made] = disposal.make_lists()
    disposal.submit(archivist, made)
    url = f"/retention/disposals/{made.pk}/decide"
    assert client_for(archivist).post(url, {"decision": "approve"}).status_code == 403
    assert client_for(org.bureau_admin).post(url, {"decision": "approve"}).status_code == 403
    assert client_for(org.admin).post(url, {"decision": "approve"}).status_code == 404  # squad
    refused = client_for(org.leader).post(url, {"decision": "reject", "comment": ""})
    assert refused.status_code == 400 and "不同意须填写意见" in refused.content.decode()
    made.refresh_from_db()
    assert made.status == DisposalStatus.SUBMITTED


def test_the_progress_card_polls_while_the_purge_runs(org, tongbai, archivist):
    _classified(org, "old.mp4", at=OLD)
    [made] = disposal.make_lists()
    disposal.submit(archivist, made)
    disposal.decide(org.leader, made, approve=True)
    card = client_for(org.leader).get(f"/retention/disposals/{made.pk}/progress").content.decode()
    assert 'hx-trigger="every 2s"' in card and "已清除 <strong>0</strong> / 1" in card


def test_the_leader_sees_how_many_decisions_wait_for_him(org, tongbai, archivist):
    _classified(org, "old.mp4", at=OLD)
    [made] = disposal.make_lists()
    nav = with_menu_counts(client_for(archivist), "/recordings/")
    assert re.search(r'保存期限 <span class="count-badge">1</span>', nav)
    disposal.submit(archivist, made)
    nav = with_menu_counts(client_for(org.leader), "/recordings/")
    assert re.search(r'保存期限 <span class="count-badge">1</span>', nav)


# --- the recording's page ---------------------------------------------------------------


def test_the_recording_page_says_until_when_and_why_and_records_a_situation(org, tongbai):
    rec = _classified(org, "A.MP4", at=(2026, 11, 20, 10, 0))
    admin = client_for(org.admin)
    assert "保存至 2028-11-20：第十八条，一般执法记录" in _text(admin.get(f"/recordings/{rec.pk}/"))
    response = admin.post(
        f"/retention/recordings/{rec.pk}/fact",
        {"fact": "obstruction", "note": "当事人推搡执法人员"},
    )
    assert response.status_code == 302
    page = _text(admin.get(f"/recordings/{rec.pk}/"))
    assert "永久保存：第二十条第（二）项" in page and "当事人推搡执法人员" in page
    refused = admin.post(
        f"/retention/recordings/{rec.pk}/fact", {"fact": "obstruction", "note": ""}
    )
    assert refused.status_code == 400 and "请填写说明" in refused.content.decode()


def test_shortening_is_asked_for_and_decided_by_the_leader(org, tongbai):
    rec = _classified(org, "A.MP4", at=(2026, 11, 20, 10, 0))
    admin, leader = client_for(org.admin), client_for(org.leader)
    admin.post(f"/retention/recordings/{rec.pk}/fact", {"fact": "major_case", "note": "重大案件"})
    assert "永久保存：第二十条第（四）项" in _text(admin.get(f"/recordings/{rec.pk}/"))
    fact = RetentionFact.objects.get()
    asked = admin.post(
        f"/retention/recordings/{rec.pk}/shorten", {"fact": fact.pk, "reason": "经核实并非重大案件"}
    )
    assert asked.status_code == 302
    change = RetentionChange.objects.get()
    assert "/decide" not in admin.get(f"/recordings/{rec.pk}/").content.decode()
    assert client_for(org.admin).post(f"/retention/changes/{change.pk}/decide").status_code == 403
    page = _text(leader.get(f"/recordings/{rec.pk}/"))
    assert "待批准：林海 申请缩短保存期限（经核实并非重大案件）" in page
    assert (
        leader.post(f"/retention/changes/{change.pk}/decide", {"decision": "approve"}).status_code
        == 302
    )
    assert "保存至 2028-11-20：第十八条" in _text(leader.get(f"/recordings/{rec.pk}/"))


# --- purged recordings ------------------------------------------------------------------


@pytest.fixture
def purged(org, tongbai, archivist):
    rec = make(org, "3501001_350211_20230105090000_0001.MP4", at=OLD)
    return rec, _purged(org, rec, org.leader, archivist)


def test_a_purged_recordings_page_is_a_tombstone(org, purged):
    rec, record = purged
    response = client_for(org.admin).get(f"/recordings/{rec.pk}/")
    assert response.status_code == 200
    page = _text(response)
    local = timezone.localtime(record.purged_at)
    assert f"已于 {local:%Y-%m-%d %H:%M} 按保存期限清除 （清除记录 {record.number} ）" in page
    body = response.content.decode()
    assert "<video" not in body and "/media" not in body and "下载原始文件" not in body


@pytest.mark.parametrize("path", ["media", "original", "thumbnail"])
def test_a_purged_recording_answers_410_instead_of_reaching_the_store(org, purged, path):
    rec, _ = purged
    response = client_for(org.officer).get(f"/recordings/{rec.pk}/{path}")
    assert response.status_code == 410
    assert "该音像记录已按保存期限清除" in response.content.decode()


@pytest.mark.parametrize("path", ["media", "original"])
def test_the_api_answers_410_for_a_purged_recording(org, purged, path):
    rec, _ = purged
    response = client_for(org.officer).get(f"/api/v1/recordings/{rec.pk}/{path}")
    assert response.status_code == 410
    assert response.json()["detail"].startswith("该音像记录已按保存期限清除")
    assert client_for(org.officer).get(f"/api/v1/recordings/{rec.pk}").json()["purged_at"]


def test_the_list_still_finds_a_purged_recording_and_marks_it(org, purged):
    page = client_for(org.admin).get("/recordings/?q=3501001_350211_2023").content.decode()
    assert "3501001_350211_20230105090000_0001.MP4" in page and "已清除" in page


def test_an_evidence_export_of_a_purged_recording_is_refused(org, purged):
    rec, _ = purged
    ask = access.Ask(kind="export", reason="移送公安机关", recordings=[rec], place="执法一中队")
    with pytest.raises(RequestRefused, match="已按保存期限清除，不能申请证据导出"):
        access.submit(org.officer, ask)


def test_the_destruction_records_print_as_a_pdf_with_the_chinese_font(org, purged):
    rec, record = purged
    client = client_for(org.leader)
    listed = _text(client.get("/retention/records/?q=0001.MP4"))
    assert record.number in listed and "何静（dangan）" in listed
    before = AuditEntry.objects.count()
    response = client.get("/retention/records/export.pdf?q=0001.MP4")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text, fonts = pdf_text_and_fonts(response.content)
    assert record.number in text and "清除记录" in text and rec.sha256 in text
    assert any(b"NotoSansCJK" in f for f in fonts)
    assert AuditEntry.objects.filter(seq__gt=before, action="retention.record_print").count() == 1
    one = client.get(f"/retention/records/{record.pk}.pdf")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")


def test_destruction_records_are_seen_only_within_ones_units(org, purged):
    _, record = purged  # its recording was squad 1's
    assert client_for(org.head2).get(f"/retention/records/{record.pk}.pdf").status_code == 404
    assert record.number not in client_for(org.head2).get("/retention/records/").content.decode()
    assert client_for(org.officer).get("/retention/records/").status_code == 403


# --- the admin site ---------------------------------------------------------------------


@pytest.fixture
def staff(org) -> User:
    org.sysadmin.is_staff = org.sysadmin.is_superuser = True
    org.sysadmin.save()
    return org.sysadmin


def test_the_admin_refuses_to_delete_a_recording_or_a_destruction_record(org, purged, staff):
    rec, record = purged
    client = client_for(staff)
    assert client.get(f"/admin/recordings/recording/{rec.pk}/delete/").status_code == 403
    assert client.get(f"/admin/retention/destructionrecord/{record.pk}/delete/").status_code == 403
    assert client.get(f"/admin/recordings/recording/{rec.pk}/change/").status_code == 200


def test_the_admin_purge_action_shows_the_refusal_and_it_is_audited(org, tongbai, staff):
    rec = _classified(org, "A.MP4")
    response = client_for(staff).post(
        "/admin/recordings/recording/",
        {"action": "purge_by_retention", "_selected_action": [rec.pk]},
        follow=True,
    )
    assert "A.MP4：拒绝清除：保存期限至" in response.content.decode()
    refused = AuditEntry.objects.get(action="retention.purge_refused")
    assert refused.detail["path"] == "admin" and refused.actor == staff
    rec.refresh_from_db()
    assert rec.purged_at is None
