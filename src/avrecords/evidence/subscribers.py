"""What evidence does when a lower app tells it something (`avrecords.events`): an export or
preservation request carried out starts building its package (M6, M7).

Connected once in `EvidenceConfig.ready()`. The receiver runs inside the sender's
transaction; the `evidence.package` job it enqueues is dispatched after that commits.
"""

from __future__ import annotations

from avrecords import events
from avrecords.access.models import RequestKind
from avrecords.evidence.services import start_package


def on_request_executed(*, request, actor) -> None:
    if request.kind in (RequestKind.EXPORT, RequestKind.PRESERVE):
        start_package(request)


def connect() -> None:
    events.REQUEST_EXECUTED.connect(on_request_executed)
