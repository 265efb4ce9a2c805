"""The 人员名册 pages (issue 18 §3): upload a roster, see what it would do, confirm it; export
the roster; download the template and, once, the new people's initial passwords. The rules
live in `agency.roster` and the people service; these parse the request and show the answer.

Between the preview and 确认导入 the uploaded file waits under AVRECORDS_HOME/tmp/roster/, named
in the session (one per person, replaced by his next upload, gone after applying or after
PENDING_SECONDS, also swept by the worker's reaper), and is applied only if its SHA-256 is the one previewed. The new people's
initial passwords wait there too, as the .xlsx to hand over, until it is downloaded once.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from avrecords.agency import roster
from avrecords.agency.permissions import can_manage_people
from avrecords.audit import services as audit
from avrecords.lib import sheets
from avrecords.lib.http import attachment
from avrecords.lib.refusals import require
from avrecords.org.models import Role, Secrecy

XLSX = roster.XLSX_TYPE
PENDING_SECONDS = 3600  # an upload not confirmed, or passwords not downloaded, within an hour
UPLOAD_KEY = "agency.roster.upload"
PASSWORDS_KEY = "agency.roster.passwords"
NOT_ALLOWED = "无权管理人员"


def _require_manager(user) -> None:
    require(can_manage_people(user), NOT_ALLOWED)


# ---- files waiting between two requests --------------------------------------------------


def _folder() -> Path:
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR) / "roster"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - PENDING_SECONDS
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        except FileNotFoundError:
            continue  # removed meanwhile by another request or the reaper
    return folder


def _path(request, token: str) -> Path:
    # "upload-…": the worker's reaper (lib.leftovers) removes it too once an hour old, should
    # nobody open the roster page again.
    return _folder() / f"upload-roster-{request.user.pk}-{token}"


def _keep(request, key: str, data: bytes, **facts) -> str:
    """Keep `data` for this person's next request (replacing what he kept under `key`)."""
    _drop(request, key)
    token = secrets.token_hex(16)
    _path(request, token).write_bytes(data)
    request.session[key] = {"token": token, "at": time.time(), **facts}
    return token


def _kept(request, key: str) -> tuple[dict, bytes] | None:
    facts = request.session.get(key)
    if not facts or time.time() - facts.get("at", 0) > PENDING_SECONDS:
        return None
    try:
        return facts, _path(request, facts["token"]).read_bytes()
    except FileNotFoundError:
        return None


def _drop(request, key: str) -> None:
    facts = request.session.pop(key, None)
    if facts:
        _path(request, facts["token"]).unlink(missing_ok=True)


# ---- the page ----------------------------------------------------------------------------


def _page(request, *, report=None, refused: str = "", token: str = "", status: int = 200):
    passwords = request.session.get(PASSWORDS_KEY)
    if passwords and time.time() - passwords.get("at", 0) > PENDING_SECONDS:
        passwords = None
    return render(
        request,
        "agency/roster_import.html",
        {
            "nav": "roster",
            "report": report,
            "refused": refused,
            "token": token,
            "passwords": passwords,
            "columns": roster.COLUMNS,
            "required": roster.REQUIRED,
            "roles": Role.labels,
            "marks": [label for value, label in Secrecy.choices if value],
            "max_rows": roster.MAX_ROWS_PER_FILE,
            "preview_rows": roster.PREVIEW_ROWS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    """GET: the form. POST: a dry run of the uploaded file — its preview, or every error."""
    _require_manager(request.user)
    if request.method == "GET":
        return _page(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, refused="请选择要导入的名册文件", status=422)
    data = upload.read(sheets.MAX_FILE_BYTES + 1)
    try:
        report = roster.import_file(request.user, upload.name, data, dry_run=True)
    except sheets.SheetRefused as exc:
        return _page(request, refused=str(exc), status=422)
    if report.errors:
        _drop(request, UPLOAD_KEY)
        return _page(request, report=report, status=422)
    token = _keep(request, UPLOAD_KEY, data, name=upload.name, sha256=report.sha256)
    return _page(request, report=report, token=token)


@login_required
@require_POST
def roster_apply(request):
    """确认导入: apply the file previewed (the same bytes, by its SHA-256), all or nothing."""
    _require_manager(request.user)
    kept = _kept(request, UPLOAD_KEY)
    if kept is None or request.POST.get("token") != kept[0]["token"]:
        messages.error(request, "没有待确认的名册（已导入、已过期或已重新上传），请重新上传")
        return redirect("agency:roster")
    facts, data = kept
    report = roster.import_file(request.user, facts["name"], data, dry_run=False)
    _drop(request, UPLOAD_KEY)
    if report.errors:  # someone changed the people between the preview and now
        return _page(request, report=report, status=422)
    if report.passwords:
        sheet = roster.passwords_xlsx(roster.password_rows(report))
        _keep(request, PASSWORDS_KEY, sheet, count=len(report.passwords), file=facts["name"])
    messages.success(request, f"名册已导入：{report.summary}")
    return redirect("agency:roster")


@login_required
@require_POST
def roster_passwords(request):
    """The new people's initial passwords as .xlsx, once: then the server keeps no copy."""
    _require_manager(request.user)
    kept = _kept(request, PASSWORDS_KEY)
    _drop(request, PASSWORDS_KEY)
    if kept is None:
        messages.error(request, "初始密码表已下载过或已过期；如需密码，请在人员页重置")
        return redirect("agency:roster")
    facts, data = kept
    audit.record(
        "agency.roster_passwords",
        actor=request.user,
        summary=f"下载名册导入新增人员的初始密码表（{facts['count']} 人）",
        detail={"file": facts.get("file", ""), "count": facts["count"]},
    )
    return attachment(data, f"初始密码-{timezone.localdate():%Y%m%d}.xlsx", XLSX)


# ---- export and template -----------------------------------------------------------------


@login_required
@require_GET
def roster_export_xlsx(request):
    _require_manager(request.user)
    return attachment(*roster.export_file(request.user, "xlsx"))


@login_required
@require_GET
def roster_export_csv(request):
    """UTF-8 with a BOM; ?encoding=gbk for an Excel that reads only GBK (GB18030)."""
    _require_manager(request.user)
    gbk = request.GET.get("encoding") == "gbk"
    return attachment(*roster.export_file(request.user, "csv", gbk=gbk))


@login_required
@require_GET
def roster_template(request):
    _require_manager(request.user)
    return attachment(roster.template_xlsx(), "人员名册模板.xlsx", XLSX)
