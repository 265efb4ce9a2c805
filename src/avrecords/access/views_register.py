"""Pages for the 查阅登记簿 and 复制登记簿 (M8): the entries of the reader's units, filtered,
50 to a page, exported to Excel or printed to PDF. The rules live in `access.register`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from avrecords.access import register as svc
from avrecords.access.models import RegisterEntry, RegisterKind
from avrecords.audit.services import record
from avrecords.lib.http import client_ip
from avrecords.lib.pdf import PdfUnavailable
from avrecords.lib.refusals import NotFound, require

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"xlsx": (XLSX, svc.EXPORT_MAX_ROWS), "pdf": ("application/pdf", svc.PDF_MAX_ROWS)}
FILTER_NAMES = ("from", "to", "unit", "person", "number", "q")


def _require_reader(user) -> None:
    require(svc.can_view_registers(user))


def _checked(request, register: str) -> svc.Filters:
    if register not in RegisterKind.values:
        raise NotFound("没有该登记簿")
    _require_reader(request.user)
    params = {name: request.GET.get(name, "") for name in FILTER_NAMES}
    return svc.read_filters({**params, "register": register})


def _query(request) -> str:
    query = request.GET.copy()
    for name in ("page", "format"):
        query.pop(name, None)
    return query.urlencode()


def _back_to_list(request, register: str):
    url = reverse("registers:list", args=[register])
    query = _query(request)
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def index(request):
    _require_reader(request.user)
    return redirect("registers:list", register=RegisterKind.VIEW)


@login_required
@require_GET
def register_list(request, register: str):
    filters = _checked(request, register)
    user = request.user
    qs = svc.filter_entries(RegisterEntry.objects.visible_to(user), filters, user=user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(svc.rows(page.object_list, start=page.start_index(), viewer=user))
    return render(
        request,
        "access/register_list.html",
        {
            "nav": "registers",
            "register": register,
            "title": svc.register_title(register),
            "registers": [(k, svc.register_title(k)) for k in RegisterKind.values],
            "page": page,
            "entries": entries,
            "filters": {name: request.GET.get(name, "") for name in FILTER_NAMES},
            "errors": filters.errors,
            "units": svc.unit_choices(user),
            "query": _query(request),
        },
        status=400 if filters.errors else 200,
    )


@login_required
@require_GET
def register_export(request, register: str):
    filters = _checked(request, register)
    user = request.user
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("导出格式应为 xlsx 或 pdf".encode())
    if filters.errors:
        for error in filters.errors:
            messages.error(request, error)
        return _back_to_list(request, register)
    content_type, limit = FORMATS[fmt]
    qs = svc.filter_entries(RegisterEntry.objects.visible_to(user), filters, user=user)
    count = qs.count()
    if count > limit:
        messages.error(
            request, f"共 {count} 条，超过单次导出上限 {limit} 条，请缩小日期或单位范围后再导出"
        )
        return _back_to_list(request, register)
    title = svc.register_title(register)
    now = timezone.now()
    entries = svc.rows(qs, viewer=user)
    described = filters.described()
    if fmt == "xlsx":
        content = svc.to_xlsx(entries, title, described, by=user.display_name, at=now)
    else:
        try:
            content = svc.to_pdf(entries, title, described, by=user.display_name, at=now)
        except PdfUnavailable as exc:
            messages.error(request, str(exc))
            return _back_to_list(request, register)
    record(
        "register.export",
        actor=user,
        summary=f"导出{title}（{count} 条，{fmt.upper()}）",
        detail={"register": register, "format": fmt, "count": count, **filters.as_detail()},
        ip=client_ip(request),
    )
    response = HttpResponse(content, content_type=content_type)
    filename = f"{title}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
