"""The reference recordings of the notice the platform listens for (U5), kept by the system
administrator: add, remove, listen to (audited delivery), try against a recording.

A reference is the camera's built-in announcement or an officer reading the notice
("为保护您的合法权益，监督我们的执法行为，本次执法全程录音录像", 000§12, 001§11, 004§13).
It is decoded to 16 kHz mono and turned into a matching template (`lib.listening`); both are
derived files under AVRECORDS_DERIVED_PATH/notice/, each written to a temporary file and
renamed, and removed again if the row is not saved: nothing half-written is left. A reference
that is silence, too short, or longer than the longest window any profile searches is refused
with its reason, and nothing is stored.

Only system administrators manage references: the rule that already keeps the policy
profiles (`org.scope.can_manage_policies`), since references are the agency's settings of the
check as the profile's `notice` section is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from avrecords.audit.services import record
from avrecords.compliance.models import (
    FindingKind,
    FindingStatus,
    NoticeCheck,
    NoticeOutcome,
    NoticeReference,
    ReferenceKind,
)
from avrecords.compliance.notice_check import (
    clock,
    decode_window,
    enqueue_for,
    percent,
    reference_templates,
)
from avrecords.lib.refusals import Forbidden, Invalid
from avrecords.org.scope import can_manage_policies
from avrecords.policies.models import PolicyProfile
from avrecords.policies.schema import NOTICE_NOTE, Notice
from avrecords.policies.services import profile_for_unit
from avrecords.recordings.models import Recording

if TYPE_CHECKING:
    import numpy as np

    from avrecords.lib import listening

# numpy and `lib.listening` are imported where they are used: the pages import this module
# when the URLs load, which must stay light (tests/test_startup_imports.py).

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FOLDER = "notice"
FORBIDDEN_MESSAGE = "只有系统管理员可以管理告知语参考录音"
# Decoded beyond the longest window, so that a reference longer than it is seen to be
DECODE_MARGIN_SECONDS = 10.0


class ReferenceRefused(Invalid, ValueError):
    """A reference that cannot be used (422): the Chinese reason; nothing was stored."""

    api_prefix = "未保存："


def may_manage(user) -> bool:
    return can_manage_policies(user)


def _require(actor) -> None:
    if not may_manage(actor):
        raise Forbidden(FORBIDDEN_MESSAGE)


def longest_window_seconds() -> float:
    """The longest opening any profile in use searches: a reference must fit in it."""
    minutes = [Notice.model_fields["window_minutes"].default]
    for row in PolicyProfile.objects.all():
        try:
            minutes.append(row.profile.notice.window_minutes)
        except Exception:  # an unreadable profile is the policies pages' to report
            log.warning("profile %s unreadable while sizing notice references", row.pk)
    return max(minutes) * 60.0


def _write_atomic(dest: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, dest)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def wav_bytes(samples: np.ndarray) -> bytes:
    """16-bit PCM mono WAV at the listening rate."""
    import io

    import numpy as np

    from avrecords.lib import listening

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(listening.SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buf.getvalue()


def _digest(uploaded) -> str:
    sha = hashlib.sha256()
    uploaded.seek(0)
    for chunk in iter(lambda: uploaded.read(1024 * 1024), b""):
        sha.update(chunk)
    uploaded.seek(0)
    return sha.hexdigest()


def add(actor, uploaded, *, name: str, kind: str) -> NoticeReference:
    """Store a reference recording of the notice (an UploadedFile or any seekable binary file
    with `size` and `name`); ReferenceRefused with the reason, storing nothing."""
    _require(actor)
    name = (name or "").strip()
    fields = {}
    if not name:
        fields["name"] = "请填写名称"
    elif len(name) > 100:
        fields["name"] = "名称过长（最多 100 个字）"
    if kind not in ReferenceKind.values:
        fields["kind"] = "请选择类型：设备内置告知语音或执法人员朗读"
    size = getattr(uploaded, "size", None)
    if size is None:
        fields["file"] = "请选择参考录音文件"
    elif size == 0:
        fields["file"] = "文件是空的"
    elif size > MAX_UPLOAD_BYTES:
        fields["file"] = (
            f"文件过大（上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB），请只保留告知语部分"
        )
    if fields:
        raise ReferenceRefused(fields=fields)
    from avrecords.lib import listening

    sha256 = _digest(uploaded)
    window = longest_window_seconds()
    try:
        samples = listening.decode(uploaded, max_seconds=window + DECODE_MARGIN_SECONDS)
        template = listening.make_template(samples, max_seconds=window)
    except listening.ListeningError as exc:
        log.info("notice reference refused: %s", getattr(exc, "log_message", exc))
        raise ReferenceRefused(fields={"file": str(exc)}) from exc
    folder = Path(settings.AVRECORDS_DERIVED_PATH) / FOLDER / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        audio, tmpl = folder / "reference.wav", folder / "template.bin"
        _write_atomic(audio, wav_bytes(samples))
        _write_atomic(tmpl, template.to_bytes())
        root = Path(settings.AVRECORDS_DERIVED_PATH)
        with transaction.atomic():
            reference = NoticeReference.objects.create(
                name=name,
                kind=kind,
                original_name=Path(getattr(uploaded, "name", "") or "reference").name[:255],
                sha256=sha256,
                audio_path=audio.relative_to(root).as_posix(),
                template_path=tmpl.relative_to(root).as_posix(),
                duration_seconds=template.duration_seconds,
                speech_seconds=template.speech_seconds,
                matcher_version=listening.MATCHER_VERSION,
                created_by=actor,
            )
            record(
                "notice_reference.add",
                actor=actor,
                obj=reference,
                summary=f"添加告知语参考录音：{reference}",
                detail={
                    "sha256": sha256,
                    "original_name": reference.original_name,
                    "duration_seconds": reference.duration_seconds,
                    "speech_seconds": reference.speech_seconds,
                    "matcher_version": reference.matcher_version,
                },
            )
            _check_again()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return reference


def _check_again() -> None:
    """Activities checked without any reference, or where nothing was heard and the finding
    is still open, are checked again with the new one (after this commit)."""
    waiting = NoticeCheck.objects.filter(outcome=NoticeOutcome.NO_REFERENCES)
    unheard = NoticeCheck.objects.filter(
        outcome=NoticeOutcome.NOT_FOUND,
        activity__findings__kind=FindingKind.NO_NOTICE,
        activity__findings__status=FindingStatus.OPEN,
    )
    for check in (waiting | unheard).distinct().select_related("activity"):
        enqueue_for(check.activity)


def _files(reference: NoticeReference) -> Path:
    root = Path(settings.AVRECORDS_DERIVED_PATH)
    return (root / reference.audio_path).parent


def remove(actor, reference: NoticeReference) -> None:
    """Delete a reference; its files go once the deletion is committed. Checks made with it
    keep its name."""
    _require(actor)
    folder = _files(reference)
    with transaction.atomic():
        reference = NoticeReference.objects.select_for_update().get(pk=reference.pk)
        record(
            "notice_reference.remove",
            actor=actor,
            obj=reference,
            summary=f"删除告知语参考录音：{reference}",
            detail={"sha256": reference.sha256, "original_name": reference.original_name},
        )
        reference.delete()
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def open_audio(actor, reference: NoticeReference, *, ip: str = ""):
    """The reference's 16 kHz WAV, opened for reading; each delivery is audited."""
    _require(actor)
    path = Path(settings.AVRECORDS_DERIVED_PATH) / reference.audio_path
    handle = open(path, "rb")  # noqa: SIM115 (the caller streams and closes it)
    record(
        "notice_reference.listen",
        actor=actor,
        obj=reference,
        summary=f"试听告知语参考录音：{reference}",
        ip=ip,
    )
    return handle


@dataclass(frozen=True)
class Trial:
    """What trying the references against a recording found: the hit over the threshold
    (or None), the best match at all, the seconds searched, the threshold, and a sentence."""

    hit: listening.Hit | None
    best: listening.Hit | None
    window_seconds: float
    threshold: float
    message: str

    @property
    def where(self) -> str:
        return clock(self.best.at_seconds) if self.best else ""

    @property
    def confidence(self) -> float | None:
        return self.best.confidence if self.best else None


def try_against(actor, recording: Recording, references=None) -> Trial:
    """Search the opening of `recording` with `references` (default: all) as the check would,
    and say where the best match is and how it compares with the threshold."""
    from avrecords.lib import listening

    _require(actor)
    # what he may not see (M9: a mark he is not cleared for) he may not listen into either
    recording = Recording.objects.get_visible(actor, recording.pk)
    profile = profile_for_unit(recording.unit) if recording.unit_id else None
    notice = profile.notice if profile else Notice(note=NOTICE_NOTE)
    threshold = notice.min_confidence
    pairs = reference_templates(references)
    templates = [template for _, template in pairs]
    window = notice.window_minutes * 60
    if not templates:
        return Trial(None, None, 0.0, threshold, "尚未配置告知语参考录音")
    try:
        samples = decode_window(recording, window)
    except listening.ListeningError as exc:
        return Trial(None, None, 0.0, threshold, str(exc))
    searched = len(samples) / listening.SAMPLE_RATE
    best = listening.best(samples, templates)
    hit = best if best is not None and best.confidence >= threshold else None
    span = f"开头 {clock(searched)}"
    if hit is not None:
        matched = pairs[hit.reference_index][0].name
        message = (
            f"在 {clock(hit.at_seconds)} 检测到告知语（置信度 {percent(hit.confidence)}，"
            f"阈值 {percent(threshold)}），与参考录音“{matched}”最相似"
        )
    elif best is not None:
        message = (
            f"{span}未检测到告知语：最相似的一处在 {clock(best.at_seconds)}，"
            f"置信度 {percent(best.confidence)}，低于阈值 {percent(threshold)}"
        )
    else:
        message = f"{span}没有可比较的语音，未检测到告知语"
    return Trial(hit, best, searched, threshold, message)
