"""The world's notice check (U5): a reference recording of the notice, its derived WAV in the
world's derived store, and an open 未检测到告知语 finding on 张伟's seizure. Rows made
directly (no speech synthesis: the matrix checks who may act, tests/test_notice_pages.py what
listening finds)."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from avrecords.compliance.models import Finding, FindingKind, NoticeReference, ReferenceKind

if TYPE_CHECKING:
    from tests.permissions.world import World

REFERENCE_SECONDS = 1


def _wav(seconds: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x01" * 16000 * seconds)
    return out.getvalue()


def build_notice(world: World, org) -> None:
    folder = Path(settings.AVRECORDS_DERIVED_PATH) / "notice" / "world"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reference.wav").write_bytes(_wav(REFERENCE_SECONDS))
    (folder / "template.bin").write_bytes(b"")
    world.notice_reference = NoticeReference.objects.create(
        name="记录仪一键告知",
        kind=ReferenceKind.DEVICE,
        original_name="notice.wav",
        sha256="0" * 64,
        audio_path="notice/world/reference.wav",
        template_path="notice/world/template.bin",
        duration_seconds=REFERENCE_SECONDS,
        speech_seconds=REFERENCE_SECONDS,
        matcher_version="world",
        created_by=org.sysadmin,
    ).pk
    world.no_notice = Finding.objects.create(
        key=f"notice:{world.activity}",
        kind=FindingKind.NO_NOTICE,
        unit=org.squad1,
        officer=org.officer,
        activity_id=world.activity,
        summary="首个音像记录开头 3 分钟（00:00–03:00）未检测到告知语",
        cite="000§12",
        detail={"outcome": "not_found", "window_minutes": 3},
    ).pk
