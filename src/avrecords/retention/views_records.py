"""清除记录 (M5): what was purged, filtered by date and text, printed one by one or as a list
(A4 PDF with the CJK font embedded, `lib.pdf`). Each print is audited, as a register export
is. Records are seen by the readers whose scope includes the recording's unit."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from avrecords.audit.services import record as audit
from avrecords.lib.http import client_ip
from avrecords.lib.pdf import PdfUnavailable, render_pdf
from avrecords.lib.refusals import NotFound
from avrecords.retention import filters
from avrecords.retention.models import DestructionRecord
from avrecords.retention.views import need_reader

PDF_MAX_ROWS = 2000  # as for the registers: WeasyPrint slows down well before 10k rows
FILTERS = ("from", "to", "q")


def _filtered(request) -> tuple[object, dict, list[str]]:
    values = {name: request.GET.get(name, "").strip() for name in FILTERS}
    qs, errors = filters.filter_records(
        DestructionRecord.objects.visible_to(request.user), request.GET
    )
    return qs, values, list(errors.values())


def _described(values: dict) -> list[tuple[str, str]]:
    labels = {"from": "清除日期自", "to": "清除日期至", "q": "查找"}
    return [(labels[k], v) for k, v in values.items() if v]


@login_required
@require_GET
def record_list(request):
    need_reader(request.user)
    qs, values, errors = _filtered(request)
    page = Paginator(qs, settings.AVRECORDS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "retention/records.html",
        {
            "nav": "retention",
            "page": page,
            "filters": values,
            "errors": errors,
            "query": query.urlencode(),
        },
        status=400 if errors else 200,
    )


def _pdf(request, records, *, title: str, filters, filename: str):
    content = render_pdf(
        "retention/print/records.html",
        {
            "title": title,
            "filters": filters,
            "records": records,
            "printed_by": request.user.display_name,
            "printed_at": timezone.now(),
        },
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@login_required
@require_GET
def record_pdf(request, pk: int):
    # empty for non-readers
    found = DestructionRecord.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound("清除记录不存在或不在您的权限范围内")
    try:
        response = _pdf(
            request,
            [found],
            title=f"清除记录 {found.number}",
            filters=[],
            filename=f"清除记录-{found.number}.pdf",
        )
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("retention:records")
    audit(
        "retention.record_print",
        actor=request.user,
        obj=found,
        summary=f"打印清除记录 {found.number}",
        ip=client_ip(request),
    )
    return response


@login_required
@require_GET
def record_export(request):
    need_reader(request.user)
    qs, values, errors = _filtered(request)
    back = f"{reverse('retention:records')}?{request.GET.urlencode()}"
    for error in errors:
        messages.error(request, error)
    count = qs.count()
    if count > PDF_MAX_ROWS:
        messages.error(
            request, f"共 {count} 条，超过单次导出上限 {PDF_MAX_ROWS} 条，请缩小日期范围后再导出"
        )
    if errors or count > PDF_MAX_ROWS:
        return redirect(back)
    described = _described(values)
    try:
        response = _pdf(
            request,
            list(qs),
            title="清除记录",
            filters=described,
            filename=f"清除记录-{timezone.localdate():%Y%m%d}.pdf",
        )
    except PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(back)
    audit(
        "retention.record_print",
        actor=request.user,
        summary=f"导出清除记录（{count} 条，PDF）",
        detail={"count": count, "filters": dict(described)},
        ip=client_ip(request),
    )
    return response
