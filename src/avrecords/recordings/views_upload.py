"""The upload page (M1, X4; issue 19 §3), for officers in the field on a phone and for
administrators at a desk.

With JavaScript the page sends each file by the resumable protocol (tus 1.0.0 at
`/api/v1/uploads/`, recordings/static/recordings/resumable_upload.js with the vendored
tus-js-client): progress, pause, resume after a dropped connection or a reload. Without
JavaScript the same form posts its files here and they are imported as one batch through
`uploads.ingest_upload`, exactly as the multipart upload API does, and the page shows each
file's outcome. Every rule (who may upload, names, sizes, the import) lives in the services.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from avrecords.lib.refusals import require
from avrecords.org.scope import can_upload
from avrecords.recordings.models import IngestItem
from avrecords.recordings.resumable import RESUMABLE_PATH
from avrecords.recordings.uploads import UploadRejected, ingest_upload, too_large_message

# One PATCH of the browser's upload: small enough that a dropped 4G connection costs little
# (at most one part is sent again, a few seconds at 4G speeds), large enough that a 2 GB
# file takes 256 requests, not thousands.
BROWSER_PART_BYTES = 8 * 1024**2

OUTCOME_LABELS = dict(IngestItem.Outcome.choices)


def _size_label(size_bytes: int) -> str:
    if size_bytes >= 1024**3:
        return f"{size_bytes / 1024**3:.1f} GB"
    return f"{size_bytes // 1024**2} MB"


def _context(**extra) -> dict:
    max_bytes = settings.AVRECORDS_UPLOAD_MAX_BYTES
    return {
        "nav": "upload",
        "max_size": _size_label(max_bytes),
        "max_bytes": max_bytes,
        "too_large": too_large_message(),
        "endpoint": RESUMABLE_PATH,  # tus 1.0.0: where the page's script creates its uploads
        "part_bytes": BROWSER_PART_BYTES,
        **extra,
    }


def _results(summary) -> list[dict]:
    """Each file of a finished batch as the page shows it: name, outcome in words, reason."""
    return [
        {
            "name": item.path,
            "label": OUTCOME_LABELS.get(item.outcome, "失败"),
            "outcome": item.outcome,
            "reason": item.reason,
            "recording_id": item.recording_id,
        }
        for item in summary.files
    ]


@login_required
def upload_page(request):
    """GET: the form. POST (the form without JavaScript): import the files, show the results."""
    require(can_upload(request.user))
    if request.method != "POST":
        return render(request, "recordings/upload.html", _context())
    try:
        summary = ingest_upload(request)
    except UploadRejected as exc:
        context = _context(error=str(exc))
        return render(request, "recordings/upload.html", context, status=exc.status)
    context = _context(results=_results(summary))
    return render(request, "recordings/upload.html", context)
