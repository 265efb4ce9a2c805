"""The demo's speech (avrecords/demo/audio, made by scripts/make_demo_audio) still shows what
the demo promises with the matcher and threshold it ships with (issue 20 §2, U5; the demo
bureau's rules are tongbai, 000§12): the notice heard at 0:05 of 张伟's clip, nothing in
王芳's. A change to the listening library that breaks either shows here, not in a demo."""

from __future__ import annotations

import pytest

from avrecords.demo import notice
from avrecords.lib import listening
from avrecords.policies.services import builtin_sources, parse

WINDOW_SECONDS = 180.0


@pytest.fixture(scope="module")
def templates():
    return [
        listening.make_template(
            listening.decode(notice.AUDIO / filename), max_seconds=WINDOW_SECONDS
        )
        for filename, *_ in notice.REFERENCES
    ]


@pytest.fixture(scope="module")
def threshold() -> float:
    return parse(builtin_sources()["tongbai"]).notice.min_confidence


def test_the_clip_with_the_notice_is_heard_at_five_seconds(templates, threshold):
    hit = listening.search(notice.sound(notice.WITH_NOTICE), templates, min_confidence=threshold)
    assert hit is not None
    assert abs(hit.at_seconds - 5.0) < 0.5


def test_each_reference_alone_hears_the_notice_in_the_clip(templates, threshold):
    """The camera's announcement (a woman's voice) and the officer's reading both match the
    third voice of the clip: neither reference carries the demo alone."""
    sound = notice.sound(notice.WITH_NOTICE)
    for template in templates:
        assert listening.search(sound, [template], min_confidence=threshold) is not None


def test_the_clip_without_the_notice_is_not_mistaken_for_it(templates, threshold):
    assert (
        listening.search(notice.sound(notice.WITHOUT_NOTICE), templates, min_confidence=threshold)
        is None
    )
