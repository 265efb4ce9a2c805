"""The notice check's pages (U5): 系统管理 → 告知语参考录音 for system administrators (list,
upload, audited listening, delete, 试听检测), and a missed notice ({no_notice}, on 张伟's
seizure) answered by the officer concerned and confirmed by those who decide for his unit
(tongbai: the unit head, 000§12), each audited once on the finding."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.permissions.rules import (
    HEADS,
    POLICY_MANAGERS,
    RECORDING_SCOPE,
    Endpoint,
    Target,
    post,
)

REF = Target(
    "a notice reference",
    audited_as="compliance.noticereference",
    audited_id=lambda w: w.notice_reference,
)
NO_NOTICE = Target(
    "the seizure's missed notice",
    seen_by=RECORDING_SCOPE["squad1"],
    audited_as="compliance.finding",
    audited_id=lambda w: w.no_notice,
)


def _not_audio(world) -> dict:
    """A photo offered as a reference: refused on the form (422), nothing stored."""
    return {
        "name": "记录仪一键告知",
        "kind": "device",
        "file": SimpleUploadedFile("a.jpg", world.photo),
    }


ROWS = [
    Endpoint("page-notice-references", "/notice/references/", POLICY_MANAGERS),
    post(
        "page-notice-reference-upload",
        "/notice/references/upload",
        POLICY_MANAGERS,
        ok=422,
        body=_not_audio,
    ),
    Endpoint(
        "page-notice-reference-audio",
        "/notice/references/{ref}/audio",
        POLICY_MANAGERS,
        REF,
        audit="notice_reference.listen",
    ),
    post(
        "page-notice-reference-delete",
        "/notice/references/{ref}/delete",
        POLICY_MANAGERS,
        REF,
        audit="notice_reference.remove",
    ),
    post(
        "page-notice-try",
        "/notice/references/try",
        POLICY_MANAGERS,
        ok=200,
        body=lambda w: {"recording": w.recording["squad1"]},
    ),
    post(
        "page-finding-notice-answer",
        "/findings/{no_notice}/notice-answer",
        ["officer"],  # the officer concerned (or his successor, E5)
        NO_NOTICE,
        audit="notice.answer",
        body=lambda w: {"code": "other_device", "text": "告知在同行人员的记录仪上录制"},
    ),
    post(
        "page-finding-notice-review",
        "/findings/{no_notice}/notice-review",
        HEADS | {"leader"},  # notice.reviewed_by, the leader above; not system administrators
        NO_NOTICE,
        audit="notice.confirm",
        body=lambda w: {"decision": "confirm", "note": "已核实"},
    ),
]
