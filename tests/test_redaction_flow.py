"""Redacted copies through their services and jobs (issue 21 §2–§4; 000§19, 001§25, 003§14,
004§21 privacy and commercial secrets; M2 originals untouched, derived copies separate; M3,
M8 copies leave only through approved requests).

One real 720p clip of the astronaut's face (tests/redaction_media.py) is made per module and
put in the store as 张伟's recording of 执法一中队 (fuzhou: copies are carried out by the
records administrator, 004§20, 004§21). 林海 (squad 1's administrator) asks for the copy.
"""

from __future__ import annotations

import hashlib
import types
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.jobs import services as jobs
from avrecords.jobs.models import Job, JobState
from avrecords.lib.refusals import Forbidden, Invalid, NotFound
from avrecords.lib.storage import get_store
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.redaction import jobs as redaction_jobs
from avrecords.redaction import services
from avrecords.redaction.models import Redaction, State
from tests.conftest import client_for
from tests.redaction_media import frames_of, make_face_clip
from tests.rows import make, make_stored

SECONDS = 3
FPS = 15
SIZE = (640, 360)  # the detector sees the face as at 720p; a quarter of the pixels to encode


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[bytes, list]:
    path, boxes = make_face_clip(
        tmp_path_factory.mktemp("redaction") / "face.mp4",
        seconds=SECONDS,
        fps=FPS,
        size=SIZE,
        with_speech=False,
    )
    return path.read_bytes(), boxes


@pytest.fixture
def bureau(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    return org


def video(org, data: bytes, name: str = "3501001_350211_20261120093000_0001.MP4", **fields):
    """张伟's recording of squad 1 whose original is `data`, in the store."""
    values = {
        "video_codec": "h264",
        "audio_codec": "aac",
        "width": SIZE[0],
        "height": SIZE[1],
        "frame_rate": FPS,
        "duration_seconds": SECONDS,
        **fields,
    }
    return make_stored(org, name, data, **values)


def ask(actor, recording, **changes) -> Redaction:
    values = {
        "targets": ["faces"],
        "style": "blur",
        "audio_ranges": [[0.5, 1.0, "mute"]],
        "start_seconds": 0,
        "end_seconds": None,
        "purpose": "提供给当事人",
        **changes,
    }
    return services.request(actor, recording, **values)


def run_jobs() -> None:
    while jobs.run_pending():
        pass


def original_path(recording) -> Path:
    return Path(get_store().local_path(recording.storage_key, version=recording.storage_version))


def original_sha256(recording) -> str:
    return hashlib.sha256(original_path(recording).read_bytes()).hexdigest()


def faces_in(path: Path, picked) -> list[list]:
    """The face detector's boxes in the picked frames of a file."""
    from avrecords.lib.redaction import faces

    return [faces.detect(rgb) for i, rgb in enumerate(frames_of(path)) if i in picked]


def actions(redaction) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="redaction.redaction", object_id=str(redaction.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def copies_on_disk(settings) -> list[Path]:
    root = Path(settings.AVRECORDS_DERIVED_PATH) / "redacted"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_copy_is_detected_reviewed_rendered_with_its_lineage_and_signed_off(
    bureau, clip, settings
):
    data, _ = clip
    recording = video(bureau, data)
    redaction = ask(bureau.admin, recording)
    assert redaction.state == State.QUEUED
    assert Job.objects.get(kind="redaction.detect").subject_id == str(redaction.pk)

    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.REVIEW, redaction.message
    faces = list(redaction.tracks.filter(kind="face"))
    assert faces and all(t.hide and t.boxes for t in faces)
    assert "CenterFace" in redaction.model_versions["faces"]
    assert "text" not in redaction.model_versions  # only what was asked for ran

    # the reviewer keeps a face visible, then hides it again, and draws a box of his own
    services.set_hidden(bureau.admin, faces[0], False)
    services.set_hidden(bureau.admin, faces[0], True)
    manual = services.add_box(bureau.admin, redaction, t=0.2, box=(0.70, 0.05, 0.2, 0.15))
    assert manual.kind == "manual" and manual.added_by == bureau.admin
    assert manual.boxes[0][0] == pytest.approx(0.2, abs=0.1)
    overlay = services.tracks_json(redaction)
    assert {t["id"] for t in overlay["tracks"]} == {t.pk for t in redaction.tracks.all()}

    services.rerender(bureau.admin, redaction)
    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.READY, redaction.message
    copy = Path(settings.AVRECORDS_DERIVED_PATH) / redaction.output_path
    assert redaction.output_path.startswith("redacted/")
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == redaction.output_sha256
    assert redaction.output_size == copy.stat().st_size
    # M2: the original is untouched and its hash stands beside the copy's
    assert redaction.original_sha256 == recording.sha256 == original_sha256(recording)
    assert redaction.settings["style"] == "blur"
    assert redaction.settings["audio_ranges"] == [[0.5, 1.0, "mute"]]
    assert set(redaction.settings["hidden_tracks"]) == {t.pk for t in faces} | {manual.pk}
    assert redaction.model_versions["faces"].startswith("CenterFace")
    # the face is gone: the detector finds it in the original's frames, not in the copy's
    # (every frame of a copy is R2's test, tests/test_redaction_render.py)
    picked = (0, SECONDS * FPS // 2, SECONDS * FPS - 1)
    assert all(faces_in(original_path(recording), picked))
    assert not any(faces_in(copy, picked))

    services.sign_off(bureau.admin, redaction)
    redaction.refresh_from_db()
    assert (redaction.state, redaction.signed_off_by) == (State.SIGNED_OFF, bureau.admin)
    with services.open_copy(bureau.admin, redaction, ip="10.0.0.7") as delivered:
        assert hashlib.sha256(delivered.read()).hexdigest() == redaction.output_sha256
    assert actions(redaction) == [
        "redaction.request",
        "redaction.detect",
        "redaction.show_track",
        "redaction.hide_track",
        "redaction.add_box",
        "redaction.rerender",
        "redaction.render",
        "redaction.sign_off",
        "redaction.deliver",
    ]
    assert services.lineage_of(recording) == [redaction]


def test_cancelling_mid_render_leaves_no_file_and_the_copy_cancelled(
    bureau, clip, settings, monkeypatch
):
    recording = video(bureau, clip[0])
    redaction = ask(bureau.admin, recording, audio_ranges=[])
    run_jobs()
    services.rerender(bureau.admin, redaction)
    settings.AVRECORDS_REDACTION_MAX_FPS = FPS  # the 3 s clip takes 3 s of work to render
    real = redaction_jobs.Watch.progress

    def cancel_half_way(watch, fraction):
        real(watch, fraction)
        if 0 < fraction < 1 and watch.state == State.RENDERING and not watch._cancelled:
            services.cancel(bureau.admin, Redaction.objects.get(pk=watch.pk))
            watch._checked_at = 0.0  # the next look sees it at once

    monkeypatch.setattr(redaction_jobs.Watch, "progress", cancel_half_way)
    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.CANCELLED
    assert redaction.message == "已取消"
    assert (redaction.output_path, redaction.output_sha256) == ("", "")
    assert copies_on_disk(settings) == []  # neither the copy nor its .part
    assert Job.objects.get(kind="redaction.render").state == JobState.DONE
    assert actions(redaction)[-2:] == ["redaction.rerender", "redaction.cancel"]  # no render
    with pytest.raises(services.Conflict):
        services.rerender(bureau.admin, redaction)


def test_a_recording_without_video_is_refused_in_chinese_and_nothing_is_stored(bureau):
    sound = make(bureau, "3501001_350211_20261120093000_0002.WAV", media_kind="audio")
    with pytest.raises(Invalid, match="该文件没有视频画面，无法脱敏"):
        ask(bureau.admin, sound)
    assert (
        not Redaction.objects.exists()
        and not Job.objects.filter(kind__startswith="redaction.").exists()
    )


def test_a_purged_original_cannot_be_redacted(bureau):
    gone = make(
        bureau,
        "3501001_350211_20261120093000_0008.MP4",
        video_codec="h264",
        duration_seconds=SECONDS,
        purged_at=timezone.now(),
    )
    with pytest.raises(Invalid, match="原始文件已按保存期限清除"):
        ask(bureau.admin, gone)
    assert not Redaction.objects.exists()


def test_a_four_hour_file_is_refused_unless_a_segment_is_chosen(bureau):
    long = make(
        bureau,
        "3501001_350211_20261120093000_0003.MP4",
        video_codec="h264",
        width=1280,
        duration_seconds=4 * 3600,
    )
    with pytest.raises(Invalid) as refused:
        ask(bureau.admin, long, audio_ranges=[])
    assert refused.value.message == (
        "该记录时长超过 2 小时，请选择需要提供的时间段（不超过 2 小时）"
    )
    with pytest.raises(Invalid, match="所选时间段超过 2 小时"):
        ask(bureau.admin, long, audio_ranges=[], start_seconds=600, end_seconds=600 + 3 * 3600)
    assert (
        not Redaction.objects.exists()
        and not Job.objects.filter(kind__startswith="redaction.").exists()
    )
    chosen = ask(bureau.admin, long, audio_ranges=[], start_seconds=3600, end_seconds=5400)
    assert (chosen.start_seconds, chosen.end_seconds) == (3600, 5400)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"targets": []}, "targets", "请选择需要遮盖的内容"),
        ({"style": "paint"}, "style", "请选择遮盖方式"),
        ({"purpose": "  "}, "purpose", "请填写用途"),
        ({"end_seconds": 9}, "end_seconds", "终点超出记录时长"),
        ({"start_seconds": 2, "end_seconds": 1}, "end_seconds", "终点应晚于起点"),
        ({"audio_ranges": [[0.5, 2.5, "mute"], [2, 2.8, "distort"]]}, "audio_ranges", "重叠"),
        (
            {"start_seconds": 1, "audio_ranges": [[0.5, 0.8, "mute"]]},
            "audio_ranges",
            "第 1 段声音处理超出所选时间段",
        ),
        ({"audio_ranges": [[1, 0.5, "mute"]]}, "audio_ranges", "结束时间应晚于开始时间"),
        ({"audio_ranges": [[0, 1, "loud"]]}, "audio_ranges", "静音或变声"),
    ],
)
def test_a_request_that_cannot_be_made_as_asked_says_why_by_field(bureau, changes, field, reason):
    recording = make(
        bureau,
        "3501001_350211_20261120093000_0004.MP4",
        video_codec="h264",
        width=1280,
        duration_seconds=SECONDS,
    )
    with pytest.raises(Invalid) as refused:
        ask(bureau.admin, recording, **changes)
    assert reason in refused.value.fields[field]
    assert not Redaction.objects.exists()


def test_an_unreadable_file_fails_with_the_chinese_message_and_no_retry(bureau, settings):
    broken = video(
        bureau, b"\x00not a video at all" * 200, "3501001_350211_20261120093000_0005.MP4"
    )
    redaction = ask(bureau.admin, broken)
    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.FAILED
    assert redaction.message == "文件已损坏或格式无法识别，无法脱敏"
    job = Job.objects.get(kind="redaction.detect")
    assert (job.state, job.attempts) == (JobState.DONE, 1)
    assert not redaction.tracks.exists() and copies_on_disk(settings) == []
    assert actions(redaction) == ["redaction.request", "redaction.fail"]


def test_an_officer_cannot_ask_for_a_copy_of_his_own_recording(bureau):
    recording = make(bureau, "3501001_350211_20261120093000_0006.MP4", video_codec="h264")
    assert not services.may_request(bureau.officer, recording)
    with pytest.raises(Forbidden, match="不能对本人的音像记录"):
        ask(bureau.officer, recording)
    # nor may a unit head, who approves copies but does not carry them out (004§20)
    head = make(
        bureau,
        "3501004_350212_20261120093000_0001.MP4",
        officer=bureau.other_officer,
        video_codec="h264",
    )
    assert services.why_not(bureau.head2, head) == "应由设备及音像资料管理员办理"
    assert not Redaction.objects.exists()


def test_another_units_administrator_cannot_see_the_copy(bureau, clip):
    recording = video(bureau, clip[0])
    redaction = ask(bureau.admin, recording)
    other = bureau.other_admin  # 周敏, squad 2
    with pytest.raises(NotFound):
        Redaction.objects.get_visible(other, redaction.pk)
    with pytest.raises(NotFound):
        services.cancel(other, redaction)
    with pytest.raises(NotFound):
        ask(other, recording)
    # the bureau's administrator, over both squads, may act on it
    assert Redaction.objects.get_visible(bureau.bureau_admin, redaction.pk) == redaction
    assert services.may_review(bureau.bureau_admin, redaction)


def test_the_copy_leaves_only_through_a_live_release_to_its_requester(bureau, clip, settings):
    recording = video(bureau, clip[0])
    redaction = ask(bureau.admin, recording, audio_ranges=[])
    run_jobs()
    services.rerender(bureau.admin, redaction)
    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.READY
    # a change after the copy was made sends it back to review: sign-off waits for a new one
    services.set_hidden(bureau.admin, redaction.tracks.first(), False)
    redaction.refresh_from_db()
    assert redaction.state == State.REVIEW
    with pytest.raises(services.Conflict, match="待复核"):
        services.sign_off(bureau.admin, redaction)
    services.rerender(bureau.admin, redaction)
    stale = redaction_jobs.copy_path(redaction, 9).with_suffix(".mp4.part")
    stale.write_bytes(b"a killed worker's half copy")
    run_jobs()
    redaction.refresh_from_db()
    assert (redaction.state, redaction.renders) == (State.READY, 2)
    assert redaction.output_path.endswith("copy-2.mp4")
    # the first copy and the dead worker's part are gone
    assert [p.name for p in copies_on_disk(settings)] == ["copy-2.mp4"]
    release = types.SimpleNamespace(
        pk=99,
        kind="redacted",
        status="active",
        requester_id=bureau.leader.pk,
        valid_until=timezone.now() + timedelta(days=1),
        redaction_id=redaction.pk,  # the copy it carries
    )
    with pytest.raises(Forbidden, match="提供脱敏副本"):  # not signed off yet
        services.open_copy(bureau.leader, redaction, request=release)
    services.sign_off(bureau.admin, redaction)
    redaction.refresh_from_db()
    with services.open_copy(bureau.leader, redaction, ip="10.0.0.9", request=release) as fh:
        assert fh.read(4)
    delivered = AuditEntry.objects.filter(action="redaction.deliver").get()
    assert (delivered.actor, delivered.detail["request"]) == (bureau.leader, 99)
    for wrong in (
        {"requester_id": bureau.admin.pk},
        {"kind": "copy"},
        {"valid_until": timezone.now() - timedelta(minutes=1)},
        {"redaction_id": redaction.pk + 1},
        {"status": "approved"},
    ):
        with pytest.raises(Forbidden):
            services.open_copy(
                bureau.leader,
                redaction,
                request=types.SimpleNamespace(**{**vars(release), **wrong}),
            )
    with pytest.raises(Forbidden):  # no release and no reviewer: nothing
        services.open_copy(bureau.leader, redaction)
    assert AuditEntry.objects.filter(action="redaction.deliver").count() == 1


@override_settings(AVRECORDS_REDACTION_MAX_SECONDS=3600)
def test_the_limit_follows_the_setting(bureau):
    recording = make(
        bureau,
        "3501001_350211_20261120093000_0007.MP4",
        video_codec="h264",
        duration_seconds=5000,
    )
    with pytest.raises(Invalid, match="该记录时长超过 1 小时"):
        ask(bureau.admin, recording, audio_ranges=[])


def test_a_running_job_saves_progress_and_time_left_about_once_a_second(bureau, monkeypatch):
    recording = make(
        bureau,
        "3501001_350211_20261120093000_0009.MP4",
        video_codec="h264",
        duration_seconds=SECONDS,
    )
    redaction = ask(bureau.admin, recording)
    Redaction.objects.filter(pk=redaction.pk).update(state=State.DETECTING)
    now = [1000.0]
    monkeypatch.setattr(redaction_jobs.time, "monotonic", lambda: now[0])
    watch = redaction_jobs.Watch(redaction, State.DETECTING, frames_total=100)

    def saved():
        return Redaction.objects.values_list("progress", "eta_seconds").get(pk=redaction.pk)

    now[0] += 10
    watch.progress(0.25)  # 10 s for a quarter: 30 s left
    assert saved() == (0.25, pytest.approx(30.0))
    now[0] += 0.4
    watch.progress(0.3)  # too soon: not saved
    assert saved()[0] == 0.25
    now[0] += 0.7
    watch.progress(0.5)
    assert saved() == (0.5, pytest.approx(11.1))
    assert not watch.cancelled()
    services.cancel(bureau.admin, redaction)
    now[0] += 0.6
    assert watch.cancelled()
    watch.progress(0.9)  # a cancelled copy's progress is left as it was
    assert saved()[0] == 0.5


def test_a_render_the_worker_gave_up_on_goes_back_to_review_when_looked_at(bureau, clip):
    """A worker that kept dying leaves the render job failed by the reaper after its last
    attempt; the copy must not wait in 生成中 forever: when looked at it goes back to 待复核
    with its boxes, says why, and the step is audited."""
    recording = video(bureau, clip[0])
    redaction = ask(bureau.admin, recording, audio_ranges=[])
    run_jobs()
    services.rerender(bureau.admin, redaction)
    Job.objects.filter(kind="redaction.render").update(
        state=JobState.FAILED, error="worker w1 stopped responding on the last attempt"
    )
    Redaction.objects.filter(pk=redaction.pk).update(state=State.RENDERING)
    page = client_for(bureau.admin).get(f"/redactions/{redaction.pk}/")
    assert page.status_code == 200
    redaction.refresh_from_db()
    assert redaction.state == State.REVIEW and redaction.tracks.exists()
    assert redaction.message == "生成副本时后台处理多次中断，未能完成，请重新生成"
    assert "生成副本时后台处理多次中断" in page.content.decode()
    assert actions(redaction)[-1] == "redaction.abandoned"


def test_everything_but_the_marked_person_hides_the_scene_and_keeps_him(bureau, clip, settings):
    """Issue 21 §2, "everything except marked people": the faces found are offered to mark;
    the one marked 不遮盖 stays clear in the copy and the rest of the picture is hidden; the
    lineage names what was kept."""
    data, boxes = clip
    recording = video(bureau, data)
    redaction = ask(bureau.admin, recording, targets=["others"], audio_ranges=[])
    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.REVIEW, redaction.message
    (face,) = redaction.tracks.filter(kind="face")
    assert "CenterFace" in redaction.model_versions["faces"]
    services.set_hidden(bureau.admin, face, False)
    services.rerender(bureau.admin, redaction)
    run_jobs()
    redaction.refresh_from_db()
    assert redaction.state == State.READY, redaction.message
    assert redaction.settings["shown_tracks"] == [face.pk]
    copy = Path(settings.AVRECORDS_DERIVED_PATH) / redaction.output_path
    before = next(iter(frames_of(original_path(recording))))
    after = next(iter(frames_of(copy)))
    height, width = after.shape[:2]
    x, y, w, h = boxes[0]
    inner = (
        slice(int(y * height) + 4, int((y + h) * height) - 4),
        slice(int(x * width) + 4, int((x + w) * width) - 4),
    )
    assert abs(after[inner].astype(int) - before[inner].astype(int)).mean() < 8
    assert abs(after.astype(int) - before.astype(int)).mean() > 6  # the scene is hidden
