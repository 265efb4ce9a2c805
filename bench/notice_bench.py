"""The notice check's matcher on generated speech (issue 20 §2, U5): recall, false alarms, speed.

Clips are espeak-ng Mandarin (tests/notice_audio.py) said by TEST_VOICES; the references are
said by REFERENCE_VOICES, which no clip uses. Per SNR (clean, 20, 10, 5 dB of pinkish noise):

  positives  other sentences, the notice at a random offset, more sentences
  negatives  other sentences only (several share words with the notice: 执法, 录像, 权益)
  late       the notice said after the searched window (only the window is searched)

Prints recall (the hit within ±1 s of where the notice starts), false alarms per clip (a hit
in a clip without the notice in its window, or at the wrong place), and speed as × real time
on ONE core (the process is pinned to one CPU and BLAS to one thread; time.process_time
over the matcher alone, audio generation excluded), each against its target with PASS/FAIL.
Exit status 0 whatever the figures (it is a report).

    .venv/bin/python bench/notice_bench.py [--per-condition 25] [--seed 1]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import notice_audio as na  # noqa: E402

from avrecords.lib import listening  # noqa: E402

REFERENCE_VOICES = [("m1", 150, 45), ("f3", 172, 62), ("klatt", 160, 50)]
TEST_VOICES = ["f2", "m3", "Andy", "aunty", "f5", "m5", "klatt3", None, "f4", "m7", "david"]
SNRS: list[float | None] = [None, 20.0, 10.0, 5.0]
WINDOW_SECONDS = 40.0
TOLERANCE_SECONDS = 1.0
TARGET_RECALL = 0.9
TARGET_FA_PER_CLIP = 0.05
TARGET_SPEED = 30.0
POOL: list[tuple[str | None, int, int]] = []


def log(message: str) -> None:
    print(f"[notice] {message}", flush=True)


def _voices(rng) -> list[tuple[str | None, int, int]]:
    """Two speeds and pitches per test voice: a pool small enough for espeak's cache."""
    return [
        (v, int(rng.integers(135, 190)), int(rng.integers(30, 75)))
        for v in TEST_VOICES
        for _ in range(2)
    ]


def _voice(rng):
    return POOL[rng.integers(len(POOL))]


def _talk(rng, voice, count):
    v, s, p = voice
    parts: list = []
    for _ in range(count):
        text = na.OTHER_SENTENCES[rng.integers(len(na.OTHER_SENTENCES))]
        parts += [na.speak(text, variant=v, speed=s, pitch=p), float(rng.uniform(0.2, 1.2))]
    return parts


def _seconds(parts) -> float:
    return sum(p if isinstance(p, float) else p.size / na.SAMPLE_RATE for p in parts)


def make_clip(kind: str, rng) -> tuple[np.ndarray, float | None]:
    """(the searched window's samples, where the notice starts in it or None)."""
    voice = _voice(rng)
    v, s, p = voice
    notice = na.speak(na.NOTICE_TEXT, variant=v, speed=s, pitch=p)
    before = [float(rng.uniform(0.3, 3.0)), *_talk(rng, voice, int(rng.integers(0, 3)))]
    if kind == "positive":
        at = _seconds(before)
        parts = [*before, notice, 0.4, *_talk(rng, voice, int(rng.integers(1, 3)))]
    elif kind == "negative":
        at = None
        parts = [*before, *_talk(rng, voice, int(rng.integers(2, 4)))]
    else:  # late: talk filling the window, the notice after it
        at = None
        parts = [*before, *_talk(rng, voice, 6)]
        while _seconds(parts) < WINDOW_SECONDS:
            parts += _talk(rng, voice, 1)
        parts += [float(rng.uniform(0.0, 2.0)), notice]
    samples = na.clip(parts)[: int(WINDOW_SECONDS * na.SAMPLE_RATE)]
    return samples, at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-condition", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if na.ESPEAK is None:
        log("espeak-ng is not installed: apt-get install espeak-ng")
        return 0
    rng = np.random.default_rng(args.seed)
    POOL[:] = _voices(rng)
    templates = [
        listening.make_template(
            na.speak(na.NOTICE_TEXT, variant=v, speed=s, pitch=p), max_seconds=WINDOW_SECONDS
        )
        for v, s, p in REFERENCE_VOICES
    ]
    threshold = listening.DEFAULT_MIN_CONFIDENCE
    log(
        f"matcher {listening.MATCHER_VERSION}, min_confidence {threshold}, "
        f"{len(templates)} references ({', '.join(str(v[0]) for v in REFERENCE_VOICES)}), "
        f"window {WINDOW_SECONDS:.0f} s"
    )
    kinds = ["positive"] * args.per_condition + ["negative"] * args.per_condition
    kinds += ["late"] * max(1, args.per_condition // 4)
    started = time.perf_counter()
    generated = {}
    for snr in SNRS:  # audio first (espeak-ng runs on every core), the matcher then on one
        for kind in kinds:
            samples, at = make_clip(kind, rng)
            if snr is not None:
                samples = na.add_noise(samples, snr, rng)
            generated.setdefault(snr, []).append((kind, samples, at))
    log(f"generated {len(kinds) * len(SNRS)} clips in {time.perf_counter() - started:.0f} s")
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        log("could not pin to one CPU; BLAS is still limited to one thread")
    cpu = audio = 0.0
    clips = 0
    rows = []
    confidences: dict = {}
    single = {"found": 0, "alarms": 0, "positives": 0, "count": 0}
    for snr in SNRS:
        found = positives = alarms = count = 0
        for kind, samples, at in generated.pop(snr):
            if snr == 10.0:  # one reference alone: how much the others' voices help
                one = listening.search(samples, templates[:1], min_confidence=threshold)
                near = one is not None and at is not None and abs(one.at_seconds - at) <= 1.0
                single["positives"] += kind == "positive"
                single["count"] += 1
                single["found"] += near
                single["alarms"] += one is not None and not near
            start = time.process_time()
            hit = listening.best(samples, templates)
            cpu += time.process_time() - start
            audio += samples.size / na.SAMPLE_RATE
            count += 1
            right = hit is not None and at is not None and abs(hit.at_seconds - at) <= 1.0
            conf = hit.confidence if hit is not None else 0.0
            confidences.setdefault(snr, []).append((kind, right, conf))
            heard = hit is not None and conf >= threshold
            positives += kind == "positive"
            found += heard and right
            alarms += heard and not right
        clips += count
        rows.append((snr, found / positives, alarms / count, count))
    speed = audio / cpu if cpu else float("inf")
    log(f"{clips} clips, {audio / 60:.1f} min of audio")
    for snr, recall, fa, count in rows:
        name = "clean" if snr is None else f"{snr:.0f} dB"
        verdict = ""
        if snr == 10.0:
            ok = recall >= TARGET_RECALL and fa <= TARGET_FA_PER_CLIP
            verdict = (
                f"  target recall >= {TARGET_RECALL} at <= {TARGET_FA_PER_CLIP} FA/clip: "
                f"{'PASS' if ok else 'FAIL'}"
            )
        log(f"{name:>6}: recall {recall:.3f}  false alarms {fa:.3f}/clip ({count} clips){verdict}")
    log(
        f" speed: {speed:.0f}x real time on one core  target >= {TARGET_SPEED:.0f}x: "
        f"{'PASS' if speed >= TARGET_SPEED else 'FAIL'}"
    )
    log(
        f"  10 dB with one reference ({REFERENCE_VOICES[0][0]}) alone: recall "
        f"{single['found'] / max(1, single['positives']):.3f}, false alarms "
        f"{single['alarms'] / max(1, single['count']):.3f}/clip"
    )
    # what another threshold would give at 10 dB (calibration of DEFAULT_MIN_CONFIDENCE)
    at10 = confidences.get(10.0, [])
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        pos = [c for k, r, c in at10 if k == "positive"]
        rec = sum(c >= t and r for k, r, c in at10 if k == "positive") / max(1, len(pos))
        fa = sum(c >= t and not r for k, r, c in at10) / max(1, len(at10))
        log(f"  10 dB at min_confidence {t:.1f}: recall {rec:.3f}, false alarms {fa:.3f}/clip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
