"""A reviewer's box, drawn on a paused frame, followed forward through the video.

The detectors miss things (a face from behind, a document held at an angle, a tattoo); the
reviewer drags a box and it must stay on the thing as it moves (000§19, 001§25, 003§14,
004§21). We follow it by template matching on downscaled grey frames, ten times a second:
the patch under the box is searched for near where it was, at three scales, and the template
is refreshed slowly from what was found. When the best match is weak the thing is lost (it
left the frame, or something hid it) and the track stops there; the reviewer can add a box
again further on.
"""

from __future__ import annotations

from avrecords.lib.redaction import errors
from avrecords.lib.redaction.detect import open_video
from avrecords.lib.redaction.tracker import Box, TrackData

WORK_WIDTH_PIXELS = 320
FOLLOW_FPS = 10.0
LOST_BELOW = 0.45
SCALES = (0.95, 1.0, 1.05)
SEARCH_MARGIN = 1.0  # search this many box sizes around the last position
TEMPLATE_BLEND = 0.15


def follow(source, *, t: float, box: tuple[float, float, float, float], seconds: float = 10.0):
    """TrackData(kind "manual") from the box at t (fractions x, y, w, h) for up to `seconds`."""
    x, y, w, h = (float(v) for v in box)
    if not (w > 0 and h > 0 and 0 <= x < 1 and 0 <= y < 1):
        raise ValueError(f"box must be fractions of the frame: {box}")
    w, h = min(w, 1 - x), min(h, 1 - y)
    keyframes = [Box(t, x, y, w, h, 1.0)]
    interval = 1.0 / FOLLOW_FPS
    matcher = None
    next_t = t
    for ft, grey in _grey_frames(source, t, t + seconds):
        if ft + 1e-6 < next_t:
            continue
        next_t = ft + interval
        if matcher is None:
            matcher = _Matcher(grey, (x, y, w, h))
            keyframes[0] = Box(ft, x, y, w, h, 1.0)
            continue
        found = matcher.step(grey)
        if found is None:
            break
        keyframes.append(Box(ft, *found))
    return TrackData("manual", keyframes, "手动框选", interval)


class _Matcher:
    def __init__(self, grey, box) -> None:
        height, width = grey.shape
        self.size = (width, height)
        x, y, w, h = box
        self.box = [x * width, y * height, max(4.0, w * width), max(4.0, h * height)]
        self.template = self._cut(grey, self.box).astype("float32")

    def _cut(self, grey, box):
        x, y, w, h = (int(round(v)) for v in box)
        return grey[max(0, y) : y + h, max(0, x) : x + w]

    def step(self, grey):
        """(x, y, w, h, score) fractions of the best match near the last box, or None if lost."""
        import cv2
        import numpy as np

        width, height = self.size
        x, y, w, h = self.box
        best = None
        for scale in SCALES:
            tw, th = max(4, int(round(w * scale))), max(4, int(round(h * scale)))
            template = cv2.resize(self.template, (tw, th), interpolation=cv2.INTER_AREA)
            sx1 = int(max(0, x - SEARCH_MARGIN * w))
            sy1 = int(max(0, y - SEARCH_MARGIN * h))
            sx2 = int(min(width, x + w + SEARCH_MARGIN * w))
            sy2 = int(min(height, y + h + SEARCH_MARGIN * h))
            window = grey[sy1:sy2, sx1:sx2]
            if window.shape[0] < th or window.shape[1] < tw:
                continue
            scores = cv2.matchTemplate(window.astype(np.float32), template, cv2.TM_CCOEFF_NORMED)
            _lo, score, _lo_at, (mx, my) = cv2.minMaxLoc(scores)
            if best is None or score > best[0]:
                best = (score, [sx1 + mx, sy1 + my, float(tw), float(th)])
        if best is None or not np.isfinite(best[0]) or best[0] < LOST_BELOW:
            return None
        score, self.box = best
        seen = self._cut(grey, self.box).astype("float32")
        template = cv2.resize(self.template, (seen.shape[1], seen.shape[0]))
        self.template = (1 - TEMPLATE_BLEND) * template + TEMPLATE_BLEND * seen
        bx, by, bw, bh = self.box
        return bx / width, by / height, bw / width, bh / height, float(score)


def _grey_frames(source, start: float, end: float):
    import av

    container, stream = open_video(source)
    try:
        if start > 0 and stream.time_base is not None:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        width = min(WORK_WIDTH_PIXELS, stream.codec_context.width or WORK_WIDTH_PIXELS)
        height = None
        try:
            for frame in container.decode(stream):
                if frame.time is None or frame.time + 1e-6 < start:
                    continue
                if frame.time > end:
                    break
                if height is None:
                    height = max(2, int(round(frame.height * width / frame.width / 2)) * 2)
                yield float(frame.time), frame.to_ndarray(format="gray", width=width, height=height)
        except av.FFmpegError as exc:
            raise errors.Unreadable(log_message=f"decoding {source} failed: {exc}") from exc
    finally:
        container.close()
