"""待办 source of evidence (issue 17 §3): preservation discs to burn and register, for the
archivists who keep them (`services.can_record_discs`, M6)."""

from __future__ import annotations

from django.urls import reverse

from avrecords import worklist
from avrecords.access.models import AccessRequest
from avrecords.evidence.models import Disc, PackageState
from avrecords.evidence.services import can_record_discs


def _unrecorded(user):
    return Disc.objects.filter(
        recorded_at__isnull=True,
        package__state=PackageState.READY,
        package__request__in=AccessRequest.objects.visible_to(user),
    )


def count_to_register(user) -> int:
    """The menu's share: one COUNT (issue 22)."""
    return _unrecorded(user).count() if can_record_discs(user) else 0


def discs_to_register(user) -> list[worklist.Task]:
    if not can_record_discs(user):
        return []
    rows = (
        _unrecorded(user)
        .select_related("package", "package__request")
        .order_by("package__pk", "copy_no")
    )
    return [
        worklist.Task(
            title=f"刻录并登记光盘：{d.package.number} 第{d.copy_no}份",
            url=reverse("access:detail", args=[d.package.request_id]),
            detail=f"申请 {d.package.request.number}",
            obj=d,
        )
        for d in rows
    ]


def register() -> None:
    worklist.register(
        "evidence.discs",
        group="待刻录登记的长期保存光盘",
        order=55,
        tasks=discs_to_register,
        count=count_to_register,
    )
