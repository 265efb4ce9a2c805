"""What compliance does when another app tells it something (`avrecords.events`): a case's
new number is written on the activities that carried the old one (M4 search).

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
    events.CASE_CHANGED.connect(on_case_changed)
