"""What the notice-check tests share (U5; 004§13): real MP4s made once per module with
tests/notice_audio.py, imported through the ingest as a station imports a camera's files,
and the fuzhou profile on the test bureau.

The reference is the camera's built-in announcement: the same recorded voice is played in
the videos, under noise (the matcher's quality on other voices is bench/notice_bench.py's).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from avrecords.compliance import activities as acts
from avrecords.compliance import notice_references
from avrecords.jobs import services as jobs
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.ingest import Ingestor
from avrecords.recordings.models import IngestSource, Recording
from tests import notice_audio as audio
from tests.rows import BEIJING

VOICE = "f2"
LEAD_SECONDS = 1.0
PAUSE_SECONDS = 0.5


def beijing(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 20, hour, minute, tzinfo=BEIJING)


def camera_name(hour: int, minute: int, n: int) -> str:
    """A GA/T 947 name: 张伟's camera 3501001, officer number 350211, Beijing time."""
    return f"3501001_350211_20261120{hour:02d}{minute:02d}00_{n:04d}.MP4"


def wav_bytes(samples: np.ndarray) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return audio.write_wav(Path(folder) / "a.wav", samples).read_bytes()


def upload(data: bytes, name: str = "告知语.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="audio/wav")


class Clips:
    """The module's videos: with the notice (and the second it starts), without it (longer
    than the window), and with no audio at all."""

    def __init__(self, folder: Path) -> None:
        rng = np.random.default_rng(20)
        before = audio.speak(audio.OTHER_SENTENCES[0], variant=VOICE)
        notice = audio.speak(audio.NOTICE_TEXT, variant=VOICE)
        after = audio.speak(audio.OTHER_SENTENCES[2], variant=VOICE)
        self.notice_at = LEAD_SECONDS + before.size / audio.SAMPLE_RATE + PAUSE_SECONDS
        self.with_notice = audio.write_video(
            folder / "with.mp4",
            audio.add_noise(
                audio.clip([LEAD_SECONDS, before, PAUSE_SECONDS, notice, 1.0, after, 1.0]), 20, rng
            ),
        )
        others = [audio.speak(s, variant=VOICE) for s in audio.OTHER_SENTENCES[1:4]]
        parts: list = [1.0]
        for sentence in others:
            parts += [sentence, 1.0]
        spoken = sum(p.size for p in others) / audio.SAMPLE_RATE + len(parts) - len(others)
        parts.append(max(0.0, 185.0 - spoken))  # past the 3 minutes searched
        self.without_notice = audio.write_video(
            folder / "without.mp4",
            audio.add_noise(audio.clip(parts), 20, rng),
            width=64,
            height=48,
            fps=1,
        )
        self.short_without = audio.write_video(
            folder / "short.mp4", audio.add_noise(audio.clip([1.0, others[0], 1.0]), 20, rng)
        )
        self.silent_video = audio.write_video_without_audio(folder / "mute.mp4", 2.0)
        self.reference = wav_bytes(notice)


def fuzhou(org) -> None:
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))


def inspection(org, start=None, end=None) -> acts.Activity:
    """张伟's 行政处罚检查勘验 (must be recorded, 004§7(2)), 09:00–11:00."""
    return acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="penalty_inspection",
            started_at=start or beijing(9),
            ended_at=end or beijing(11),
            officers=[org.officer],
        ),
    )


def ingest(org, path: Path, name: str) -> Recording:
    """Import one file at the squad's station, as a camera's dump is imported."""
    ingestor = Ingestor(source=IngestSource.STATION, station=org.station, operator=org.admin)
    result = ingestor.ingest_file(path, name)
    ingestor.finish()
    assert result.recording_id, result.reason
    return Recording.objects.get(pk=result.recording_id)


def run_jobs() -> None:
    """Run queued jobs until none is left (a job may queue the next: evaluate → notice)."""
    while jobs.run_pending():
        pass


def add_reference(org, clips: Clips):
    return notice_references.add(
        org.sysadmin, upload(clips.reference), name="执法记录仪内置告知语音", kind="device"
    )
