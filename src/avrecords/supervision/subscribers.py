"""What supervision does when a lower app tells it something (`avrecords.events`).

Connected once in `SupervisionConfig.ready()`. Each receiver runs inside the sender's
transaction, so a candidate commits or rolls back with the change that raised it.
"""

from __future__ import annotations

from avrecords import events
from avrecords.supervision import candidates


def on_finding_escalated(*, finding) -> None:
    """U3/U4: a finding nobody explained in time enters the register."""
    candidates.from_finding(finding)


def on_late_ingest(*, finding) -> None:
    """M1: a recording stored late is a violation candidate at once."""
    candidates.from_finding(finding)


def on_device_lost(*, device, event, actor) -> None:
    """E6: a device lost or stolen is a violation candidate (once per report)."""
    candidates.from_device_loss(event)


def connect() -> None:
    events.FINDING_ESCALATED.connect(on_finding_escalated)
    events.LATE_INGEST_FOUND.connect(on_late_ingest)
    events.DEVICE_LOST.connect(on_device_lost)
