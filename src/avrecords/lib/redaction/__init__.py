"""Redacted copies without Django: detection, tracking, rendering (issue 21).

Privacy and commercial secrets (000§19, 001§25, 003§14, 004§21); the original is only read
and the copy is a separate derived file (M2). Names are loaded on first use, so importing
the package loads no numpy, onnxruntime, cv2 or PyAV (tests/test_startup_imports.py):

    from avrecords.lib.redaction import detect_tracks, box_at, follow, MODEL_VERSIONS
"""

from __future__ import annotations

from importlib import import_module

_WHERE = {
    "Box": "tracker",
    "TrackData": "tracker",
    "box_at": "tracker",
    "detect_tracks": "detect",
    "follow": "follow",
    "MODEL_VERSIONS": "models",
    "model_versions": "models",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(f"{__name__}.{module}"), name)
