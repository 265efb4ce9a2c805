"""The sound of a redacted copy: kept as it is, except the ranges to mute or distort.

A reviewer marks stretches where a voice would give away a bystander or a secret (000§19,
001§25, 003§14, 004§21). "mute" turns the samples to exact zero; "distort" replaces the
voice with noise that follows its loudness every 10 ms, so a listener still hears that
someone spoke, and when, but neither the words nor the voice. Everything else is handed back
untouched (the copy re-encodes it, nothing more).

Works on planar float32 blocks (channels x samples) as the renderer decodes them, so memory
stays bounded whatever the length of the recording.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from avrecords.lib.redaction.errors import RedactionError

KINDS = ("mute", "distort")
ENVELOPE_WINDOW_SECONDS = 0.010
# The garbling noise is low-passed by a moving average of this many samples at 16 kHz (scaled
# with the rate), so it sits in the speech band rather than hissing above it.
NOISE_SMOOTHING_AT_16K = 3
BAD_RANGES = "声音处理的时间段无效，请检查起止时间"


@dataclass(frozen=True)
class AudioRange:
    """Seconds from the start of the source, [start, end), and what to do there."""

    start: float
    end: float
    kind: str


def parse_ranges(ranges: Iterable[Sequence]) -> list[AudioRange]:
    """[(from_s, to_s, "mute" | "distort"), ...] checked and sorted; RedactionError if bad."""
    parsed = []
    for item in ranges or ():
        try:
            start, end, kind = item
            start, end = float(start), float(end)
        except (TypeError, ValueError) as exc:
            raise RedactionError(BAD_RANGES, log_message=f"bad audio range {item!r}") from exc
        if kind not in KINDS or not (math.isfinite(start) and math.isfinite(end)):
            raise RedactionError(BAD_RANGES, log_message=f"bad audio range {item!r}")
        if start < 0 or end <= start:
            raise RedactionError(BAD_RANGES, log_message=f"empty or negative range {item!r}")
        parsed.append(AudioRange(start, end, kind))
    return sorted(parsed, key=lambda r: (r.start, r.end))


def apply_ranges(block, t0: float, rate: int, ranges: Sequence[AudioRange], rng) -> None:
    """Mute or distort, in place, the part of `block` (channels x samples) inside `ranges`.

    `t0` is the source time of the block's first sample. Sample i is inside a range when
    start <= t0 + i / rate < end.
    """
    n = block.shape[1]
    if n == 0:
        return
    t_end = t0 + n / rate
    for r in ranges:
        if r.end <= t0 or r.start >= t_end:
            continue
        i0 = max(0, math.ceil((r.start - t0) * rate - 1e-6))
        i1 = min(n, math.ceil((r.end - t0) * rate - 1e-6))
        if i1 <= i0:
            continue
        if r.kind == "mute":
            block[:, i0:i1] = 0.0
        else:
            block[:, i0:i1] = garble(block[:, i0:i1], rate, rng)


def garble(samples, rate: int, rng):
    """Noise shaped by the loudness of `samples` per 10 ms: speech activity, no voice."""
    import numpy as np

    channels, n = samples.shape
    window = max(1, int(rate * ENVELOPE_WINDOW_SECONDS))
    mono = samples.astype(np.float64).mean(axis=0)
    padded = np.zeros(-(-n // window) * window)
    padded[:n] = mono
    rms = np.sqrt(np.mean(padded.reshape(-1, window) ** 2, axis=1))
    envelope = np.repeat(rms, window)[:n]
    taps = max(1, round(NOISE_SMOOTHING_AT_16K * rate / 16000))
    noise = rng.standard_normal(n + taps - 1)
    noise = np.convolve(noise, np.ones(taps) / taps, mode="valid")
    noise /= max(float(np.sqrt(np.mean(noise**2))), 1e-12)
    out = (noise * envelope).astype(np.float32)
    return np.broadcast_to(out, (channels, n))
