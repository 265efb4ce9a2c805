"""Test speech for the notice check (U5; 000§12, 001§11, 002§10, 003§9, 004§13).

Every test that needs spoken Mandarin makes it here with espeak-ng (voice ``cmn``, its
variants, speeds and pitches), so nothing is downloaded and each clip is reproducible.
Audio is float32 mono at 16 kHz, the rate of avrecords.lib.listening.

    samples = speak(NOTICE_TEXT, variant="f2", speed=170)
    noisy = add_noise(clip([1.5, speak(OTHER_SENTENCES[0]), 0.4, samples]), 10, rng)
    write_video(tmp_path / "a.mp4", noisy)
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

SAMPLE_RATE = 16000
ESPEAK = shutil.which("espeak-ng")

NOTICE_TEXT = "为保护您的合法权益，监督我们的执法行为，本次执法全程录音录像"

# Things officers say on scene that are not the notice: the negatives of the tests and the
# benchmark. Several share words with the notice (执法, 录像, 权益) on purpose.
OTHER_SENTENCES: list[str] = [
    "您好，我们是市场监督管理局的执法人员，这是我们的执法证件",
    "请出示您的营业执照和食品经营许可证",
    "根据有关规定，我们依法对你单位进行现场检查",
    "请您配合我们的工作，如实回答我们提出的问题",
    "这批货物的进货票据和检验报告在哪里",
    "现场检查的情况我们会记录在笔录上，请您核对后签字",
    "你有权进行陈述和申辩，也可以申请执法人员回避",
    "这些物品我们依法先行登记保存，七日内作出处理决定",
    "请您在这里签名，并写上日期",
    "如果对处理决定不服，可以在六十日内申请行政复议",
    "仓库里的这些产品已经超过了保质期",
    "今天的检查到此结束，感谢您的配合",
    "我们接到群众举报，说这里有违法经营的行为",
    "请把监控录像保存好，我们需要调取查看",
    "你的合法权益受法律保护，有问题可以向我们反映",
    "执法记录仪已经开启，请不要遮挡",
]

# espeak-ng voice variants (espeak-ng-data/voices/!v); tests use one set, the benchmark's
# references another, so a match cannot come from the same synthetic voice.
VARIANTS: list[str | None] = [
    None,
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "klatt",
    "klatt2",
    "klatt3",
    "Andy",
    "Annie",
    "aunty",
    "boris",
    "david",
    "ed",
]


def _espeak_missing_in_ci() -> None:
    message = "espeak-ng is not installed (apt-get install espeak-ng; `make test` does it as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


# Skips a test or module (``pytestmark = requires_espeak``) where espeak-ng is missing; with
# CI=true it does not skip, and speak() then FAILS the test, as the browser and PostgreSQL
# passes do for Chromium and the database.
requires_espeak = pytest.mark.skipif(
    ESPEAK is None and os.environ.get("CI") != "true",
    reason="espeak-ng is not installed (apt-get install espeak-ng; `make test` does it as root)",
)


def resample(samples: np.ndarray, rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling through libswresample (PyAV), float32 mono."""
    import av

    if rate == to_rate:
        return samples.astype(np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=to_rate)
    frame = av.AudioFrame.from_ndarray(
        samples.astype(np.float32)[None, :], format="flt", layout="mono"
    )
    frame.sample_rate = rate
    frame.pts = 0
    frame.time_base = Fraction(1, rate)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


@functools.lru_cache(maxsize=512)
def _speak_cached(text: str, variant: str | None, speed: int, pitch: int) -> bytes:
    voice = "cmn" if variant is None else f"cmn+{variant}"
    result = subprocess.run(
        [ESPEAK, "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def _wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    import io
    import wave

    # espeak-ng writes a streaming header (sizes 0x7fffffff); take the rate from it and the
    # samples from after the 44-byte header.
    with wave.open(io.BytesIO(data[:44] + b"")) as w:
        rate = w.getframerate()
    pcm = np.frombuffer(data[44 : 44 + (len(data) - 44) // 2 * 2], dtype="<i2")
    return pcm.astype(np.float32) / 32768.0, rate


def speak(
    text: str, *, variant: str | None = None, speed: int = 160, pitch: int = 50
) -> np.ndarray:
    """`text` said by espeak-ng's Mandarin voice: float32 mono 16 kHz, silence trimmed."""
    if ESPEAK is None:
        _espeak_missing_in_ci()
    samples, rate = _wav_samples(_speak_cached(text, variant, speed, pitch))
    out = resample(samples, rate)
    loud = np.flatnonzero(np.abs(out) > 1e-3)
    if loud.size:
        out = out[max(0, loud[0] - 800) : loud[-1] + 800]
    return out.copy()


def add_noise(samples: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Noise mixed `snr_db` dB below the speech's power (measured where there is speech).

    The noise falls off as 1/sqrt(f) above 200 Hz (pink, like street and crowd noise) so it
    masks the speech band rather than only the highs.
    """
    speech = samples[np.abs(samples) > 1e-3]
    power = float(np.mean(speech.astype(np.float64) ** 2)) if speech.size else 1e-6
    size = 1 << max(1, int(samples.size - 1).bit_length())  # a fast FFT length
    spectrum = np.fft.rfft(rng.standard_normal(size))
    freqs = np.fft.rfftfreq(size, 1 / SAMPLE_RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 200.0) / 200.0)
    noise = np.fft.irfft(spectrum, size)[: samples.size]
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / max(float(np.mean(noise**2)), 1e-12))
    return (samples + noise).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SAMPLE_RATE)), np.float32)


def clip(parts: list[np.ndarray | float]) -> np.ndarray:
    """Parts joined in order: an array is audio, a number is that many seconds of silence."""
    arrays = [
        silence(p) if isinstance(p, (int, float)) else np.asarray(p, np.float32) for p in parts
    ]
    return np.concatenate(arrays) if arrays else np.zeros(0, np.float32)


def write_wav(path: Path | str, samples: np.ndarray) -> Path:
    import wave

    path = Path(path)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    return path


def _video_frame(i: int, width: int, height: int):
    import av

    img = np.zeros((height, width, 3), np.uint8)
    img[:, :, 0] = (i * 7) % 256
    img[:, :, 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    img[: height // 8, : (i * 4) % width or 1, 2] = 255
    return av.VideoFrame.from_ndarray(img, format="rgb24")


def write_video(
    path: Path | str, samples: np.ndarray, *, width: int = 320, height: int = 240, fps: int = 5
) -> Path:
    """An H.264 + AAC MP4 whose audio is `samples` and whose video lasts as long."""
    import av

    path = Path(path)
    seconds = samples.size / SAMPLE_RATE
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast"}
        astream = out.add_stream("aac", rate=SAMPLE_RATE)
        astream.layout = "mono"
        for i in range(max(1, int(np.ceil(seconds * fps)))):
            out.mux(vs.encode(_video_frame(i, width, height)))
        out.mux(vs.encode(None))
        block = 1024
        for start in range(0, samples.size, block):
            chunk = np.ascontiguousarray(samples[start : start + block], np.float32)[None, :]
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            af.sample_rate = SAMPLE_RATE
            af.pts = start
            af.time_base = Fraction(1, SAMPLE_RATE)
            out.mux(astream.encode(af))
        out.mux(astream.encode(None))
    return path


def write_video_without_audio(path: Path | str, seconds: float = 2.0) -> Path:
    """An H.264 MP4 with no audio stream at all (a camera with its microphone off)."""
    import av

    path = Path(path)
    fps = 5
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 320, 240, "yuv420p"
        vs.options = {"preset": "ultrafast"}
        for i in range(max(1, int(seconds * fps))):
            out.mux(vs.encode(_video_frame(i, 320, 240)))
        out.mux(vs.encode(None))
    return path
