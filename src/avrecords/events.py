"""The named domain events (issue 16 §2): how a lower app tells higher ones what happened.

Apps sit in layers (docs/architecture.md); a lower app never imports a higher one. When
something happens that a higher app cares about, the lower app sends one of the events below;
the higher app subscribes in its `AppConfig.ready()`:

    from avrecords import events
    events.DEVICE_LOST.connect(on_device_lost)          # in supervision/apps.py

    events.DEVICE_LOST.send(device=device, event=event, actor=user)  # in equipment's service

Delivery: receivers run when the event is sent, inside the sender's transaction, in the
order they connected. A subscriber's rows therefore commit or roll back together with the
sender's (a device marked lost and its violation candidate are one change, never half of
one), and a subscriber that raises aborts the sender's change with it. Anything that leaves
the database — a background job — is enqueued by the subscriber through `avrecords.jobs`,
which dispatches it only after the transaction commits. Senders pass model instances, not
ids, and never rely on a receiver's return value.

Each event lists its payload; `send()` refuses a missing or unknown key, so the table below
stays the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("avrecords.events")


@dataclass(eq=False)
class Event:
    """One named event: its payload keys and who listens."""

    name: str
    payload: tuple[str, ...]
    doc: str
    optional: tuple[str, ...] = ()
    _receivers: list[Callable] = field(default_factory=list, repr=False)

    def connect(self, receiver: Callable) -> Callable:
        """Subscribe `receiver(**payload)`; connecting the same function twice is a no-op
        (an app's ready() may run more than once in tests)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, **payload) -> None:
        missing = [k for k in self.payload if k not in payload]
        unknown = [k for k in payload if k not in self.payload and k not in self.optional]
        if missing or unknown:
            raise TypeError(f"event {self.name}: missing {missing}, unknown {unknown}")
        for receiver in list(self._receivers):
            receiver(**payload)

    @property
    def receivers(self) -> list[Callable]:
        return list(self._receivers)


ALL: dict[str, Event] = {}


def _event(name: str, payload: tuple[str, ...], doc: str, optional: tuple[str, ...] = ()):
    event = Event(name, payload, doc, optional)
    ALL[name] = event
    return event


# --- the events ---------------------------------------------------------------------------
# Keep this list short and in layer order of the sender. Add an event here, with its payload
# and what it means, before sending it (docs/architecture.md, "Adding an event").

# -- sent by policies, equipment, recordings, fixity, jobs (the lower layers) --

DEVICE_LOST = _event(
    "device.lost",
    ("device", "event", "actor"),
    "A device was reported lost or stolen (E6), sent by `equipment.events.record_event` after "
    "the device is marked lost and the holder's custody closed. `device`: the Device; "
    "`event`: its DeviceEvent (kind loss or theft, `person` answerable for it, `note`); "
    "`actor`: who reported it. Supervision raises a violation candidate (once per report).",
)
PROFILE_ASSIGNED = _event(
    "profile.assigned",
    ("unit", "profile", "actor"),
    "A unit was given another policy profile (X3), or its own was taken away so that it "
    "inherits its parent's, sent by `policies.services.assign` after the assignment is saved, "
    "before its audit entry; also by `agency.units.move_unit` when a moved unit without a "
    "profile of its own now inherits another one (profile None). `unit`: the Unit (its "
    "subtree follows, except units with a "
    "profile of their own); `profile`: the PolicyProfile now assigned to it, None when it "
    "inherits; `actor`: who assigned it (None for the system). Compliance re-evaluates the "
    "recent activities of the subtree under the rules that now apply (the "
    "`compliance.reevaluate_unit` job; U1–U7).",
)

RECORDING_STORED = _event(
    "recording.stored",
    ("recording",),
    "A recording became answerable to someone: newly stored and bound to an officer at ingest "
    "(M1), sent by `recordings.ingest` after its audit entry, or a 待指派 recording bound by an "
    "administrator, sent by `recordings.assignment.assign`. Sent only where the recording's "
    "unit has a policy profile. `recording`: the Recording. Compliance queues its evaluation "
    "(the `compliance.evaluate` job: links to activities, U1, U2, M1 findings).",
)

# -- sent by compliance, cases, access, evidence, retention (the upper layers) --

ACTIVITY_CHANGED = _event(
    "activity.changed",
    ("activity", "actor", "change"),
    "An enforcement activity was entered (U1), sent by `compliance.activities.create_activity` "
    "after the activity, its officers and its automatic links are saved, or corrected (its "
    "end, return to the unit or dispute), sent by `compliance.corrections.correct`. "
    "`activity`: the Activity; `actor`: who entered or corrected it (by hand or by an "
    "import); `change`: 'created' or 'corrected'. "
    "Retention recomputes the keep-until of its recordings (M5: a dispute keeps them longer).",
)
ACTIVITY_LINKS_CHANGED = _event(
    "activity.links_changed",
    ("activities", "recordings", "actor", "change"),
    "Recordings were linked to or unlinked from activities (U1), sent by "
    "`compliance.activities` (`auto_link`, `link_new_recording`, `link`, `unlink`) after the "
    "links are saved. `activities`: the Activities concerned (a list); `recordings`: the "
    "Recordings whose links changed (a list); `actor`: who did it by hand (None when "
    "automatic); `change`: 'auto' (the officer recorded during the activity), 'linked' or "
    "'unlinked' (by hand). Access recomputes the recordings' effective confidentiality marks "
    "(M9: a marked activity's mark covers its recordings; after an automatic link only when "
    "an activity is marked); retention recomputes their keep-until after a link by hand (M5); "
    "compliance queues the notice check of a must-record activity whose first recording "
    "changed (U5, the `compliance.notice_check` job).",
)
RECORDING_EVALUATED = _event(
    "recording.evaluated",
    ("recording",),
    "Compliance linked a newly stored (or newly assigned) recording to its activities and "
    "evaluated them and it (U1, U2, M1), sent by the `compliance.evaluate` job. `recording`: "
    "the Recording. Retention gives it its category and keep-until (M5), now that the facts "
    "of its activities are known; compliance queues the notice check of the must-record "
    "activities whose first recording it is (U5).",
)
CASE_CHANGED = _event(
    "case.changed",
    ("case", "actor", "change"),
    "A case (M10) changed, sent by `cases.services` after the change and its audit entry are "
    "saved. `case`: the Case; `actor`: who changed it; `change`: 'edited' (with `before`: "
    "the case number before the edit), 'recordings_filed' or 'recordings_removed' (with "
    "`recordings`: the Recordings, a list), 'activity_filed' or 'activity_removed' (with "
    "`activity`: the Activity; the recordings that follow it come in their own event), "
    "'closed', 'filed'. Compliance writes a new case number on the case's activities; access "
    "recomputes the confidentiality marks of what came or went (M9: a case's mark covers "
    "them); retention recomputes the keep-until of the recordings that came or went and, when "
    "the case is closed or filed, of all its recordings (M5: kept with the case file).",
    optional=("recordings", "activity", "before"),
)
REQUEST_EXECUTED = _event(
    "access.request_executed",
    ("request", "actor"),
    "An approved access request was carried out: its grant starts (M3, M6–M9), sent by "
    "`access.requests` once the request is saved active (by `execute`, before its audit "
    "entry; or by the last approval when no role carries it out). `request`: "
    "the AccessRequest (kind view, copy, export, preserve or mark; a mark is already applied); "
    "`actor`: who carried it out (None when the last approval carried it out by itself). "
    "Evidence starts building the package of an export or preservation (the "
    "`evidence.package` job); retention recomputes the keep-until of an export's recordings "
    "(M5: used as evidence).",
)

FINDING_ESCALATED = _event(
    "finding.escalated",
    ("finding",),
    "A finding nobody explained (or exempted) within the profile's window was handed on "
    "(U3, U4), sent by `compliance.workflows.escalate_overdue` after the finding's status "
    "became escalated. `finding`: the Finding (kind gap, uncovered or missing). Supervision "
    "raises its violation candidate (once per finding).",
)
LATE_INGEST_FOUND = _event(
    "finding.late_ingest",
    ("finding",),
    "A recording was stored later than the profile allows (M1), sent by "
    "`compliance.engine.evaluate_recording` when it opens the late_ingest finding. "
    "`finding`: the Finding, which stays open for the record. Supervision raises its "
    "violation candidate at once (once per finding).",
)
