"""The 审计锚定 page (X1): the signing key's public part and fingerprint, the anchors written
outside the database, a printable PDF of them (for paper) and a ZIP of the files and the public
key (for disc). System administrators and supervisors (`org.scope.can_view_audit_anchors`);
each export is audited (`audit.anchor_export`)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from avrecords.audit import anchors
from avrecords.audit.services import record
from avrecords.lib import signing
from avrecords.lib.http import client_ip
from avrecords.lib.pdf import PdfUnavailable, render_pdf
from avrecords.lib.refusals import require
from avrecords.org.scope import can_view_audit_anchors

ANCHORS_SHOWN = 100
PUBLIC_KEY_FILE = "audit-signing-key.pub"
README = """审计日志锚定文件（行政执法音像记录管理平台）

每个 anchor-<序号>-<日期-时间>.json 记录某一时刻审计日志第 <序号> 条的哈希值（head_hash），
并由本系统的签名私钥签名（signature，对其余字段按键排序、紧凑 JSON、UTF-8 编码后签名）。
{public_key_file} 为核验签名所用的公钥，指纹（公钥原始字节的 SHA-256）：
{fingerprint}

核验：avrecords audit verify --anchors <本目录> --public-key <本目录>/{public_key_file}
只要锚定文件在数据库之外完好保存，锚定之前的任何审计记录被改写都会被发现。
"""


def _rows(found: list[anchors.Anchor], key: signing.PublicKey | None) -> list[dict]:
    return [
        {
            "anchor": a,
            "at": timezone.localtime(a.anchored_at),
            "valid": bool(key) and a.signed_by(key),
            "other_key": bool(key) and a.fingerprint != key.fingerprint,
        }
        for a in found
    ]


def _key_context(key: signing.PublicKey | None) -> dict:
    return {
        "key": key,
        "fingerprint": signing.grouped(key.fingerprint) if key else "",
        "public_hex": key.raw.hex() if key else "",
    }


def _allowed(request) -> None:
    require(can_view_audit_anchors(request.user))


@login_required
@require_GET
def anchors_page(request):
    _allowed(request)
    key = anchors.installation_public_key()
    found, unreadable = anchors.read_anchors(settings.AVRECORDS_AUDIT_ANCHOR_DIR)
    latest = list(reversed(found))[:ANCHORS_SHOWN]
    context = {
        "nav": "audit",
        "rows": _rows(latest, key),
        "total": len(found),
        "unreadable": unreadable,
        "directory": settings.AVRECORDS_AUDIT_ANCHOR_DIR,
        "key_path": settings.AVRECORDS_AUDIT_KEY_PATH,
        **_key_context(key),
    }
    return render(request, "audit/anchors.html", context)


def _audit_export(request, fmt: str, count: int) -> None:
    record(
        "audit.anchor_export",
        actor=request.user,
        summary=f"导出审计锚定记录（{fmt.upper()}，{count} 个）",
        detail={"format": fmt, "anchors": count},
        ip=client_ip(request),
    )


@login_required
@require_GET
def anchors_pdf(request):
    _allowed(request)
    key = anchors.installation_public_key()
    found, _ = anchors.read_anchors(settings.AVRECORDS_AUDIT_ANCHOR_DIR)
    try:
        content = render_pdf(
            "audit/anchors_print.html",
            {
                "rows": _rows(found, key),
                "printed_by": request.user.display_name,
                "printed_at": timezone.now(),
                **_key_context(key),
            },
        )
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("audit:anchors")
    _audit_export(request, "pdf", len(found))
    response = HttpResponse(content, content_type="application/pdf")
    name = f"审计锚定记录_{timezone.localdate():%Y%m%d}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
@require_GET
def anchors_zip(request):
    """Every anchor file, the public key and a note on checking them: to burn to disc."""
    _allowed(request)
    key = anchors.installation_public_key()
    directory = Path(settings.AVRECORDS_AUDIT_ANCHOR_DIR)
    found, _ = anchors.read_anchors(directory)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for anchor in found:
            zf.write(directory / anchor.name, f"anchors/{anchor.name}")
        if key is not None:
            zf.writestr(f"anchors/{PUBLIC_KEY_FILE}", key.pem())
            note = README.format(
                public_key_file=PUBLIC_KEY_FILE, fingerprint=signing.grouped(key.fingerprint)
            )
            zf.writestr("anchors/说明.txt", note)
    _audit_export(request, "zip", len(found))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    name = f"审计锚定文件_{timezone.localdate():%Y%m%d}.zip"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
