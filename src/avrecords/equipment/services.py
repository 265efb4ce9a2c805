"""Device lookups used by ingest: which device, and who held it at a given moment (E2)."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.equipment.models import Custody, Device


def holder_at(device: Device, when: dt.datetime):
    """The person who held the device at that moment, or None."""
    custody = (
        Custody.objects.filter(device=device, started_at__lte=when)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=when))
        .select_related("holder")
        .order_by("-started_at")
        .first()
    )
    return custody.holder if custody else None


class CustodyError(Exception):
    """A custody change that would leave a device with two holders."""


@transaction.atomic
def issue_device(
    device: Device, holder, *, operator=None, when: dt.datetime | None = None
) -> Custody:
    """Issue a device to a person; the previous custody (if any) must be closed first."""
    when = when or timezone.now()
    if Custody.objects.filter(device=device, ended_at__isnull=True).exists():
        raise CustodyError(f"设备 {device.serial} 尚未归还，不能重复领用")
    custody = Custody.objects.create(
        device=device, holder=holder, started_at=when, issued_by=operator
    )
    audit.record(
        "device.issue",
        actor=operator,
        obj=device,
        summary=f"{device.serial} 领用人 {holder.display_name}",
        detail={"holder": holder.pk},
    )
    return custody
