"""Examples of the notice (templates) and the search for them in a recording (U5).

A template is a reference recording's speech (first to last voiced frame) as normalised
MFCCs. The search normalises the searched audio the same way, finds its speech, and runs the
subsequence DTW of every template over each stretch of speech; the best path's mean frame
distance becomes a confidence in 0..1 (1 = identical frames). Silence is never searched.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np

from . import dtw, features, vad
from .decoding import SAMPLE_RATE
from .errors import BadReference

MATCHER_VERSION = "sdtw-mfcc-1"

MIN_REFERENCE_SPEECH_SECONDS = 1.0
# A reference longer than this is not an announcement; refused whatever the window.
MAX_REFERENCE_SECONDS = 60.0
# Speech rises and falls by tens of dB between syllables and pauses; steady noise (hiss,
# wind, traffic), which WebRTC's VAD may take for speech, stays within a few dB. A clean
# reference measures ~60 dB, one at 10 dB SNR ~10 dB, white or pink noise alone ~1.5 dB.
MIN_REFERENCE_RANGE_DB = 4.0
# Gaps inside one utterance (commas, breaths) are bridged; a stretch is padded on both sides.
FILL_GAP_SECONDS = 0.8
PAD_SECONDS = 0.3
# Searched frames per DTW block (2 minutes): bounds memory to a few tens of MB a template.
BLOCK_FRAMES = 6000

# Mean relative distance (dtw.relative_distances) along the best path → confidence: DISTANCE_SURE or less is 1, and
# DISTANCE_NONE or more is 0 (calibrated on bench/notice_bench.py; see docs/notice-check.md).
DISTANCE_SURE = 0.10
DISTANCE_NONE = 0.44
DEFAULT_MIN_CONFIDENCE = 0.5

_MAGIC = b"AVRT1\n"


@dataclass(frozen=True)
class Template:
    """One reference recording of the notice, ready to search with."""

    features: np.ndarray
    duration_seconds: float
    speech_seconds: float

    def to_bytes(self) -> bytes:
        head = json.dumps(
            {
                "matcher_version": MATCHER_VERSION,
                "duration_seconds": self.duration_seconds,
                "speech_seconds": self.speech_seconds,
            }
        ).encode()
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(self.features, np.float32), allow_pickle=False)
        return _MAGIC + len(head).to_bytes(4, "big") + head + buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Template:
        try:
            if not data.startswith(_MAGIC):
                raise ValueError("not a template")
            at = len(_MAGIC)
            size = int.from_bytes(data[at : at + 4], "big")
            head = json.loads(data[at + 4 : at + 4 + size])
            if head.get("matcher_version") != MATCHER_VERSION:
                raise ValueError(f"template of {head.get('matcher_version')}")
            feats = np.load(io.BytesIO(data[at + 4 + size :]), allow_pickle=False)
        except (ValueError, KeyError, OSError, EOFError) as exc:
            raise BadReference(
                "参考录音的特征数据已损坏或版本过旧，请重新上传该参考录音",
                log_message=f"bad template bytes: {exc}",
            ) from exc
        return cls(
            features=feats.astype(np.float32),
            duration_seconds=float(head["duration_seconds"]),
            speech_seconds=float(head["speech_seconds"]),
        )


@dataclass(frozen=True)
class Hit:
    """Where the notice was heard (seconds from the start of the searched samples)."""

    at_seconds: float
    end_seconds: float
    distance: float
    confidence: float
    reference_index: int
    method: str = "example"


def confidence_of(distance: float) -> float:
    value = (DISTANCE_NONE - distance) / (DISTANCE_NONE - DISTANCE_SURE)
    return float(min(1.0, max(0.0, value)))


def _analyse(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised stacked features and the stacked speech mask of `samples`."""
    raw = features.cepstra(samples)
    speech = vad.speech_frames(samples)[: raw.shape[0]]
    normed = features.normalise(raw, speech)
    stacked = features.stack(normed)
    mask = features.stack(speech[:, None].astype(np.float32))[:, 0] > 0
    return stacked, mask


def make_template(samples: np.ndarray, *, max_seconds: float) -> Template:
    """A template from a reference recording; BadReference (Chinese) if it cannot be one."""
    samples = np.asarray(samples, np.float32)
    duration = samples.size / SAMPLE_RATE
    if samples.size == 0 or float(np.max(np.abs(samples))) < 1e-3:
        raise BadReference(
            "参考录音是静音，没有可用的告知语，请上传清晰朗读告知语的录音",
            log_message="reference is silent",
        )
    if duration > max_seconds:
        raise BadReference(
            f"参考录音长 {duration:.0f} 秒，超过了检查的时间范围（{_say(max_seconds)}），"
            "请只保留告知语部分后再上传",
            log_message=f"reference lasts {duration:.1f} s > window {max_seconds:.1f} s",
        )
    mel = features.log_mel(samples)
    raw = mel @ features.dct_matrix()
    speech = vad.speech_frames(samples)[: raw.shape[0]]
    speech_seconds = float(speech.sum()) * features.HOP_SAMPLES / SAMPLE_RATE
    if _loudness_range_db(mel) < MIN_REFERENCE_RANGE_DB:
        raise BadReference(
            "参考录音中只有噪声，听不到清晰的人声，请上传清晰朗读告知语的录音",
            log_message=f"reference is steady noise ({_loudness_range_db(mel):.1f} dB range)",
        )
    if not speech.any():
        raise BadReference(
            "参考录音中听不到人声，请上传清晰朗读告知语的录音",
            log_message="reference has no voiced frames",
        )
    if speech_seconds < MIN_REFERENCE_SPEECH_SECONDS:
        raise BadReference(
            f"参考录音中的人声不足 {MIN_REFERENCE_SPEECH_SECONDS:g} 秒，太短，无法作为告知语样例",
            log_message=f"reference has {speech_seconds:.2f} s of speech",
        )
    voiced = np.flatnonzero(speech)
    first, last = int(voiced[0]), int(voiced[-1]) + 1
    span_seconds = (last - first) * features.HOP_SAMPLES / SAMPLE_RATE
    limit = min(max_seconds, MAX_REFERENCE_SECONDS)
    if span_seconds > limit:
        raise BadReference(
            f"参考录音中的讲话长 {span_seconds:.0f} 秒，超过了检查的时间范围（{_say(limit)}），"
            "请只保留告知语部分后再上传",
            log_message=f"reference speech spans {span_seconds:.1f} s > {limit:.1f} s",
        )
    normed = features.normalise(raw, speech)[first:last]
    return Template(
        features=features.stack(normed),
        duration_seconds=round(duration, 3),
        speech_seconds=round(speech_seconds, 3),
    )


def _loudness_range_db(mel: np.ndarray) -> float:
    """Loud frames over quiet ones (95th over 10th percentile of frame energy), in dB."""
    if mel.shape[0] == 0:
        return 0.0
    energy = 10.0 * np.log10(np.exp(mel.astype(np.float64)).sum(axis=1) + 1e-9)
    return float(np.percentile(energy, 95) - np.percentile(energy, 10))


def _say(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} 分钟"
    return f"{seconds:.0f} 秒"


def best(samples: np.ndarray, templates: list[Template]) -> Hit | None:
    """The closest match of any template anywhere in `samples`, however weak; None if no
    stretch of speech is long enough to hold one."""
    if not templates:
        return None
    samples = np.asarray(samples, np.float32)
    searched, mask = _analyse(samples)
    frame = features.FRAME_SECONDS
    mask = vad.smooth(
        mask, fill_frames=round(FILL_GAP_SECONDS / frame), pad_frames=round(PAD_SECONDS / frame)
    )
    found: Hit | None = None
    for lo, hi in vad.runs(mask):
        for index, template in enumerate(templates):
            n = template.features.shape[0]
            if n < 2 or hi - lo < n / 2:
                continue
            # blocks overlapping by the longest match (2n frames, the notice said at half
            # speed) bound the distance matrix, whatever the length of the speech
            size = max(BLOCK_FRAMES, 4 * n)
            for a in range(lo, max(lo + 1, hi - 2 * n), size - 2 * n):
                b = min(hi, a + size)
                cost, starts = dtw.subsequence(
                    dtw.relative_distances(template.features, searched[a:b])
                )
                end = int(np.argmin(cost))
                distance = float(cost[end])
                if found is None or distance < found.distance:
                    found = Hit(
                        at_seconds=round(float(a + int(starts[end])) * frame, 2),
                        end_seconds=round(float(a + end + 1) * frame, 2),
                        distance=round(distance, 4),
                        confidence=round(confidence_of(distance), 3),
                        reference_index=index,
                    )
    return found


def search(samples: np.ndarray, templates: list[Template], *, min_confidence: float) -> Hit | None:
    """The best match if its confidence reaches `min_confidence` (0..1), else None."""
    hit = best(samples, templates)
    return hit if hit is not None and hit.confidence >= min_confidence else None
