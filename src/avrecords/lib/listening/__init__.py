"""Listening for the notice "本次执法全程录音录像" in a recording, by example (U5).

Every regulation makes the officer tell the party that the activity is recorded (000§12,
001§11, 002§10, 003§9, 004§13). This package finds an example of that notice (the camera's
built-in announcement, officers reading it) in the opening minutes of a recording: PyAV
decodes to 16 kHz mono, WebRTC's VAD finds speech, MFCCs normalised per utterance are
compared with subsequence DTW. No network, no model. docs/notice-check.md says what it can
and cannot do. `listening.sherpa` adapts a keyword spotter where an agency installs one.

    templates = [make_template(decode(path), max_seconds=180)]
    hit = search(decode(video, max_seconds=180), templates, min_confidence=0.5)

No Django here (lib/ is the lowest layer).
"""

from .errors import BadReference, ListeningError, NoAudio, Unreadable

# numpy, PyAV and the VAD load when something listens, not when a page module imports the
# errors (the command line and the web start without them: tests/test_startup_imports.py).
_LAZY = {
    "sherpa": (".sherpa", None),
    "MAX_DECODE_SECONDS": (".decoding", "MAX_DECODE_SECONDS"),
    "SAMPLE_RATE": (".decoding", "SAMPLE_RATE"),
    "decode": (".decoding", "decode"),
    "DEFAULT_MIN_CONFIDENCE": (".matching", "DEFAULT_MIN_CONFIDENCE"),
    "MATCHER_VERSION": (".matching", "MATCHER_VERSION"),
    "Hit": (".matching", "Hit"),
    "Template": (".matching", "Template"),
    "best": (".matching", "best"),
    "make_template": (".matching", "make_template"),
    "search": (".matching", "search"),
}


def __getattr__(name: str):
    import importlib

    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = importlib.import_module(module, __name__)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "MATCHER_VERSION",
    "MAX_DECODE_SECONDS",
    "SAMPLE_RATE",
    "BadReference",
    "Hit",
    "ListeningError",
    "NoAudio",
    "Template",
    "Unreadable",
    "best",
    "decode",
    "make_template",
    "search",
    "sherpa",
]
