"""What compliance does when another app tells it something (`avrecords.events`): a case's
new number is written on the activities that carried the old one (M4 search); a recording
evaluated or links changed queue the notice check of the activities concerned (U5).

Connected once in `ComplianceConfig.ready()`. The receiver runs inside the sender's
transaction.
"""

from __future__ import annotations

from avrecords import events
from avrecords.compliance.models import Activity


def on_case_changed(*, case, actor, change, recordings=(), activity=None, before="") -> None:
    if change == "edited" and before and before != case.number:
        Activity.objects.filter(case=case, case_number=before).update(case_number=case.number)


def connect() -> None:
    from avrecords.compliance import notice_check

    events.CASE_CHANGED.connect(on_case_changed)
    events.RECORDING_EVALUATED.connect(notice_check.on_recording_evaluated)  # U5
    events.ACTIVITY_LINKS_CHANGED.connect(notice_check.on_activity_links_changed)  # U5
