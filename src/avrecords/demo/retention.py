"""The demo's retention (M5, S1): every recording gets its category and date, and a complaint
against one of yesterday's activities (not the one filed with the demo case) holds its
recordings, so the 保存期限 pages have something to show."""

from __future__ import annotations

from avrecords.compliance.models import Activity
from avrecords.org.models import Unit, User
from avrecords.retention import holds
from avrecords.retention.jobs import classify_unclassified


def load(squads: list[Unit]) -> None:
    classify_unclassified()
    activity = (
        Activity.objects.filter(unit__in=squads, case__isnull=True).order_by("started_at").first()
    )
    supervisor = User.objects.filter(username="jiandu").first()
    if activity is not None and supervisor is not None:
        holds.place(
            supervisor,
            kind="complaint",
            reason="当事人来电投诉执法人员检查时态度生硬，调取现场录像核查",
            reference="投诉〔2026〕7号",
            activity=activity,
        )
