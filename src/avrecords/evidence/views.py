"""Evidence package pages (M6, M7): progress while the job builds, the one download of each
artifact, the two discs with their labels and storage places."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render

from avrecords.access.models import AccessRequest
from avrecords.evidence import services as svc
from avrecords.evidence.models import Artifact, Disc, Package
from avrecords.evidence.services import can_record_discs
from avrecords.lib.http import client_ip, post_only
from avrecords.lib.refusals import NotFound, require


def _package_or_404(user, pk: int) -> Package:
    package = (
        Package.objects.filter(pk=pk, request__in=AccessRequest.objects.visible_to(user))
        .select_related("request")
        .first()
    )
    if package is None:
        raise NotFound("证据包不存在或不在您的权限范围内")
    return package


@login_required
def package_status(request, pk: int):
    package = _package_or_404(request.user, pk)
    return render(
        request,
        "evidence/_package.html",
        {"package": package, "req": package.request, "user": request.user},
    )


@login_required
def package_download(request, pk: int, artifact: str):
    package = _package_or_404(request.user, pk)
    if artifact not in Artifact.values:
        raise NotFound("文件不存在")
    require(request.user.pk == package.request.requester_id)
    try:
        handle, name = svc.take(request.user, package, artifact, ip=client_ip(request))
    except svc.PackageRefused as exc:
        messages.error(request, str(exc))
        return redirect("access:detail", pk=package.request_id)
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


def _disc_or_404(user, disc_id: int) -> Disc:
    disc = (
        Disc.objects.filter(pk=disc_id, package__request__in=AccessRequest.objects.visible_to(user))
        .select_related("package__request__unit", "package__request__requester")
        .first()
    )
    if disc is None:
        raise NotFound("光盘登记不存在或不在您的权限范围内")
    return disc


@login_required
def disc_record(request, disc_id: int):
    disc = _disc_or_404(request.user, disc_id)
    if refused := post_only(request):
        return refused
    require(can_record_discs(request.user))
    try:
        svc.record_disc(request.user, disc, location=request.POST.get("location", ""))
        messages.success(request, f"第{disc.copy_no}份光盘的存放位置已登记。")
    except svc.PackageRefused as exc:
        messages.error(request, str(exc))
    return redirect("access:detail", pk=disc.package.request_id)


@login_required
def disc_label(request, disc_id: int):
    from avrecords.evidence.documents import label_pdf

    disc = _disc_or_404(request.user, disc_id)
    info = svc.info_for(disc.package.request)
    pdf = label_pdf(info, disc.copy_no, svc.COPIES, disc.location)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{disc.package.number}-{disc.copy_no}.pdf"'
    return response
