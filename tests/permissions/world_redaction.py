"""The world's redacted copies of 张伟's recording (issue 21 §3): one waiting for review with a
detected face, one rendered and waiting for sign-off (its file in the world's derived store).
Rows made directly: the matrix checks who may act, tests/test_redaction_pages.py what the
pages show."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from avrecords.redaction.models import Redaction, RedactionTrack, State

if TYPE_CHECKING:
    from tests.permissions.world import World

COPY_BYTES = b"\x00\x00\x00\x18ftypmp42" * 64


def build_redaction(world: World, org) -> None:
    rec = world.recording["squad1"]
    common = {
        "recording_id": rec,
        "requested_by": org.admin,
        "purpose": "应当事人申请提供",
        "targets": ["faces"],
        "style": "blur",
        "original_sha256": "0" * 64,
    }
    review = Redaction.objects.create(state=State.REVIEW, **common)
    world.redaction = review.pk
    world.redaction_track = RedactionTrack.objects.create(
        redaction=review, kind="face", label="人脸 1", boxes=[[0.5, 0.4, 0.2, 0.1, 0.15]]
    ).pk
    relative = "redacted/world-ready.mp4"
    path = Path(settings.AVRECORDS_DERIVED_PATH) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(COPY_BYTES)
    world.redaction_ready = Redaction.objects.create(
        state=State.READY,
        output_path=relative,
        output_sha256=hashlib.sha256(COPY_BYTES).hexdigest(),
        output_size=len(COPY_BYTES),
        **common,
    ).pk
