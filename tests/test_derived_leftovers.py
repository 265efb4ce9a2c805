"""A media job claimed again removes what its killed run left (issue 15, row 15; M2).

The probe killed a worker during a proxy job: the job was re-run and the proxy made, but the
dead run's `.proxy.mp4.<pid>.part` stayed beside it until a cleanup an hour later. Here a
worker "dead-host" claims the job and dies (its lease runs out with a partial file written
under its pid); the reaper queues the job again and this worker runs it.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from avrecords.jobs import services as jobs
from avrecords.jobs.models import Job, JobState
from avrecords.recordings.jobs import derived_path
from avrecords.recordings.models import Recording
from tests import media as m
from tests.media import make_dump

DEAD_PID = 4242


@pytest.fixture
def recording(org, library, tmp_path) -> Recording:
    """An HEVC recording ingested from a camera: it gets a thumbnail job and a proxy job."""
    dump = make_dump(library, tmp_path / "CAMERA", [m.HEVC])
    out = io.StringIO()
    call_command("ingest", str(dump), "--station", "一中队采集站", "--json", stdout=out)
    return Recording.objects.get(pk=json.loads(out.getvalue())["files"][0]["recording_id"])


@pytest.mark.parametrize(
    ("kind", "output"), [("media.proxy", "proxy.mp4"), ("media.thumbnail", "thumbnail.jpg")]
)
def test_a_job_claimed_again_removes_the_partial_file_of_its_killed_run(recording, kind, output):
    job = Job.objects.get(kind=kind, subject_id=str(recording.pk))
    assert jobs.claim(job.pk, f"dead-host:{DEAD_PID}:1")
    dest = derived_path(recording, output)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stale = dest.with_name(f".{output}.{DEAD_PID}.part")
    stale.write_bytes(b"\x00" * 4096)  # what the killed encoder had written
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert jobs.reap() >= 1

    assert jobs.run(job.pk) == JobState.DONE
    assert not stale.exists()
    assert sorted(p.name for p in dest.parent.iterdir() if p.name.endswith(".part")) == []
    assert dest.is_file() and dest.stat().st_size > 0
