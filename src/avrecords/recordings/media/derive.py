"""Derived copies: thumbnails and browser-playable proxies (never the evidence; M2).

Every output is written to a temporary name and renamed into place, so a worker killed
mid-encode leaves nothing that looks finished, and the re-run starts over, removing the
killed run's partial file first.
"""

from __future__ import annotations

import glob
import os
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

# PyAV and Pillow are imported where a derivative is made, not when the module loads: the
# recordings app loads this module, and every `avrecords` command loads the app (issue 22 §1).

THUMBNAIL_PX = 320
PROXY_CRF = "26"


def _tmp(dest: Path) -> Path:
    """A temporary name beside `dest`, this process's own. Partial files of earlier runs for
    the same output go first: a job runs again only once it is claimed again, after the
    lease of the run that wrote them ran out (the worker was killed; its heartbeat keeps a
    live run's lease), so nothing writes them any more (issue 15, row 15)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f".{glob.escape(dest.name)}.*.part"):
        stale.unlink(missing_ok=True)
    return dest.with_name(f".{dest.name}.{os.getpid()}.part")


def _finish(tmp: Path, dest: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)


def make_photo_thumbnail(src: str | BinaryIO, dest: Path) -> None:
    from PIL import Image, ImageOps

    tmp = _tmp(dest)
    with Image.open(src) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
        img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        img.save(tmp, "JPEG", quality=85)
    _finish(tmp, dest)


def make_video_thumbnail(src: str | BinaryIO, dest: Path, duration_seconds: float) -> None:
    """A frame a tenth of the way in (the first frames are often the officer's chest)."""
    import av

    tmp = _tmp(dest)
    with av.open(src) as container:
        stream = container.streams.video[0]
        at = duration_seconds * 0.1
        if at > 0.5 and stream.time_base:
            container.seek(int(at / stream.time_base), stream=stream)
        frame = next(container.decode(stream))
        img = frame.to_image()
    img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    img.save(tmp, "JPEG", quality=85)
    _finish(tmp, dest)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _scaler(av, vin, width: int, height: int):
    """ffmpeg's own `scale` filter (bicubic, its default) to yuv420p, as `ffmpeg -vf scale`
    does: swscale's reformatter defaults to bilinear instead (issue 22 §5). The caller keeps
    the graph: its filters hold no reference to it, and pushing into a collected graph crashes."""
    graph = av.filter.Graph()
    source = graph.add_buffer(template=vin)
    scale = graph.add("scale", f"{width}:{height}")
    to_yuv = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    source.link_to(scale)
    scale.link_to(to_yuv)
    to_yuv.link_to(sink)
    graph.configure()
    return graph, source, sink


def _scaled(sink):
    """The frames the scaler has ready; their picture type cleared, as the ffmpeg command
    line does: the decoder tags each frame with the source's I/P/B type, and libx264 would
    follow the camera's GOP instead of choosing its own (2.6 times the bytes, same CRF, on
    the benchmark's clip)."""
    while True:
        try:
            frame = sink.pull()
        except (BlockingIOError, EOFError):
            return
        frame.pict_type = 0  # AV_PICTURE_TYPE_NONE: the encoder decides
        yield frame


def make_video_proxy(src: str | BinaryIO, dest: Path, max_height: int) -> None:
    """H.264/AAC MP4 with the index at the front, scaled down to max_height, same timeline.

    The same work as `ffmpeg -vf scale=-2:H -c:v libx264 -crf 26 -preset veryfast -c:a aac
    -movflags +faststart` (bench/proxy_bench.py measures the two, issue 22 §5)."""
    import av

    tmp = _tmp(dest)
    with (
        av.open(src) as inp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        vin = inp.streams.video[0]
        # Decode with frame and slice threads, as the ffmpeg command line does: PyAV decodes
        # on one thread unless told, and H.265 decoding is half the work (issue 22 §5).
        vin.thread_type = "AUTO"
        ain = inp.streams.audio[0] if inp.streams.audio else None
        height = min(vin.codec_context.height, max_height)
        width = _even(vin.codec_context.width * height / vin.codec_context.height)
        height = _even(height)
        rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        vout = out.add_stream("libx264", rate=rate)
        vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
        vout.options = {"crf": PROXY_CRF, "preset": "veryfast"}
        vout.codec_context.time_base = vin.time_base
        # x264's own frame threads (1.5 per core), as ffmpeg sets them; with PyAV's default
        # (slice threads only) x264 cuts every picture into one slice per core instead.
        vout.codec_context.thread_type = "AUTO"
        vout.codec_context.thread_count = 0
        aout = None
        if ain is not None:
            aout = out.add_stream("aac", rate=ain.codec_context.sample_rate or 48000)
            aout.layout = "stereo" if (ain.codec_context.channels or 1) > 1 else "mono"
        graph, source, sink = _scaler(av, vin, width, height)  # graph: kept alive to the end
        streams = [vin] + ([ain] if ain is not None else [])
        for packet in inp.demux(*streams):
            for frame in packet.decode():
                if packet.stream is vin:
                    source.push(frame)
                    for scaled in _scaled(sink):
                        out.mux(vout.encode(scaled))
                else:
                    frame.pts = None
                    out.mux(aout.encode(frame))
        source.push(None)
        for scaled in _scaled(sink):
            out.mux(vout.encode(scaled))
        out.mux(vout.encode(None))
        if aout is not None:
            out.mux(aout.encode(None))
    _finish(tmp, dest)


def make_audio_proxy(src: str | BinaryIO, dest: Path) -> None:
    """AAC in an M4A container, for formats browsers cannot play (AMR, some WAVs)."""
    import av

    tmp = _tmp(dest)
    with (
        av.open(src) as inp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        ain = inp.streams.audio[0]
        aout = out.add_stream("aac", rate=max(ain.codec_context.sample_rate or 16000, 16000))
        aout.layout = "mono" if (ain.codec_context.channels or 1) == 1 else "stereo"
        for frame in inp.decode(ain):
            frame.pts = None
            out.mux(aout.encode(frame))
        out.mux(aout.encode(None))
    _finish(tmp, dest)
