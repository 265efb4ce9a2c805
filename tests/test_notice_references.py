"""The reference recordings of the notice (U5; 000§12, 001§11, 004§13 give its words): only
the system administrator adds, removes, listens to and tries them; each change and each
delivery is audited; a reference that cannot serve is refused with a Chinese reason and
nothing is stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from avrecords.audit.models import AuditEntry
from avrecords.compliance import notice_references as refs
from avrecords.compliance.models import NoticeReference
from tests import notice_audio as audio
from tests.notice_fixtures import (
    Clips,
    add_reference,
    camera_name,
    fuzhou,
    ingest,
    upload,
    wav_bytes,
)

pytestmark = audio.requires_espeak


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Clips:
    return Clips(tmp_path_factory.mktemp("notice"))


def stored_files() -> list[Path]:
    folder = Path(settings.AVRECORDS_DERIVED_PATH) / refs.FOLDER
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_reference_is_stored_as_audio_and_a_template_and_audited(org, clips):
    reference = add_reference(org, clips)
    assert reference.sha256 == hashlib.sha256(clips.reference).hexdigest()
    assert reference.kind == "device" and reference.original_name == "告知语.wav"
    assert 2 < reference.speech_seconds <= reference.duration_seconds
    root = Path(settings.AVRECORDS_DERIVED_PATH)
    assert (root / reference.audio_path).read_bytes()[:4] == b"RIFF"
    assert (root / reference.template_path).stat().st_size > 0
    assert len(stored_files()) == 2  # no temporary file left behind
    entry = AuditEntry.objects.get(action="notice_reference.add")
    assert entry.actor == org.sysadmin and entry.detail["sha256"] == reference.sha256


def test_a_silent_reference_is_refused_and_nothing_is_stored(org):
    with pytest.raises(refs.ReferenceRefused) as refused:
        refs.add(org.sysadmin, upload(wav_bytes(audio.silence(3.0))), name="静音", kind="device")
    assert "静音" in refused.value.fields["file"]
    assert not NoticeReference.objects.exists() and stored_files() == []
    assert not AuditEntry.objects.filter(action="notice_reference.add").exists()


def test_a_reference_longer_than_the_window_is_refused(org):
    """Over a minute of speech is no announcement (the window is 3 minutes, 004§13)."""
    said = [audio.speak(s) for s in audio.OTHER_SENTENCES]
    parts: list = []
    while sum(p.size for p in parts if not isinstance(p, float)) < 70 * audio.SAMPLE_RATE:
        parts += [said[len(parts) % len(said)], 0.3]
    with pytest.raises(refs.ReferenceRefused) as refused:
        refs.add(org.sysadmin, upload(wav_bytes(audio.clip(parts))), name="太长", kind="officer")
    assert "超过了检查的时间范围" in refused.value.fields["file"]
    assert not NoticeReference.objects.exists() and stored_files() == []


def test_a_file_that_is_no_audio_is_refused_in_chinese(org):
    with pytest.raises(refs.ReferenceRefused) as refused:
        refs.add(
            org.sysadmin, upload(b"not a recording " * 64, "a.wav"), name="坏文件", kind="officer"
        )
    assert refused.value.fields["file"] == "文件已损坏或格式无法识别"
    assert not NoticeReference.objects.exists()


class Oversized:
    """An upload announcing more than the limit; reading it would be a failure of the test."""

    name, size = "huge.wav", refs.MAX_UPLOAD_BYTES + 1

    def read(self, *args):
        raise AssertionError("an oversized upload must be refused before it is read")

    seek = read


def test_an_oversized_upload_is_refused_before_it_is_read(org):
    with pytest.raises(refs.ReferenceRefused) as refused:
        refs.add(org.sysadmin, Oversized(), name="大文件", kind="device")
    assert refused.value.fields["file"].startswith("文件过大（上限 50 MB）")


def test_a_missing_name_and_kind_are_named(org, clips):
    with pytest.raises(refs.ReferenceRefused) as refused:
        refs.add(org.sysadmin, upload(clips.reference), name=" ", kind="camera")
    assert set(refused.value.fields) == {"name", "kind"}


def test_removing_a_reference_deletes_its_files_once_committed(
    org, clips, django_capture_on_commit_callbacks
):
    reference = add_reference(org, clips)
    with django_capture_on_commit_callbacks(execute=True):
        refs.remove(org.sysadmin, reference)
    assert not NoticeReference.objects.exists() and stored_files() == []
    entry = AuditEntry.objects.get(action="notice_reference.remove")
    assert entry.summary == "删除告知语参考录音：执法记录仪内置告知语音（设备内置告知语音）"


def test_listening_to_a_reference_is_audited(org, clips):
    reference = add_reference(org, clips)
    with refs.open_audio(org.sysadmin, reference, ip="10.0.0.8") as handle:
        assert handle.read(4) == b"RIFF"
    entry = AuditEntry.objects.get(action="notice_reference.listen")
    assert (entry.actor, entry.ip) == (org.sysadmin, "10.0.0.8")


def test_trying_the_references_against_a_recording_says_where_and_how_sure(org, clips):
    fuzhou(org)
    reference = add_reference(org, clips)
    found = refs.try_against(org.sysadmin, ingest(org, clips.with_notice, camera_name(9, 30, 1)))
    assert found.hit is not None and found.threshold == 0.5
    assert found.hit.at_seconds == pytest.approx(clips.notice_at, abs=1.0)
    assert found.message.startswith(f"在 {found.where} 检测到告知语（置信度 ")
    assert f"与参考录音“{reference.name}”最相似" in found.message
    missed = refs.try_against(org.sysadmin, ingest(org, clips.short_without, camera_name(9, 40, 2)))
    assert missed.hit is None
    assert "未检测到告知语" in missed.message and "低于阈值 50%" in missed.message


@pytest.mark.parametrize("who", ["admin", "head2", "leader", "officer"])
def test_only_a_system_administrator_manages_references(org, clips, who):
    person = getattr(org, who)
    reference = add_reference(org, clips)
    recording = ingest(org, clips.short_without, camera_name(9, 30, 1))
    for act in (
        lambda: refs.add(person, upload(clips.reference), name="再一个", kind="device"),
        lambda: refs.remove(person, reference),
        lambda: refs.open_audio(person, reference),
        lambda: refs.try_against(person, recording),
    ):
        with pytest.raises(PermissionDenied) as refused:
            act()
        assert str(refused.value) == "只有系统管理员可以管理告知语参考录音"
    assert NoticeReference.objects.count() == 1
    assert not AuditEntry.objects.filter(
        action__in=["notice_reference.remove", "notice_reference.listen"]
    ).exists()


def test_the_stored_audio_is_the_decoded_reference_at_16_khz(org, clips):
    import wave

    reference = add_reference(org, clips)
    with wave.open(str(Path(settings.AVRECORDS_DERIVED_PATH) / reference.audio_path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        seconds = w.getnframes() / w.getframerate()
    original = np.frombuffer(clips.reference[44:], "<i2").size / 16000
    assert seconds == pytest.approx(original, abs=0.1)


def test_a_recording_the_administrator_is_not_cleared_for_is_not_tried(org, clips):
    """M9: trying references reads the recording's sound; a mark he lacks hides it (404)."""
    from avrecords.lib.refusals import NotFound
    from avrecords.recordings.models import Recording

    add_reference(org, clips)
    recording = ingest(org, clips.with_notice, camera_name(9, 30, 1))
    Recording.objects.filter(pk=recording.pk).update(secrecy="privacy")
    with pytest.raises(NotFound):
        refs.try_against(org.sysadmin, recording)
