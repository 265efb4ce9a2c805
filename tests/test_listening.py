"""The listening library finds the notice by example (U5; 000§12, 001§11, 002§10, 003§9, 004§13).

Every regulation has the officer tell the party the activity is recorded, e.g. 002§10; the
platform listens for it in a recording's opening minutes. Clips are espeak-ng Mandarin
(tests/notice_audio.py); the references are said by voices the clips never use.
"""

from __future__ import annotations

import os
import sys
import types

import numpy as np
import pytest

from avrecords.lib import listening
from avrecords.lib.listening import sherpa
from tests import notice_audio as na

pytestmark = na.requires_espeak

# references: voices, speeds and pitches that no clip below uses
REFERENCE_VOICES = [("m1", 150, 45), ("f3", 172, 62), ("klatt", 160, 50)]
CLIP_VOICES = [(None, 160, 50), ("m3", 145, 40), ("aunty", 180, 65)]
WINDOW_SECONDS = 60.0


@pytest.fixture(scope="module")
def templates():
    return [
        listening.make_template(
            na.speak(na.NOTICE_TEXT, variant=v, speed=s, pitch=p), max_seconds=WINDOW_SECONDS
        )
        for v, s, p in REFERENCE_VOICES
    ]


def _talk(rng, voice, count):
    v, s, p = voice
    parts: list = []
    for _ in range(count):
        text = na.OTHER_SENTENCES[rng.integers(len(na.OTHER_SENTENCES))]
        parts += [na.speak(text, variant=v, speed=s, pitch=p), float(rng.uniform(0.2, 1.0))]
    return parts


def _notice_clip(seed: int, voice) -> tuple[np.ndarray, float]:
    """Talk, the notice at a random offset, more talk; returns the clip and the notice's time."""
    rng = np.random.default_rng(seed)
    before = [float(rng.uniform(0.5, 4.0)), *_talk(rng, voice, int(rng.integers(1, 4)))]
    at = sum(p if isinstance(p, float) else p.size / na.SAMPLE_RATE for p in before)
    v, s, p = voice
    notice = na.speak(na.NOTICE_TEXT, variant=v, speed=s, pitch=p)
    return na.clip([*before, notice, 0.5, *_talk(rng, voice, 2)]), at


@pytest.fixture(scope="module")
def notice_clips():
    return [_notice_clip(seed, voice) for seed, voice in enumerate(CLIP_VOICES)]


@pytest.fixture(scope="module")
def talk_clips():
    return [
        na.clip([1.0, *_talk(np.random.default_rng(100 + i), voice, 4)])
        for i, voice in enumerate(CLIP_VOICES)
    ]


def test_the_notice_inside_longer_speech_is_found_at_its_time(templates, notice_clips):
    for samples, at in notice_clips:
        hit = listening.search(samples, templates, min_confidence=listening.DEFAULT_MIN_CONFIDENCE)
        assert hit is not None, "the notice was missed"
        assert abs(hit.at_seconds - at) <= 0.5
        assert hit.method == "example"
        assert 0 <= hit.confidence <= 1 and hit.end_seconds > hit.at_seconds + 5


def test_other_mandarin_sentences_are_not_taken_for_the_notice(templates, talk_clips):
    for samples in talk_clips:
        assert (
            listening.search(samples, templates, min_confidence=listening.DEFAULT_MIN_CONFIDENCE)
            is None
        )
        # but the closest stretch is still reported, for the administrator's trial
        weak = listening.best(samples, templates)
        assert weak is not None and weak.confidence < listening.DEFAULT_MIN_CONFIDENCE


@pytest.mark.parametrize("snr_db", [20, 10])
def test_the_notice_is_found_in_noise(templates, notice_clips, talk_clips, snr_db):
    rng = np.random.default_rng(snr_db)
    for samples, at in notice_clips[:2]:
        hit = listening.search(
            na.add_noise(samples, snr_db, rng),
            templates,
            min_confidence=listening.DEFAULT_MIN_CONFIDENCE,
        )
        assert hit is not None and abs(hit.at_seconds - at) <= 0.5
    for samples in talk_clips[1:]:
        noisy = na.add_noise(samples, snr_db, rng)
        assert (
            listening.search(noisy, templates, min_confidence=listening.DEFAULT_MIN_CONFIDENCE)
            is None
        )


@pytest.fixture(scope="module")
def late_notice_video(tmp_path_factory):
    """A 40 s recording whose notice starts at 25 s."""
    rng = np.random.default_rng(7)
    talk = na.clip([0.5, *_talk(rng, CLIP_VOICES[1], 8)])[: 25 * na.SAMPLE_RATE]
    talk = na.clip([talk, 25.0 - talk.size / na.SAMPLE_RATE])
    samples = na.clip([talk, na.speak(na.NOTICE_TEXT, variant="m3", speed=145, pitch=40), 3.0])
    return na.write_video(tmp_path_factory.mktemp("late") / "late.mp4", samples)


def test_the_notice_said_after_the_searched_window_is_not_found(templates, late_notice_video):
    window = listening.decode(late_notice_video, max_seconds=20)
    assert window.size == 20 * listening.SAMPLE_RATE
    assert listening.search(window, templates, min_confidence=0.3) is None
    whole = listening.decode(late_notice_video)
    hit = listening.search(whole, templates, min_confidence=listening.DEFAULT_MIN_CONFIDENCE)
    assert hit is not None and abs(hit.at_seconds - 25.0) <= 0.5


def test_decoding_from_an_offset_reads_only_the_asked_stretch(late_notice_video):
    part = listening.decode(late_notice_video, start_seconds=24.0, max_seconds=5)
    assert part.dtype == np.float32 and part.size == 5 * listening.SAMPLE_RATE
    hit = listening.best(part, [listening.make_template(part, max_seconds=60)])
    assert hit is not None and hit.confidence > 0.9
    with open(late_notice_video, "rb") as f:  # a seekable file, as an upload arrives
        assert np.array_equal(listening.decode(f, start_seconds=24.0, max_seconds=5), part)


def test_a_template_comes_back_from_its_bytes(templates):
    again = listening.Template.from_bytes(templates[0].to_bytes())
    assert np.array_equal(again.features, templates[0].features)
    assert again.speech_seconds == templates[0].speech_seconds
    with pytest.raises(listening.BadReference) as caught:
        listening.Template.from_bytes(b"not a template")
    assert "重新上传" in str(caught.value)


def test_a_silent_reference_is_refused_in_chinese():
    with pytest.raises(listening.BadReference) as caught:
        listening.make_template(na.silence(5.0), max_seconds=WINDOW_SECONDS)
    assert "静音" in str(caught.value)
    hum = 1e-4 * np.random.default_rng(1).standard_normal(5 * na.SAMPLE_RATE)
    with pytest.raises(listening.BadReference):
        listening.make_template(hum.astype(np.float32), max_seconds=WINDOW_SECONDS)


def test_a_too_short_reference_is_refused_in_chinese():
    with pytest.raises(listening.BadReference) as caught:
        listening.make_template(na.clip([0.5, na.speak("好"), 0.5]), max_seconds=WINDOW_SECONDS)
    assert "太短" in str(caught.value)


def test_a_reference_longer_than_the_window_is_refused_in_chinese():
    speech = na.speak(na.NOTICE_TEXT)
    with pytest.raises(listening.BadReference) as caught:
        listening.make_template(speech, max_seconds=5.0)
    assert "超过了检查的时间范围（5 秒）" in str(caught.value)
    # a file longer than the window is refused even if its speech is short
    padded = na.clip([na.speak("本次执法全程录音录像"), 8.0])
    with pytest.raises(listening.BadReference) as caught:
        listening.make_template(padded, max_seconds=6.0)
    assert "请只保留告知语部分" in str(caught.value)


def test_a_reference_of_steady_noise_is_refused_in_chinese():
    hiss = 0.05 * np.random.default_rng(2).standard_normal(5 * na.SAMPLE_RATE)
    with pytest.raises(listening.BadReference) as caught:
        listening.make_template(hiss.astype(np.float32), max_seconds=WINDOW_SECONDS)
    assert "只有噪声" in str(caught.value)
    # a notice recorded in street noise (10 dB) is still a usable reference
    noisy = na.add_noise(na.speak(na.NOTICE_TEXT), 10, np.random.default_rng(3))
    assert listening.make_template(noisy, max_seconds=WINDOW_SECONDS).speech_seconds > 5


def test_a_video_without_audio_gives_no_audio(tmp_path):
    path = na.write_video_without_audio(tmp_path / "mute.mp4", 1.0)
    with pytest.raises(listening.NoAudio) as caught:
        listening.decode(path)
    assert str(caught.value) == "该文件没有音轨，无法检查告知语"


def test_a_corrupt_file_is_unreadable(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    with pytest.raises(listening.Unreadable) as caught:
        listening.decode(path)
    assert str(caught.value) == "文件已损坏或格式无法识别"
    with open(path, "rb") as f, pytest.raises(listening.ListeningError):
        listening.decode(f)


def test_without_sherpa_onnx_the_keyword_spotter_says_so_in_chinese(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sherpa_onnx", None)
    with pytest.raises(listening.ListeningError) as caught:
        sherpa.KeywordSpotter.load(tmp_path, [na.NOTICE_TEXT])
    assert "未安装关键词识别组件" in str(caught.value)


def test_a_directory_without_a_model_gives_a_chinese_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sherpa_onnx", types.ModuleType("sherpa_onnx"))
    with pytest.raises(listening.ListeningError) as caught:
        sherpa.KeywordSpotter.load(tmp_path / "missing", [na.NOTICE_TEXT])
    assert "模型目录不完整" in str(caught.value)
    (tmp_path / "tokens.txt").write_text("<blk> 0\n", "utf-8")
    with pytest.raises(listening.ListeningError) as caught:
        sherpa.KeywordSpotter.load(tmp_path, [na.NOTICE_TEXT])
    assert "encoder" in caught.value.log_message


@pytest.mark.skipif(
    not os.environ.get("AVRECORDS_NOTICE_KWS_MODEL"),
    reason="AVRECORDS_NOTICE_KWS_MODEL does not name a sherpa-onnx KWS model directory",
)
def test_an_installed_keyword_model_hears_the_notice(notice_clips, talk_clips):
    spotter = sherpa.KeywordSpotter.load(
        os.environ["AVRECORDS_NOTICE_KWS_MODEL"], [na.NOTICE_TEXT, "本次执法全程录音录像"]
    )
    samples, at = notice_clips[0]
    hit = spotter.search(samples)
    assert hit is not None and hit.method == "keywords"
    assert at - 1.0 <= hit.at_seconds <= at + 11.0
    assert spotter.search(talk_clips[0]) is None
