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


def subsequence(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each end frame j: (mean cost of the best path ending there, the frame it starts at).

    `d` is (reference frames N, searched frames M). Ends whose best path is impossible (the
    searched stretch too short for even a 2× faster match) cost about 1e9 / N.
    """
    n, m = d.shape
    cols = np.arange(m)
    prev2 = None
    start2 = None
    prev = d[0].copy()
    start = cols.copy()
    cand = np.empty((3, m), np.float32)
    cand_start = np.empty((3, m), np.int64)
    for i in range(1, n):
        row = d[i]
        cand.fill(_INF)
        cand[0, 1:] = prev[:-1]  # (1,1)
        cand_start[0, 1:] = start[:-1]
        cand[1, 2:] = prev[:-2]  # (1,2): one searched frame skipped
        cand_start[1, 2:] = start[:-2]
        if i == 1:  # (2,1) from a fresh start: (0,j), (1,j)
            cand[2] = d[0]
            cand_start[2] = cols
        else:
            cand[2, 1:] = prev2[:-1] + d[i - 1, 1:]
            cand_start[2, 1:] = start2[:-1]
        pick = np.argmin(cand, axis=0)
        best = np.take_along_axis(cand, pick[None, :], axis=0)[0]
        prev2, start2 = prev, start
        prev = best + row
        start = np.take_along_axis(cand_start, pick[None, :], axis=0)[0]
    return prev / np.float32(n), start
