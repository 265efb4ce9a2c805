"""The browser proxy of a video (recordings.media.derive.make_video_proxy; M2, issue 22 §5):
what the player needs, and the same encoding choices as the ffmpeg command line it is
measured against (bench/proxy_bench.py)."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest
from av.video.frame import PictureType

from avrecords.demo import media
from avrecords.recordings.media.derive import make_video_proxy


def _all_intra_hevc(path, frames=30, fps=15):
    """H.265 whose every frame is a keyframe: the decoder tags each one I."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx265", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "x265-params": "keyint=1:log-level=error"}
        for i in range(frames):
            frame = media._video_frame(i, 320, 240)
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _picture_types(path):
    with av.open(str(path)) as c:
        return [PictureType(frame.pict_type).name for frame in c.decode(video=0)]


def test_it_makes_h264_aac_scaled_to_the_height_with_the_index_first(tmp_path):
    src = media.make_video(tmp_path / "in.mp4", seconds=2, codec="hevc", width=640, height=360)
    dest = tmp_path / "proxy.mp4"
    make_video_proxy(str(src), dest, 240)
    with av.open(str(dest)) as c:
        video, audio = c.streams.video[0], c.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.codec_context.width, video.codec_context.height) == (426, 240)
        assert video.codec_context.pix_fmt == "yuv420p"
        assert video.frames == 30
        assert c.duration / 1e6 == pytest.approx(2, abs=0.2)
    data = dest.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # playable before it has all arrived
    assert not list(tmp_path.glob(".proxy.mp4.*.part"))


def test_it_does_not_scale_up_a_picture_smaller_than_the_height(tmp_path):
    src = media.make_video(tmp_path / "in.mp4", seconds=1, codec="hevc", width=320, height=240)
    make_video_proxy(str(src), tmp_path / "proxy.mp4", 720)
    with av.open(str(tmp_path / "proxy.mp4")) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (320, 240)


def test_it_chooses_its_own_frame_types_instead_of_the_cameras(tmp_path):
    src = _all_intra_hevc(tmp_path / "intra.mp4")
    assert set(_picture_types(src)) == {"I"}
    dest = tmp_path / "proxy.mp4"
    make_video_proxy(str(src), dest, 240)
    types = _picture_types(dest)
    assert len(types) == 30
    assert types[0] == "I" and types.count("I") == 1  # one keyframe, as ffmpeg's x264 picks
    assert dest.stat().st_size < src.stat().st_size
