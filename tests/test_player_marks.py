"""The player's timeline (issue 17 §5): marks of every kind for those who may play, none for
those who may not; bookmarks added and deleted, audited, bounded, refused in Chinese."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from avrecords.audit.models import AuditEntry
from avrecords.compliance.models import Activity, ActivityRecording, Finding, FindingKind
from avrecords.recordings.models import Bookmark, Recording
from tests import media as m
from tests.conftest import client_for
from tests.media import make_dump
from tests.rows import grant


@pytest.fixture
def rec(org, library, tmp_path) -> Recording:
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264])
    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=out)
    (file,) = json.loads(out.getvalue())["files"]
    assert Path(file["path"]).name == m.H264
    return Recording.objects.get(pk=file["recording_id"])


def _finding(org, rec, kind, key, summary, **extra) -> Finding:
    return Finding.objects.create(
        key=key, kind=kind, unit=org.squad1, officer=org.officer, summary=summary, **extra
    )


def _bookmark(client, rec, at, text, **headers):
    return client.post(f"/recordings/{rec.pk}/bookmarks", {"at": at, "text": text}, **headers)


def test_it_shows_findings_and_bookmarks_on_the_timeline_of_one_who_may_play(org, rec):
    _finding(org, rec, FindingKind.LATE_INGEST, "late:t", "实际入库逾期 3 天", recording=rec)
    _finding(
        org, rec, FindingKind.GAP, "gap:t", "记录中断 5 分钟", detail={"before": rec.pk, "after": 0}
    )
    officer = client_for(org.officer)
    assert _bookmark(officer, rec, "1.5", "当事人出示证件").status_code == 302

    page = officer.get(f"/recordings/{rec.pk}/").content.decode()
    assert page.count('class="mark mark-finding"') == 2
    assert 'class="mark mark-bookmark"' in page and "当事人出示证件" in page
    assert "实际入库逾期 3 天" in page and "记录中断 5 分钟" in page
    assert 'data-seek="1.5"' in page and "00:00:01" in page

    api = officer.get(f"/api/v1/recordings/{rec.pk}/marks").json()
    assert {m["kind"] for m in api} == {"finding", "bookmark"}
    gap = next(m for m in api if "记录中断" in m["text"])
    assert gap["at_seconds"] == pytest.approx(rec.duration_seconds)  # the gap after it: its end


def test_a_gap_before_a_recording_sits_at_its_start(org, rec):
    _finding(
        org,
        rec,
        FindingKind.GAP,
        "gap:before",
        "前一段结束后中断 4 分钟",
        recording=rec,
        detail={"before": 0, "after": rec.pk},
    )
    (mark,) = client_for(org.officer).get(f"/api/v1/recordings/{rec.pk}/marks").json()
    assert mark["at_seconds"] == 0 and "前一段结束后中断" in mark["text"]
    assert mark["kind_name"] == "合规问题"


def test_it_shows_no_marks_to_one_who_may_not_play(org, rec):
    _finding(org, rec, FindingKind.LATE_INGEST, "late:t", "实际入库逾期 3 天", recording=rec)
    _bookmark(client_for(org.officer), rec, "1", "本人的标记")
    admin = client_for(org.admin)  # sees the recording in his unit, holds no grant
    page = admin.get(f"/recordings/{rec.pk}/").content.decode()
    assert "本人的标记" not in page and "mark-finding" not in page
    assert "在此处添加标记" not in page
    assert admin.get(f"/api/v1/recordings/{rec.pk}/marks").status_code == 403
    assert _bookmark(admin, rec, "1", "越权标记").status_code == 403
    assert (
        client_for(org.other_officer).get(f"/api/v1/recordings/{rec.pk}/marks").status_code == 404
    )
    assert not Bookmark.objects.filter(text="越权标记").exists()


def test_a_granted_viewer_sees_the_marks_and_may_bookmark(org, rec):
    grant(org.admin, rec, kind="view")
    admin = client_for(org.admin)
    resp = _bookmark(admin, rec, "2", "复核此处", HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "复核此处" in resp.content.decode()
    assert 'id="marks"' in resp.content.decode()
    assert "复核此处" in client_for(org.officer).get(f"/recordings/{rec.pk}/").content.decode()


def test_adding_a_bookmark_is_audited(org, rec):
    _bookmark(client_for(org.officer), rec, "2.25", "开始告知")
    entry = AuditEntry.objects.get(action="recording.bookmark", object_id=str(rec.pk))
    assert entry.actor == org.officer and entry.detail["text"] == "开始告知"
    assert Bookmark.objects.get().at_seconds == pytest.approx(2.25)


@pytest.mark.parametrize(
    ("at", "text", "reason"),
    [
        ("1", "", "请写明标记内容"),
        ("1", "长" * 201, "最多 200 个字符"),
        ("9999", "太靠后", "超出该音像记录的时长"),
        ("-1", "负数", "超出该音像记录的时长"),
        ("abc", "不是时间", "时间点应为从开始算起的秒数"),
        ("nan", "不是数", "时间点应为从开始算起的秒数"),
    ],
)
def test_bad_bookmarks_are_refused_in_chinese_and_nothing_is_stored(org, rec, at, text, reason):
    officer = client_for(org.officer)
    page = _bookmark(officer, rec, at, text)
    assert page.status_code == 400 and reason in page.content.decode()
    part = _bookmark(officer, rec, at, text, HTTP_HX_REQUEST="true")
    assert part.status_code == 400 and reason in part.content.decode()
    api = officer.post(
        f"/api/v1/recordings/{rec.pk}/bookmarks",
        {"at_seconds": 9999 if at in ("abc", "nan") else float(at), "text": text},
        content_type="application/json",
    )
    assert api.status_code == 400 and "未添加标记" in api.json()["detail"]
    assert not Bookmark.objects.exists()
    assert not AuditEntry.objects.filter(action="recording.bookmark").exists()


def test_only_the_creator_deletes_a_bookmark_and_it_is_audited(org, rec):
    grant(org.admin, rec, kind="view")
    _bookmark(client_for(org.officer), rec, "1", "我的标记")
    bookmark = Bookmark.objects.get()
    url = f"/recordings/{rec.pk}/bookmarks/{bookmark.pk}/delete"
    assert client_for(org.admin).post(url).status_code == 403
    assert client_for(org.officer).get(url).status_code == 405
    assert Bookmark.objects.exists()
    assert client_for(org.officer).post(url).status_code == 302
    assert not Bookmark.objects.exists()
    entry = AuditEntry.objects.get(action="recording.bookmark_delete")
    assert entry.actor == org.officer and entry.detail["text"] == "我的标记"


def test_the_api_adds_and_deletes_a_bookmark(org, rec):
    officer = client_for(org.officer)
    made = officer.post(
        f"/api/v1/recordings/{rec.pk}/bookmarks",
        {"at_seconds": 1.0, "text": "接口标记"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["deletable"] is True
    gone = officer.delete(f"/api/v1/recordings/{rec.pk}/bookmarks/{made.json()['bookmark_id']}")
    assert gone.status_code == 204 and not Bookmark.objects.exists()


def test_the_page_has_the_full_width_player_with_its_controls(org, rec):
    page = client_for(org.officer).get(f"/recordings/{rec.pk}/").content.decode()
    assert "recordings/player.js" in page and "recordings/player.css" in page
    assert 'class="video-frame"' in page and "data-frame-rate=" in page
    for control in ("0.5×", "1.5×", "2×", "上一帧", "下一帧", "−10 秒", "+10 秒"):
        assert control in page
    assert "<script>" not in page  # CSP: no inline script


def test_a_document_time_mismatch_sits_at_the_activitys_first_start_and_last_end(org, rec):
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="on_site_inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=rec.started_at,
        ended_at=rec.ended_at,
    )
    ActivityRecording.objects.create(activity=activity, recording=rec, origin="auto")
    for edge in ("start", "end"):
        _finding(
            org,
            rec,
            FindingKind.TIME_MISMATCH,
            f"time:t:{edge}",
            f"文书记载{'开始' if edge == 'start' else '结束'}时间不一致",
            activity=activity,
            detail={"edge": edge},
        )
    got = client_for(org.officer).get(f"/api/v1/recordings/{rec.pk}/marks").json()
    at = {m["text"].split("：")[1][:6]: m["at_seconds"] for m in got}
    assert at == {"文书记载开始": 0, "文书记载结束": pytest.approx(rec.duration_seconds)}
