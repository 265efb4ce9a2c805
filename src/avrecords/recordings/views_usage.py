"""The usage ledgers (使用台账, E2) as pages, Excel or PDF: a device's custody periods and a
person's, each with the recordings the device made in it (`recordings.usage`).

They count recordings, so they are recordings' pages; they keep their addresses under
/equipment/ and sit in the equipment menu. Who may see them is equipment's rule: the
equipment viewers of the device's unit, and an officer his own periods."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from avrecords.audit.services import record
from avrecords.equipment.models import Device
from avrecords.lib.http import attachment
from avrecords.lib.pdf import PdfUnavailable, render_pdf
from avrecords.lib.refusals import Forbidden
from avrecords.org.models import User
from avrecords.org.scope import can_view_equipment
from avrecords.recordings import usage

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger_response(request, *, title, subject, usages, filename, audit_obj, detail):
    fmt = request.GET.get("format", "html")
    fmt = fmt if fmt in ("xlsx", "pdf") else "html"
    record(
        "equipment.export",
        actor=request.user,
        obj=audit_obj,
        summary=f"查看{title}（{fmt.upper() if fmt != 'html' else '页面'}）",
        detail={**detail, "format": fmt},
    )
    context = {
        "nav": "equipment",
        "title": title,
        "subject": subject,
        "usages": usages,
        "printed_by": request.user.display_name,
        "printed_at": timezone.now(),
    }
    if fmt == "xlsx":
        return attachment(usage.usage_workbook(usages), f"{filename}.xlsx", XLSX)
    if fmt == "pdf":
        try:
            content = render_pdf("recordings/print/usage.html", context)
        except PdfUnavailable as exc:
            messages.error(request, str(exc))
            return render(request, "recordings/usage.html", context, status=503)
        return attachment(content, f"{filename}.pdf", "application/pdf")
    return render(request, "recordings/usage.html", context)


@login_required
@require_GET
def device_usage(request, pk: int):
    device = Device.objects.select_related("unit").get_visible(request.user, pk)
    if can_view_equipment(request.user):
        holder = None
    elif device.custodies.filter(holder=request.user).exists():
        holder = request.user  # an officer sees his own periods of a device he has held
    else:
        raise Forbidden()
    subject = [
        ("设备", f"{device.get_kind_display()} {device.serial}"),
        ("资产编号", device.asset_no or "—"),
        ("品牌型号", device.brand_model or "—"),
        ("所属单位", device.unit.name),
        ("状态", device.get_status_display()),
    ]
    if holder is not None:
        subject.append(("使用人", holder.display_name))
    return _ledger_response(
        request,
        title="设备使用台账",
        subject=subject,
        usages=[usage.device_usage(device, holder=holder)],
        filename=f"使用台账-{device.serial}",
        audit_obj=device,
        detail={"view": "device_usage", "device": device.pk, "serial": device.serial},
    )


@login_required
@require_GET
def person_usage(request, pk: int):
    person = User.objects.select_related("unit").get_visible(request.user, pk)
    if person.pk != request.user.pk and not can_view_equipment(request.user):
        raise Forbidden()
    subject = [("使用人", person.display_name)]
    if person.badge_no:
        subject.append(("执法证号", person.badge_no))
    if person.unit_id:
        subject.append(("单位", person.unit.name))
    return _ledger_response(
        request,
        title="个人设备使用台账",
        subject=subject,
        usages=usage.person_usage(person),
        filename=f"使用台账-{person.display_name}",
        audit_obj=person,
        detail={"view": "person_usage", "person": person.pk},
    )
