"""Tracks: detections on a subsample of frames joined into moving boxes, and the box at t.

Detectors run a few times a second (detect.py), never on every frame, so the work does not
grow with the frame rate. The tracker joins each round of detections to the live tracks by
overlap with where each track is predicted to be (constant velocity from its last two
keyframes); a track survives a few rounds with no detection (a face turned away, motion blur)
and the gap is bridged by interpolation. `box_at` gives the box for any frame: linear between
keyframes, extended half a detection interval past both ends (a moving face stays covered
until the next round would have seen it), padded so the box covers hair and chin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_INTERVAL_SECONDS = 0.2
MATCH_IOU = 0.1
MAX_MISSED_ROUNDS = 3
PADDING = {"face": 0.2, "plate": 0.15, "text": 0.15, "manual": 0.05}
KIND_LABELS = {"face": "人脸", "plate": "车牌", "text": "车牌/证件文字", "manual": "手动框选"}


@dataclass
class Box:
    """One keyframe: t seconds from the start of the source; x, y, w, h fractions 0..1."""

    t: float
    x: float
    y: float
    w: float
    h: float
    score: float = 1.0


@dataclass
class TrackData:
    """One thing to hide through time: its kind, its keyframes in time order, a Chinese label."""

    kind: str
    boxes: list[Box]
    label: str = ""
    # Seconds between detection rounds when detected; box_at extends the ends by half of it.
    interval: float = DEFAULT_INTERVAL_SECONDS

    @property
    def start(self) -> float:
        return self.boxes[0].t

    @property
    def end(self) -> float:
        return self.boxes[-1].t


def box_at(track: TrackData, t: float) -> tuple[float, float, float, float] | None:
    """The padded box (x, y, w, h fractions, clipped to the frame) at t; None outside the span."""
    boxes = track.boxes
    if not boxes:
        return None
    margin = track.interval / 2
    if t < boxes[0].t - margin or t > boxes[-1].t + margin:
        return None
    if len(boxes) == 1:
        raw = _xywh(boxes[0])
    elif t <= boxes[0].t:
        raw = _extrapolate(boxes[1], boxes[0], t)
    elif t >= boxes[-1].t:
        raw = _extrapolate(boxes[-2], boxes[-1], t)
    else:
        raw = _interpolate(boxes, t)
    return _pad(raw, PADDING.get(track.kind, 0.1))


def _xywh(box: Box) -> tuple[float, float, float, float]:
    return box.x, box.y, box.w, box.h


def _interpolate(boxes: list[Box], t: float):
    lo, hi = 0, len(boxes) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if boxes[mid].t <= t:
            lo = mid
        else:
            hi = mid
    a, b = boxes[lo], boxes[hi]
    span = b.t - a.t
    f = 0.0 if span <= 0 else (t - a.t) / span
    return tuple(va + (vb - va) * f for va, vb in zip(_xywh(a), _xywh(b), strict=True))


def _extrapolate(before: Box, edge: Box, t: float):
    """Carry the edge keyframe on at its last speed (only up to half an interval away)."""
    span = edge.t - before.t
    if span == 0:
        return _xywh(edge)
    f = (t - edge.t) / span
    size = [
        max(v + (v - vb) * f, v * 0.5)
        for v, vb in zip(_xywh(edge)[2:], _xywh(before)[2:], strict=True)
    ]
    x = edge.x + (edge.x - before.x) * f
    y = edge.y + (edge.y - before.y) * f
    return x, y, size[0], size[1]


def _pad(raw, pad: float):
    x, y, w, h = raw
    x1 = max(0.0, x - w * pad)
    y1 = max(0.0, y - h * pad)
    x2 = min(1.0, x + w * (1 + pad))
    y2 = min(1.0, y + h * (1 + pad))
    if x2 <= x1 or y2 <= y1:
        return None
    return x1, y1, x2 - x1, y2 - y1


def iou(a, b) -> float:
    ax, ay, aw, ah = a[:4]
    bx, by, bw, bh = b[:4]
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Live:
    kind: str
    boxes: list[Box] = field(default_factory=list)
    missed: int = 0

    def predicted(self, t: float):
        if len(self.boxes) == 1:
            return _xywh(self.boxes[-1])
        return _extrapolate(self.boxes[-2], self.boxes[-1], t)


class Tracker:
    """Joins rounds of detections of one kind into tracks (greedy IoU with prediction)."""

    def __init__(self, kind: str, *, interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self.kind = kind
        self.interval = interval
        self._live: list[_Live] = []
        self._done: list[_Live] = []

    def update(self, t: float, detections) -> None:
        """One detection round at t: detections are (x, y, w, h, score) fractions."""
        pairs = []
        for ti, live in enumerate(self._live):
            guess = live.predicted(t)
            for di, det in enumerate(detections):
                overlap = iou(_grown(guess), det)
                if overlap >= MATCH_IOU:
                    pairs.append((overlap, ti, di))
        pairs.sort(reverse=True)
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        for _overlap, ti, di in pairs:
            if ti in used_tracks or di in used_dets:
                continue
            used_tracks.add(ti)
            used_dets.add(di)
            live = self._live[ti]
            live.boxes.append(Box(t, *detections[di][:5]))
            live.missed = 0
        still = []
        for ti, live in enumerate(self._live):
            if ti not in used_tracks:
                live.missed += 1
            (self._done if live.missed > MAX_MISSED_ROUNDS else still).append(live)
        for di, det in enumerate(detections):
            if di not in used_dets:
                still.append(_Live(self.kind, [Box(t, *det[:5])]))
        self._live = still

    def finish(self) -> list[TrackData]:
        """All tracks, in order of first appearance, labelled "人脸 1", "人脸 2"…"""
        everything = sorted(self._done + self._live, key=lambda live: live.boxes[0].t)
        self._done, self._live = [], []
        word = KIND_LABELS.get(self.kind, self.kind)
        return [
            TrackData(self.kind, live.boxes, f"{word} {n}", self.interval)
            for n, live in enumerate(everything, start=1)
        ]


def _grown(box, factor: float = 0.5):
    """A prediction grown by half its size each side: fast motion still overlaps."""
    x, y, w, h = box[:4]
    return x - w * factor, y - h * factor, w * (1 + 2 * factor), h * (1 + 2 * factor)
