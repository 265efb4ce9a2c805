"""The demo's notice check (U5; 000§12 for the demo bureau): two reference recordings of the
notice, the speech of two recordings, and the check run before `avrecords demo` returns.

The speech was made once with espeak-ng (scripts/make_demo_audio) and is committed in
`audio/`, since a machine running `make run` need not have espeak-ng:

- 张伟's inspection starts with a recording in which he says the notice from 0:05, so its
  check finds it and his player shows the mark on the timeline;
- 王芳's sampling starts with a recording of ordinary sentences only, so the check finds no
  notice and her 待办 shows the finding for her to answer, for 孙立 to review after.

The references are a camera's built-in announcement and an officer reading the notice, two
voices neither recording uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files import File

from avrecords.org.models import Role, User

if TYPE_CHECKING:
    import numpy as np

AUDIO = Path(__file__).resolve().parent / "audio"
REFERENCES = [
    # (file, the name it is uploaded under, name, kind)
    ("notice_device.opus", "记录仪一键告知.opus", "执法记录仪一键告知语音", "device"),
    ("notice_officer.opus", "执法人员朗读.opus", "执法人员朗读告知语", "officer"),
]
WITH_NOTICE = "clip_with_notice.opus"  # the notice from 0:05
WITHOUT_NOTICE = "clip_without_notice.opus"


def sound(name: str) -> np.ndarray:
    """One of the demo's clips as float32 mono 16 kHz, for `media.make_video(sound=...)`."""
    from avrecords.lib import listening

    return listening.decode(AUDIO / name)


def load_references() -> None:
    """The system administrator gives the platform its two references (系统管理 → 告知语参考录音)."""
    from avrecords.compliance import notice_references

    admin = User.objects.filter(role=Role.SYSADMIN).order_by("pk").first()
    for filename, uploaded_as, name, kind in REFERENCES:
        with open(AUDIO / filename, "rb") as handle:
            notice_references.add(admin, File(handle, name=uploaded_as), name=name, kind=kind)


def check_now() -> int:
    """Run the notice checks the ingest and the activities queued, so the results are there
    when the demo is first opened (the worker would get to them later); how many ran."""
    from avrecords.compliance.notice_check import JOB
    from avrecords.jobs.models import Job, JobState
    from avrecords.jobs.services import run

    queued = Job.objects.filter(kind=JOB, state=JobState.QUEUED).order_by("pk")
    return sum(run(pk) != "skipped" for pk in queued.values_list("pk", flat=True))
