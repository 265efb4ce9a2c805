"""Subsequence DTW of a reference against a longer stretch of audio, vectorised (U5).

Step pattern (1,1), (1,2), (2,1) (the reference i, the searched audio j): the match may run
from half to twice the reference's speed, and each reference frame is paid for exactly once,
so a path's cost divided by the reference's length is the mean frame distance along it. The
path may start and end anywhere in the searched audio. Row i depends only on rows i-1 and i-2,
so the loop runs over the reference's frames and each step is a handful of numpy operations
over all of the searched frames at once.
"""

from __future__ import annotations

import numpy as np

_INF = np.float32(1e9)


def cosine_distances(reference: np.ndarray, searched: np.ndarray) -> np.ndarray:
    """(len(reference), len(searched)) 1 − cosine similarity, in 0..2."""

    def unit(x):
        return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)

    return (1.0 - unit(reference) @ unit(searched).T).astype(np.float32)


def relative_distances(reference: np.ndarray, searched: np.ndarray) -> np.ndarray:
    """Cosine distances less, for each searched frame, its distance to the nearest reference
    frame. Noise and a distant microphone move every distance of a frame up together; taking
    the nearest off keeps the order of matching along the path and drops that shift, so one
    threshold holds from clean audio to 5 dB SNR (bench/notice_bench.py: the margin between
    the notice and other speech is 0.05 across SNRs this way, −0.07 with raw distances)."""
    d = cosine_distances(reference, searched)
    return d - d.min(axis=0, keepdims=True)


def subsequence(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each end frame j: (mean cost of the best path ending there, the frame it starts at).

    `d` is (reference frames N, searched frames M). Ends whose best path is impossible (the
    searched stretch too short for even a 2× faster match) cost about 1e9 / N.
    """
    n, m = d.shape
    cols = np.arange(m)
    prev2 = start2 = None
    prev = d[0].copy()
    start = cols.copy()
    for i in range(1, n):
        # (1,1) from (i-1, j-1)
        best = np.full(m, _INF, np.float32)
        best[1:] = prev[:-1]
        came = np.empty(m, np.int64)
        came[0] = 0
        came[1:] = start[:-1]
        # (1,2) from (i-1, j-2): one searched frame skipped
        other = np.full(m, _INF, np.float32)
        other[2:] = prev[:-2]
        better = other < best
        np.copyto(best, other, where=better)
        came[2:][better[2:]] = start[:-2][better[2:]]
        # (2,1) from (i-2, j-1) through (i-1, j); at i == 1 a fresh start at (0, j)
        if i == 1:
            other, other_start = d[0], cols
        else:
            other = np.full(m, _INF, np.float32)
            other[1:] = prev2[:-1] + d[i - 1, 1:]
            other_start = np.empty(m, np.int64)
            other_start[0] = 0
            other_start[1:] = start2[:-1]
        better = other < best
        np.copyto(best, other, where=better)
        np.copyto(came, other_start, where=better)
        prev2, start2 = prev, start
        prev = best + d[i]
        start = came
    return prev / np.float32(n), start
