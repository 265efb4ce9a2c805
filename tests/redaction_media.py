"""Test clips for redacted copies (issue 21; 000§19, 001§25, 003§14, 004§21; M2).

Every redaction test and the benchmark make their media here, from what ships inside
installed packages, so nothing is downloaded and each clip is the same on every run:

    path, boxes = make_face_clip(tmp_path / "face.mp4", seconds=2, fps=10)
    # boxes[i] = (x, y, w, h): the astronaut's face in frame i, fractions of the frame
    path, boxes = make_plate_clip(tmp_path / "plate.mp4")
    # boxes["plate"][i], boxes["card"][i]: the number plate and the ID card in frame i
    found = face_boxes_in(path)  # the face detector run on every frame of a file

The face is the one in ``skimage.data.astronaut()`` (CenterFace finds it at x 182-270,
y 58-178 of the 512x512 image), cut out with its hair and collar, then moved and scaled over
a textured background. The audio is Mandarin speech from espeak-ng (tests/notice_audio.py)
over a quiet noise bed, so every 10 ms of the clip has some energy; without espeak-ng a
tone keeps the same shape. H.264 + AAC MP4, like a body camera's.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

# The astronaut patch: rows 0-220, cols 130-330 of the 512x512 image.
PATCH_ROWS = (0, 220)
PATCH_COLS = (130, 330)
# The face inside the patch (pixels of the patch): CenterFace's box with a little margin.
FACE_IN_PATCH = (46, 52, 98, 132)  # x, y, w, h

AUDIO_RATE = 48000

PLATE_TEXT = "京A·12345"
CARD_TITLE = "居民身份证"
CARD_NAME = "姓名  李明华"
CARD_NUMBER = "公民身份号码  110101199003074518"

PLATE_BLUE = (0, 61, 165)
CARD_COLOUR = (214, 226, 236)


def _background(width: int, height: int) -> np.ndarray:
    """A wall-and-floor scene with texture, so blur and masks are seen against something."""
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    rng = np.random.default_rng(21)
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 150 + 40 * x - 30 * y
    img[..., 1] = 140 + 20 * np.sin(6 * x) + 10 * y
    img[..., 2] = 120 + 30 * y
    img[int(height * 0.7) :, :, :] *= 0.6  # the floor
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _soundtrack(seconds: float, with_speech: bool) -> np.ndarray:
    """Mono float32 at AUDIO_RATE: speech (or a tone) over a quiet noise bed, `seconds` long."""
    from tests import notice_audio

    size = int(round(seconds * AUDIO_RATE))
    rng = np.random.default_rng(7)
    bed = rng.normal(0, 0.01, size).astype(np.float32)
    if not with_speech:
        return bed
    if notice_audio.ESPEAK is not None:
        speech = notice_audio.speak(notice_audio.NOTICE_TEXT)
        voice = notice_audio.resample(speech, notice_audio.SAMPLE_RATE, AUDIO_RATE)
        voice = np.tile(voice, int(np.ceil(size / max(voice.size, 1))) + 1)[:size]
        voice = voice * (0.5 / max(float(np.max(np.abs(voice))), 1e-6))
    else:
        t = np.arange(size, dtype=np.float32) / AUDIO_RATE
        voice = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    return (voice + bed).astype(np.float32)


def _write_mp4(path: Path, frames, count: int, size, fps: int, audio: np.ndarray | None) -> None:
    import av

    width, height = size
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "18"}
        astream = None
        if audio is not None:
            astream = out.add_stream("aac", rate=AUDIO_RATE)
            astream.layout = "stereo"
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(frames(i), format="rgb24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if astream is not None:
            block = 1024
            stereo = np.stack([audio, audio * 0.9]).astype(np.float32)
            for start in range(0, audio.size, block):
                chunk = np.ascontiguousarray(stereo[:, start : start + block])
                af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                af.sample_rate = AUDIO_RATE
                af.pts = start
                af.time_base = Fraction(1, AUDIO_RATE)
                out.mux(astream.encode(af))
            out.mux(astream.encode(None))


def make_face_clip(
    path: Path | str,
    *,
    seconds: float = 6,
    size: tuple[int, int] = (1280, 720),
    fps: int = 25,
    with_speech: bool = True,
) -> tuple[Path, list[tuple[float, float, float, float]]]:
    """The astronaut's face crossing the frame while it grows from 1x to ~2x (of a 720p frame).

    Returns the file and, for each frame, the face's (x, y, w, h) in fractions of the frame.
    """
    import cv2
    import skimage.data

    path = Path(path)
    width, height = size
    patch = skimage.data.astronaut()[
        PATCH_ROWS[0] : PATCH_ROWS[1], PATCH_COLS[0] : PATCH_COLS[1]
    ].copy()
    ph, pw = patch.shape[:2]
    unit = height / 720  # the patch is drawn 1x..2x at 720p, proportionally at other sizes
    background = _background(width, height)
    count = max(1, int(round(seconds * fps)))
    placements = []
    for i in range(count):
        u = i / max(count - 1, 1)
        scale = unit * (1.0 + 1.0 * u)
        w, h = max(8, int(pw * scale)), max(8, int(ph * scale))
        travel = width - int(2.0 * pw * unit) - int(0.06 * width)
        x = min(max(0, int(0.03 * width + u * travel)), width - w)
        y = int((height - h) * (0.25 + 0.2 * np.sin(np.pi * u)))
        y = min(max(0, y), height - h)
        placements.append((x, y, w, h))
    boxes = []
    for x, y, w, h in placements:
        sx, sy = w / pw, h / ph
        fx, fy, fw, fh = FACE_IN_PATCH
        boxes.append(
            (
                (x + fx * sx) / width,
                (y + fy * sy) / height,
                fw * sx / width,
                fh * sy / height,
            )
        )

    def frame(i: int) -> np.ndarray:
        x, y, w, h = placements[i]
        img = background.copy()
        img[y : y + h, x : x + w] = cv2.resize(patch, (w, h), interpolation=cv2.INTER_AREA)
        return img

    audio = _soundtrack(count / fps, with_speech)
    _write_mp4(path, frame, count, size, fps, audio)
    return path, boxes


def _text_image(lines, colour, background, pad: int, line_px: int):
    """Text on a rounded plate of `background`, drawn with the product's CJK font (lib/pdf)."""
    from PIL import Image, ImageDraw, ImageFont

    from avrecords.lib.pdf import font_path

    font = ImageFont.truetype(str(font_path()), line_px)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [probe.textbbox((0, 0), line, font=font)[2] for line in lines]
    w = max(widths) + 2 * pad
    h = len(lines) * int(line_px * 1.35) + 2 * pad
    img = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((2, 2, w - 3, h - 3), radius=pad // 2, outline=colour, width=3)
    for n, line in enumerate(lines):
        draw.text((pad, pad + n * int(line_px * 1.35)), line, font=font, fill=colour)
    return np.asarray(img)


def make_plate_clip(
    path: Path | str,
    *,
    seconds: float = 3,
    size: tuple[int, int] = (1280, 720),
    fps: int = 25,
    with_speech: bool = False,
) -> tuple[Path, dict[str, list[tuple[float, float, float, float]]]]:
    """A blue number plate "京A·12345" and a fake 居民身份证 drifting slowly across the frame.

    Returns the file and {"plate": [...], "card": [...]}: for each frame, the plate's and the
    card's (x, y, w, h) in fractions of the frame (the whole plate and card, text inside).
    """
    path = Path(path)
    width, height = size
    unit = height / 720
    plate = _text_image([PLATE_TEXT], (255, 255, 255), PLATE_BLUE, int(14 * unit), int(56 * unit))
    card = _text_image(
        [CARD_TITLE, CARD_NAME, CARD_NUMBER],
        (20, 20, 20),
        CARD_COLOUR,
        int(18 * unit),
        int(30 * unit),
    )
    background = _background(width, height)
    count = max(1, int(round(seconds * fps)))
    boxes: dict[str, list[tuple[float, float, float, float]]] = {"plate": [], "card": []}
    spots = []
    for i in range(count):
        u = i / max(count - 1, 1)
        px, py = int(width * (0.08 + 0.08 * u)), int(height * 0.62)
        cx, cy = int(width * (0.50 - 0.06 * u)), int(height * (0.12 + 0.05 * u))
        spots.append(((px, py), (cx, cy)))
        for key, img, (x, y) in (("plate", plate, (px, py)), ("card", card, (cx, cy))):
            h, w = img.shape[:2]
            boxes[key].append((x / width, y / height, w / width, h / height))

    def frame(i: int) -> np.ndarray:
        img = background.copy()
        for pasted, (x, y) in zip((plate, card), spots[i], strict=True):
            h, w = pasted.shape[:2]
            img[y : y + h, x : x + w] = pasted[: height - y, : width - x]
        return img

    audio = _soundtrack(count / fps, with_speech)
    _write_mp4(path, frame, count, size, fps, audio)
    return path, boxes


def frames_of(path: Path | str):
    """Each decoded frame of a file's video, as RGB arrays, in order."""
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def face_boxes_in(path: Path | str) -> list[list[tuple[float, float, float, float, float]]]:
    """The face detector (lib/redaction/faces.py) run on EVERY frame: its boxes per frame."""
    from avrecords.lib.redaction import faces

    return [list(faces.detect(rgb)) for rgb in frames_of(path)]


def covered(box, boxes_found, min_overlap: float = 0.3) -> bool:
    """Whether any found box overlaps `box` by at least `min_overlap` of the smaller one."""
    x, y, w, h = box[:4]
    for other in boxes_found:
        ox, oy, ow, oh = other[:4]
        iw = min(x + w, ox + ow) - max(x, ox)
        ih = min(y + h, oy + oh) - max(y, oy)
        if iw > 0 and ih > 0 and iw * ih >= min_overlap * min(w * h, ow * oh):
            return True
    return False
