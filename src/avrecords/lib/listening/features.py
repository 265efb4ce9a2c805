"""Frame features for matching speech by example: log-mel → MFCC, in numpy (U5).

25 ms frames every 10 ms, 40 mel bands (60 Hz–7.6 kHz) → cepstra 1..CEPSTRA (c0, the
loudness, is dropped), then pairs of frames averaged (20 ms a frame: half the frames, a quarter
of the DTW's work, and still several frames per syllable). Each utterance is normalised to
zero mean and unit variance over its own speech frames, which removes the microphone's and
the room's fixed colouring and the speaker's level.
"""

from __future__ import annotations

import functools

import numpy as np

from .decoding import SAMPLE_RATE

WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms: the VAD's frame too
FFT_SIZE = 512
MEL_BANDS = 40
CEPSTRA = 20
STACK = 2  # frames averaged into one: 20 ms a matched frame
FRAME_SECONDS = HOP_SAMPLES * STACK / SAMPLE_RATE


@functools.cache
def _mel_filters() -> np.ndarray:
    def mel(f):
        return 1127.0 * np.log1p(np.asarray(f) / 700.0)

    def hz(m):
        return 700.0 * np.expm1(np.asarray(m) / 1127.0)

    edges = hz(np.linspace(mel(60.0), mel(7600.0), MEL_BANDS + 2))
    bins = np.fft.rfftfreq(FFT_SIZE, 1.0 / SAMPLE_RATE)
    filters = np.zeros((FFT_SIZE // 2 + 1, MEL_BANDS), np.float32)
    for k in range(MEL_BANDS):
        lo, mid, hi = edges[k : k + 3]
        rise = (bins - lo) / (mid - lo)
        fall = (hi - bins) / (hi - mid)
        filters[:, k] = np.maximum(0.0, np.minimum(rise, fall))
    return filters


@functools.cache
def dct_matrix() -> np.ndarray:
    n = np.arange(MEL_BANDS)
    k = np.arange(1, CEPSTRA + 1)[:, None]
    return (np.cos(np.pi * k * (2 * n + 1) / (2 * MEL_BANDS)) * np.sqrt(2.0 / MEL_BANDS)).T.astype(
        np.float32
    )


def frame_count(samples: int) -> int:
    """How many 10 ms frames `samples` give (the VAD's frames line up with these)."""
    if samples < WINDOW_SAMPLES:
        return 0
    return 1 + (samples - WINDOW_SAMPLES) // HOP_SAMPLES


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(frames, MEL_BANDS) log mel energies of float32 16 kHz audio, 10 ms apart."""
    n = frame_count(samples.size)
    if n == 0:
        return np.zeros((0, MEL_BANDS), np.float32)
    x = samples.astype(np.float32)
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])
    frames = np.lib.stride_tricks.sliding_window_view(x, WINDOW_SAMPLES)[::HOP_SAMPLES][:n]
    spectrum = np.fft.rfft(frames * np.hamming(WINDOW_SAMPLES).astype(np.float32), FFT_SIZE)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return np.log(power @ _mel_filters() + 1e-6)


def cepstra(samples: np.ndarray) -> np.ndarray:
    """(frames, CEPSTRA) MFCCs (c1..), 10 ms apart."""
    return log_mel(samples) @ dct_matrix()


def stack(frames: np.ndarray, k: int = STACK) -> np.ndarray:
    """Average each run of `k` consecutive rows (a shorter tail is dropped)."""
    n = frames.shape[0] // k
    return frames[: n * k].reshape(n, k, *frames.shape[1:]).mean(axis=1)


def normalise(features: np.ndarray, speech: np.ndarray | None = None) -> np.ndarray:
    """Zero mean, unit variance per coefficient, the statistics taken over `speech` rows."""
    basis = features[speech] if speech is not None and speech.any() else features
    if basis.shape[0] == 0:
        return features.astype(np.float32)
    mean = basis.mean(axis=0)
    std = basis.std(axis=0) + 1e-3
    return ((features - mean) / std).astype(np.float32)
