"""The renderer of redacted copies (issue 21; 000§19, 001§25, 003§14, 004§21; M2).

One generated clip (the astronaut's face crossing a 720p frame, speech over a noise bed) is
rendered twice per module: blurred over its whole length with one muted and one distorted
stretch of sound, and masked over a chosen segment. Every other test is a refusal, which
stops before a frame is decoded, or a short render.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from avrecords.lib.redaction import render as r
from avrecords.lib.redaction.errors import Cancelled, NoVideo, TooLong, Unreadable
from avrecords.lib.redaction.tracker import Box, TrackData
from tests import redaction_media as media

FPS = 5
SECONDS = 3
MUTE = (1.0, 2.0)
DISTORT = (2.3, 2.8)
WINDOW = 0.010
EDGE = 0.020


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _track(boxes, fps=FPS) -> TrackData:
    return TrackData(
        kind="face", boxes=[Box(i / fps, *box) for i, box in enumerate(boxes)], label="人脸 1"
    )


def _sound(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        blocks = [f.to_ndarray()[0] for f in container.decode(stream)]
        return np.concatenate(blocks).astype(np.float64), stream.codec_context.sample_rate


def _window_rms(samples: np.ndarray, rate: int) -> np.ndarray:
    size = int(rate * WINDOW)
    usable = samples[: samples.size // size * size]
    return np.sqrt(np.mean(usable.reshape(-1, size) ** 2, axis=1))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("redaction")
    path, boxes = media.make_face_clip(folder / "face.mp4", seconds=SECONDS, fps=FPS)
    return {"path": path, "boxes": boxes, "sha256": _sha256(path), "folder": folder}


@pytest.fixture(scope="module")
def blurred(clip):
    dest = clip["folder"] / "out" / "blurred.mp4"
    seen = []
    result = r.render(
        clip["path"],
        dest,
        tracks=[_track(clip["boxes"])],
        style="blur",
        audio_ranges=[(*MUTE, "mute"), (*DISTORT, "distort")],
        progress=seen.append,
    )
    return {"dest": dest, "result": result, "progress": seen}


@pytest.fixture(scope="module")
def masked(clip):
    dest = clip["folder"] / "out" / "masked.mp4"
    result = r.render(
        clip["path"],
        dest,
        tracks=[_track(clip["boxes"])],
        style="mask",
        audio_ranges=[(1.4, 1.6, "mute")],
        start_seconds=1.0,
        end_seconds=2.0,
        max_seconds=1.0,
    )
    return {"dest": dest, "result": result}


def test_the_detector_finds_the_face_of_the_original_where_the_clip_says(clip):
    from avrecords.lib.redaction import faces

    frames = list(media.frames_of(clip["path"]))
    assert len(frames) == SECONDS * FPS
    for n in (0, len(frames) // 2, len(frames) - 1):
        assert media.covered(clip["boxes"][n], faces.detect(frames[n]), 0.8), f"frame {n}"


def test_no_face_is_found_in_any_frame_of_the_blurred_copy(blurred):
    found = media.face_boxes_in(blurred["dest"])
    assert len(found) == SECONDS * FPS
    assert [n for n, boxes in enumerate(found) if boxes] == []


def test_the_copy_is_an_h264_and_aac_mp4_as_long_as_the_original(clip, blurred):
    import av

    with av.open(str(blurred["dest"])) as container:
        assert "mp4" in container.format.name
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert abs(blurred["result"].duration_seconds - SECONDS) <= 0.1
    assert abs(r.probe(blurred["dest"]).duration_seconds - SECONDS) <= 0.1
    assert blurred["result"].frames == SECONDS * FPS


def test_the_recorded_hash_and_size_are_the_copys_and_the_original_is_untouched(clip, blurred):
    dest = blurred["dest"]
    assert blurred["result"].sha256 == _sha256(dest)
    assert blurred["result"].size_bytes == dest.stat().st_size
    assert _sha256(clip["path"]) == clip["sha256"]
    assert not dest.with_name(dest.name + ".part").exists()


def test_progress_rises_to_one(blurred):
    seen = blurred["progress"]
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def test_the_sound_is_silent_exactly_in_the_muted_range_and_unchanged_elsewhere(clip, blurred):
    before, rate = _sound(clip["path"])
    after, rate_after = _sound(blurred["dest"])
    assert rate_after == rate
    assert abs(after.size - before.size) <= rate * 0.05
    rms_before, rms_after = _window_rms(before, rate), _window_rms(after, rate)
    n = min(rms_before.size, rms_after.size)
    times = np.arange(n) * WINDOW
    silent = np.flatnonzero(rms_after[:n] < 1e-4)
    assert abs(times[silent[0]] - MUTE[0]) <= EDGE
    assert abs(times[silent[-1]] + WINDOW - MUTE[1]) <= EDGE
    inside = (times >= MUTE[0] + EDGE) & (times + WINDOW <= MUTE[1] - EDGE)
    assert np.all(rms_after[:n][inside] < 1e-4)
    away = np.ones(n, bool)
    for lo, hi in (MUTE, DISTORT):
        away &= (times + WINDOW <= lo - EDGE) | (times >= hi + EDGE)
    away &= times < SECONDS - 0.05
    ratio = rms_after[:n][away] / np.maximum(rms_before[:n][away], 1e-9)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.05)
    assert np.percentile(ratio, 5) > 0.7 and np.percentile(ratio, 95) < 1.4


def test_a_distorted_range_keeps_the_loudness_but_not_the_waveform(clip, blurred):
    before, rate = _sound(clip["path"])
    after, _ = _sound(blurred["dest"])
    lo, hi = (int((t) * rate) for t in (DISTORT[0] + EDGE, DISTORT[1] - EDGE))
    original, garbled = before[lo:hi], after[lo:hi]
    loudness = np.sqrt(np.mean(garbled**2)) / np.sqrt(np.mean(original**2))
    assert 0.5 < loudness < 2.0
    assert abs(np.corrcoef(original, garbled)[0, 1]) < 0.1


def test_a_masked_segment_is_the_mask_colour_in_the_box_and_as_long_as_chosen(clip, masked):
    frames = list(media.frames_of(masked["dest"]))
    assert len(frames) == FPS * 1 == masked["result"].frames
    assert abs(masked["result"].duration_seconds - 1.0) <= 0.1
    for n, rgb in enumerate(frames):
        height, width = rgb.shape[:2]
        x, y, w, h = clip["boxes"][FPS + n]  # the copy starts at 1.0 s of the source
        inner = rgb[
            int(y * height) + 4 : int((y + h) * height) - 4,
            int(x * width) + 4 : int((x + w) * width) - 4,
        ]
        assert inner.size and np.abs(inner.astype(int)).max() <= 24, f"frame {n}"


def test_the_same_settings_give_the_same_copy_byte_for_byte(clip, masked):
    again = r.render(
        clip["path"],
        clip["folder"] / "again.mp4",
        tracks=[_track(clip["boxes"])],
        style="mask",
        audio_ranges=[(1.4, 1.6, "mute")],
        start_seconds=1.0,
        end_seconds=2.0,
    )
    assert again.sha256 == masked["result"].sha256


def test_a_muted_range_falls_at_its_place_in_a_copy_of_a_segment(masked):
    after, rate = _sound(masked["dest"])
    assert abs(after.size / rate - 1.0) <= 0.05
    rms = _window_rms(after, rate)
    silent = np.flatnonzero(rms < 1e-4) * WINDOW
    assert abs(silent[0] - 0.4) <= EDGE and abs(silent[-1] + WINDOW - 0.6) <= EDGE
    assert np.all(rms[: int(0.4 / WINDOW) - 2] > 1e-3)


def test_no_text_is_found_on_the_blurred_plate_and_id_card(tmp_path):
    from avrecords.lib.redaction import text

    path, truth = media.make_plate_clip(tmp_path / "plate.mp4", seconds=0.6, fps=FPS)
    assert media.covered(truth["plate"][0], text.detect(next(media.frames_of(path))))
    tracks = [
        TrackData(kind="text", boxes=[Box(i / FPS, *b) for i, b in enumerate(truth[key])])
        for key in ("plate", "card")
    ]
    r.render(path, tmp_path / "copy.mp4", tracks=tracks, style="blur")
    found = [text.detect(rgb) for rgb in media.frames_of(tmp_path / "copy.mp4")]
    assert len(found) == 3 and not any(found)


def test_it_reads_from_an_open_file_and_keeps_a_copy_without_sound_silent(tmp_path):
    import av

    from tests import notice_audio

    path = notice_audio.write_video_without_audio(tmp_path / "mute.mp4", seconds=1.0)
    with open(path, "rb") as source:
        result = r.render(source, tmp_path / "copy.mp4", tracks=[], style="mask")
    assert result.frames == 5
    with av.open(str(tmp_path / "copy.mp4")) as container:
        assert not container.streams.audio
        assert container.streams.video[0].codec_context.name == "h264"


def test_an_odd_sized_rgb_source_with_pcm_sound_is_rendered(tmp_path):
    import av

    path = tmp_path / "odd.mkv"
    with av.open(str(path), "w") as out:
        video = out.add_stream("ffv1", rate=5)
        video.width, video.height, video.pix_fmt = 321, 241, "bgr0"
        sound = out.add_stream("pcm_s16le", rate=8000)
        sound.layout = "mono"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(
                np.full((241, 321, 3), 100 + 20 * i, np.uint8), format="rgb24"
            )
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        tone = (np.sin(np.arange(8000) / 8000 * 2 * np.pi * 300) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(tone[None, :], format="s16", layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        out.mux(sound.encode(frame))
        out.mux(sound.encode(None))
    box = TrackData(kind="manual", boxes=[Box(0.0, 0.0, 0.0, 0.5, 0.5), Box(1.0, 0, 0, 0.5, 0.5)])
    result = r.render(path, tmp_path / "copy.mp4", tracks=[box], style="mask")
    assert result.frames == 5
    info = r.probe(tmp_path / "copy.mp4")
    assert (info.width, info.height, info.has_audio) == (320, 240, True)
    first = next(media.frames_of(tmp_path / "copy.mp4"))
    assert first[:110, :150].max() <= 24 and first[130:, 170:].min() >= 80


def test_a_stretch_over_the_limit_is_refused_until_a_segment_is_chosen(clip, tmp_path):
    dest = tmp_path / "long.mp4"
    with pytest.raises(TooLong) as refused:
        r.render(clip["path"], dest, tracks=[], max_seconds=SECONDS - 1)
    assert "请选择需要提供的时间段" in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_cancelling_half_way_leaves_no_file_and_no_part(clip, tmp_path):
    dest = tmp_path / "cancelled.mp4"
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) >= 2  # the second look, about half a second into the work

    with pytest.raises(Cancelled) as stopped:
        r.render(clip["path"], dest, tracks=[], max_fps=FPS * 2, cancelled=cancelled)
    assert str(stopped.value) == "已取消"
    assert list(tmp_path.iterdir()) == []


def test_max_fps_holds_the_work_to_that_many_frames_a_second(clip, tmp_path):
    import time

    began = time.monotonic()
    result = r.render(
        clip["path"], tmp_path / "slow.mp4", tracks=[], end_seconds=1.0, max_fps=FPS * 2
    )
    assert result.frames == FPS
    assert time.monotonic() - began >= FPS / (FPS * 2) - 0.05


def test_a_file_without_video_is_refused_in_chinese(tmp_path):
    import av

    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 16000), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = 16000, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(NoVideo) as refused:
        r.render(path, tmp_path / "copy.mp4", tracks=[])
    assert str(refused.value) == "该文件没有视频画面，无法脱敏"
    assert refused.value.log_message.endswith("has no video stream")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.m4a"]


@pytest.mark.parametrize("damage", ["noise", "truncated"])
def test_a_damaged_file_is_unreadable_and_nothing_is_written(clip, tmp_path, damage):
    data = clip["path"].read_bytes()
    path = tmp_path / "bad.mp4"
    path.write_bytes(
        np.random.default_rng(1).bytes(50_000) if damage == "noise" else data[: len(data) // 2]
    )
    with pytest.raises(Unreadable) as refused:
        r.render(path, tmp_path / "copy.mp4", tracks=[])
    assert "无法脱敏" in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def test_probe_reports_the_clip(clip):
    info = r.probe(clip["path"])
    assert (info.width, info.height, info.fps, info.has_audio) == (1280, 720, FPS, True)
    assert abs(info.duration_seconds - SECONDS) <= 0.1


def test_everything_but_a_marked_person_is_hidden(clip, tmp_path):
    """Issue 21 §2 "everything except marked people": the marked face stays as it was, the
    rest of the picture (bystanders, the place) is hidden."""
    dest = tmp_path / "others.mp4"
    r.render(
        clip["path"],
        dest,
        tracks=[],
        keep_tracks=[_track(clip["boxes"])],
        style="blur",
        start_seconds=1.0,
        end_seconds=2.0,
    )
    source = list(media.frames_of(clip["path"]))[FPS : 2 * FPS]
    for n, (before, after) in enumerate(zip(source, media.frames_of(dest), strict=True)):
        height, width = after.shape[:2]
        x, y, w, h = clip["boxes"][FPS + n]
        y0, y1 = int(y * height) + 6, int((y + h) * height) - 6
        x0, x1 = int(x * width) + 6, int((x + w) * width) - 6
        kept = np.abs(after[y0:y1, x0:x1].astype(int) - before[y0:y1, x0:x1].astype(int))
        assert kept.mean() < 6, f"frame {n}: the marked face changed"
        outside = np.ones((height, width), bool)
        outside[max(0, y0 - 40) : y1 + 40, max(0, x0 - 40) : x1 + 40] = False
        changed = np.abs(after.astype(int) - before.astype(int)).mean(axis=2)[outside]
        assert changed.mean() > 6, f"frame {n}: the rest of the picture was left clear"
