"""JSON API for fixity alarms (M2), scoped like the page (X2)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Router, Schema

from avrecords.fixity import services
from avrecords.fixity.models import FixityCheck
from avrecords.lib.api_schemas import Error, Invalid, PageNumber
from avrecords.lib.refusals import require
from avrecords.org.scope import can_view_fixity

router = Router(tags=["完整性校验"])


class AlarmOut(Schema):
    id: int
    recording_id: int
    original_name: str
    unit_name: str | None
    outcome: str
    outcome_label: str
    expected_sha256: str
    observed_sha256: str
    storage_key: str
    bytes_read: int
    error: str
    checked_at: dt.datetime

    @staticmethod
    def resolve_original_name(obj: FixityCheck) -> str:
        return obj.recording.original_name

    @staticmethod
    def resolve_unit_name(obj: FixityCheck) -> str | None:
        return obj.recording.unit.name if obj.recording.unit_id else None

    @staticmethod
    def resolve_outcome_label(obj: FixityCheck) -> str:
        return obj.get_outcome_display()


@router.get(
    "/fixity/alarms",
    response={200: list[AlarmOut], 401: Error, 403: Error, 422: Invalid},
    summary="未确认的完整性告警",
)
def list_alarms(request, page: PageNumber = 1):
    require(can_view_fixity(request.user), "无权查看完整性校验")
    size = settings.AVRECORDS_PAGE_SIZE
    page = max(page, 1)
    return list(services.open_alarms(request.user)[(page - 1) * size : page * size])
