"""Text in one frame: number plates, ID cards, screens (PP-OCRv4 detector, no recogniser).

The detector (the `rapidocr-onnxruntime` wheel's ch_PP-OCRv4_det_infer.onnx) gives a map of
"text here" probabilities; DB post-processing turns it into boxes: threshold the map, find the
connected regions, keep those whose mean probability is high enough, and grow each by the
"unclip" distance (area x ratio / perimeter), since DB is trained on shrunk text regions. We
keep upright rectangles: a redaction box covers the rotated text around it. What it reads
does not matter; where text is, is hidden (000§19, 001§25, 003§14, 004§21).
"""

from __future__ import annotations

from avrecords.lib.redaction import models

MAX_SIDE_PIXELS = 960
BINARY_THRESHOLD = 0.3
BOX_THRESHOLD = 0.5
UNCLIP_RATIO = 1.6
MIN_SIDE_PIXELS = 3
MEAN = 0.5
STD = 0.5


def detect(frame_rgb, *, max_side: int = MAX_SIDE_PIXELS, box_threshold: float = BOX_THRESHOLD):
    """Text regions in an RGB frame: [(x, y, w, h, score)], x..h fractions 0..1."""
    import cv2
    import numpy as np

    blob, in_w, in_h = _blob(frame_rgb, max_side)
    session = models.session(models.TEXT)
    (prob,) = session.run(None, {session.get_inputs()[0].name: blob})
    prob = prob[0, 0]
    bitmap = cv2.dilate((prob > BINARY_THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(bitmap, connectivity=8)
    found = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if min(w, h) < MIN_SIDE_PIXELS:
            continue
        region = labels[y : y + h, x : x + w] == label
        score = float(prob[y : y + h, x : x + w][region].mean())
        if score < box_threshold:
            continue
        # DB's unclip: the detector marks a shrunk core; grow it back by area*ratio/perimeter.
        grow = area * UNCLIP_RATIO / max(2 * (w + h), 1)
        x1 = max(0.0, x - grow)
        y1 = max(0.0, y - grow)
        x2 = min(float(in_w), x + w + grow)
        y2 = min(float(in_h), y + h + grow)
        if _blob_not_line(x2 - x1, y2 - y1, in_h):
            continue
        found.append((x1 / in_w, y1 / in_h, (x2 - x1) / in_w, (y2 - y1) / in_h, score))
    return found


# DB marks lines of text (a plate, a line of an ID card, a caption): wide, or tall and narrow
# for vertical signs. A squarish region taller than this share of the frame is a picture
# with a hard edge (a poster, a pasted photo), not a line: it would blur a whole person.
SQUARISH_ASPECT = (0.6, 1.25)
LINE_MAX_HEIGHT_SHARE = 0.12


def _blob_not_line(width: float, height: float, frame_height: int) -> bool:
    aspect = width / max(height, 1e-6)
    low, high = SQUARISH_ASPECT
    return low < aspect < high and height > LINE_MAX_HEIGHT_SHARE * frame_height


def _blob(frame_rgb, max_side: int):
    import cv2
    import numpy as np

    height, width = frame_rgb.shape[:2]
    ratio = min(1.0, max_side / max(height, width))
    in_w = max(32, int(round(width * ratio / 32) * 32))
    in_h = max(32, int(round(height * ratio / 32) * 32))
    if (in_w, in_h) != (width, height):
        frame_rgb = cv2.resize(frame_rgb, (in_w, in_h), interpolation=cv2.INTER_AREA)
    data = (frame_rgb.astype(np.float32) * (1 / 255.0) - MEAN) / STD
    return np.ascontiguousarray(data.transpose(2, 0, 1)[None]), in_w, in_h
