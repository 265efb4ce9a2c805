"""The supervision dashboard (S2, 执法质量考评): quality scores per month, per unit and per
officer over a period (default: this year to date), the monthly trend and the unit comparison
as inline SVG, and the same report as Excel and PDF (each export audited,
`supervision.report_export`).

Supervisors see the units they supervise, unit heads and leaders their subtree, system
administrators everything; everyone else is refused (403). The figures are
`supervision.quality`'s; these views only read the form and show them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from avrecords.audit.services import record
from avrecords.lib.http import client_ip
from avrecords.lib.pdf import PdfUnavailable
from avrecords.lib.refusals import require
from avrecords.org.models import Unit
from avrecords.supervision import quality, reports
from avrecords.supervision.quality import Period

NO_ROLE = "无权查看执法监督：仅监督人员、单位负责人、分管领导和系统管理员"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def need_supervisor(user) -> None:
    require(quality.can_view_quality(user), NO_ROLE)


def _unit(request) -> tuple[Unit | None, list[str]]:
    value = request.GET.get("unit") or ""
    if not value:
        return None, []
    unit = (
        Unit.objects.visible_to(request.user).filter(pk=int(value)).first()
        if value.isdigit()
        else None
    )
    if unit is None:
        return None, ["单位：不存在或不在您的监督范围内"]
    return unit, []


def _read(request) -> tuple[Period, Unit | None, list[str]]:
    period, errors = quality.read_period(request.GET)
    unit, unit_errors = _unit(request)
    return period, unit, errors + unit_errors


def _query(period: Period, unit: Unit | None) -> str:
    query = f"start={period.start:%Y-%m-%d}&end={period.end:%Y-%m-%d}"
    return query + (f"&unit={unit.pk}" if unit else "")


@login_required
@require_GET
def dashboard(request):
    user = request.user
    need_supervisor(user)
    period, unit, errors = _read(request)
    report = quality.report(user, period, unit)
    return render(
        request,
        "supervision/dashboard.html",
        {
            "nav": "supervision",
            "report": report,
            "period": period,
            "unit": unit,
            "units": [(u.pk, "　" * u.depth + u.name) for u in Unit.objects.visible_to(user)],
            "query": _query(period, unit),
            "errors": errors,
            "formula": quality.FORMULA,
            **reports.chart_context(report),
        },
        status=400 if errors else 200,
    )


def _export(request, fmt: str):
    user = request.user
    need_supervisor(user)
    period, unit, errors = _read(request)
    back = reverse("supervision:dashboard") + "?" + request.GET.urlencode()
    if errors:
        for error in errors:
            messages.error(request, error)
        return redirect(back)
    report = quality.report(user, period, unit)
    now = timezone.now()
    if fmt == "xlsx":
        content, content_type = reports.to_xlsx(report, by=user.display_name, at=now), XLSX
    else:
        try:
            content = reports.to_pdf(report, by=user.display_name, at=now)
        except PdfUnavailable as exc:
            messages.error(request, str(exc))
            return redirect(back)
        content_type = "application/pdf"
    record(
        "supervision.report_export",
        actor=user,
        summary=f"导出{reports.TITLE}（{report.scope}，{period.label}，{fmt.upper()}）"[:500],
        detail={
            "format": fmt,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "unit": unit.pk if unit else None,
            "activities": report.total.activities,
        },
        ip=client_ip(request),
    )
    response = HttpResponse(content, content_type=content_type)
    filename = f"{reports.TITLE}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def report_xlsx(request):
    return _export(request, "xlsx")


@login_required
@require_GET
def report_pdf(request):
    return _export(request, "pdf")
