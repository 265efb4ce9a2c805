"""Fixity records, alarms and coverage (M2); every page, API call and command calls these.

An alarm is a FixityCheck with alarm=True: the first mismatch or missing object found for
an original, or a bad result that differs from the previous one (another observed hash, a
mismatch turned missing). The same bad state found again by later sweeps is recorded as a
check without a second alarm. Raising an alarm writes an audit entry on the recording
(`fixity.mismatch` / `fixity.missing`) and logs an error; an administrator's
acknowledgement is audited too (`fixity.acknowledge`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from avrecords.audit import services as audit
from avrecords.fixity import conf
from avrecords.fixity.models import ALARM_OUTCOMES, FixityCheck, FixityState, Outcome
from avrecords.fixity.sweep import ReadResult
from avrecords.lib.refusals import Forbidden, NotFound
from avrecords.org.scope import can_acknowledge_fixity, can_view_fixity, recording_q
from avrecords.recordings.models import Recording

log = logging.getLogger(__name__)


def record_check(recording: Recording, result: ReadResult, *, worker: str = "") -> FixityCheck:
    """Store one check, move the original in the sweep order, raise an alarm if it is new."""
    now = timezone.now()
    with transaction.atomic():
        state, _ = FixityState.objects.select_for_update().get_or_create(recording=recording)
        previous = state.last_check
        check = FixityCheck(
            recording=recording,
            checked_at=now,
            outcome=result.outcome,
            storage_key=recording.storage_key,
            storage_version=recording.storage_version,
            expected_sha256=recording.sha256,
            observed_sha256=result.observed_sha256,
            bytes_read=result.bytes_read,
            seconds=result.seconds,
            error=result.error,
            worker=worker[:100],
        )
        check.alarm = result.outcome in ALARM_OUTCOMES and not (
            previous is not None
            and previous.outcome == result.outcome
            and previous.observed_sha256 == result.observed_sha256
        )
        check.save()
        state.claimed_until, state.claimed_by = None, ""
        # A read error proves nothing either way: the original keeps its place at the head
        # of the order and its last conclusive result.
        if result.outcome != Outcome.ERROR:
            state.last_checked_at, state.last_outcome, state.last_check = now, result.outcome, check
        state.save()
        if check.alarm:
            _audit_alarm(recording, check)
    _log(recording, check)
    return check


def _audit_alarm(recording: Recording, check: FixityCheck) -> None:
    what = "哈希值与入库时不符" if check.outcome == Outcome.MISMATCH else "存储对象缺失"
    audit.record(
        f"fixity.{check.outcome}",
        obj=recording,
        summary=f"完整性告警：{recording.original_name} {what}",
        detail={
            "check": check.pk,
            "storage_key": check.storage_key,
            "storage_version": check.storage_version,
            "expected_sha256": check.expected_sha256,
            "observed_sha256": check.observed_sha256,
            "bytes_read": check.bytes_read,
            "error": check.error,
        },
    )


def _log(recording: Recording, check: FixityCheck) -> None:
    if check.outcome == Outcome.OK:
        log.debug("fixity ok: recording %s (%s)", recording.pk, check.storage_key)
    elif check.outcome == Outcome.ERROR:
        log.warning(
            "fixity read error: recording %s (%s): %s", recording.pk, check.storage_key, check.error
        )
    else:
        log.error(
            "fixity %s: recording %s key %s expected sha256 %s, observed %s%s (%s)",
            check.outcome,
            recording.pk,
            check.storage_key,
            check.expected_sha256,
            check.observed_sha256 or "-",
            f"; {check.error}" if check.error else "",
            f"alarm {check.pk} raised" if check.alarm else "alarm already raised",
        )


# --- who sees what ------------------------------------------------------------------------------


def open_alarms(user=None) -> QuerySet[FixityCheck]:
    """Alarms not yet acknowledged, newest first; user=None means all (commands)."""
    qs = (
        FixityCheck.objects.select_related("recording__unit")
        if user is None
        else FixityCheck.objects.visible_to(user)
    )
    return qs.filter(alarm=True, acknowledged_at__isnull=True).order_by("-checked_at", "-id")


def open_alarm_count(user) -> int:
    """For the banner on every page: open alarms an administrator of this scope must see."""
    if not can_acknowledge_fixity(user):
        return 0
    # Open alarms are rare: one probe of the (alarm, acknowledged_at) index answers most pages.
    # The scoped count joins the recordings, and SQLite plans it as a scan of every recording
    # probing for checks (300 ms at 200k rows, on each administrator's page; issue 22 §4).
    if not FixityCheck.objects.filter(alarm=True, acknowledged_at__isnull=True).exists():
        return 0
    return open_alarms(user).count()


def acknowledge(user, check_id: int, *, note: str = "", ip: str = "") -> FixityCheck:
    """An administrator confirms they have seen an alarm; audited once, later calls change nothing."""
    if not can_acknowledge_fixity(user):
        raise Forbidden("无权确认完整性告警")
    check = FixityCheck.objects.visible_to(user).filter(pk=check_id, alarm=True).first()
    if check is None:
        raise NotFound("告警不存在或不在您的权限范围内")
    now = timezone.now()
    note = note.strip()[:500]
    with transaction.atomic():
        done = FixityCheck.objects.filter(pk=check.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=user, acknowledged_at=now, acknowledge_note=note
        )
        if done:
            audit.record(
                "fixity.acknowledge",
                actor=user,
                obj=check.recording,
                summary=f"确认完整性告警 #{check.pk}（{check.get_outcome_display()}）："
                f"{check.recording.original_name}",
                detail={"check": check.pk, "outcome": check.outcome, "note": note},
                ip=ip,
            )
    if done:
        log.info("fixity alarm %s acknowledged by %s", check.pk, user.get_username())
    check.refresh_from_db()
    return check


# --- coverage -------------------------------------------------------------------------------------


@dataclass
class Coverage:
    """How well the originals in a scope are covered by checks (for the page and the report)."""

    days: int
    originals: int = 0
    checked_within: int = 0
    never_checked: int = 0
    oldest_check: dt.datetime | None = None
    newest_check: dt.datetime | None = None
    # Each original counted once, by its last conclusive result.
    by_outcome: dict[str, int] = field(default_factory=dict)
    # Every check made within the window, by outcome (read errors show up here).
    checks_within: dict[str, int] = field(default_factory=dict)

    @property
    def percent_within(self) -> float:
        return 100.0 * self.checked_within / self.originals if self.originals else 100.0


def coverage(user=None, *, days: int | None = None) -> Coverage:
    """Counts for the originals the user may see (user=None: all of them)."""
    days = days or conf.COVERAGE_DAYS
    since = timezone.now() - dt.timedelta(days=days)
    if user is None:
        originals = Recording.objects.all()
        checks = FixityCheck.objects.all()
    else:
        originals = Recording.objects.filter(recording_q(user)) if can_view_fixity(user) else None
        checks = FixityCheck.objects.visible_to(user)
    if originals is None:
        return Coverage(days)
    states = FixityState.objects.filter(recording__in=originals.values("pk"))
    agg = states.aggregate(
        checked=Count("last_checked_at"),
        within=Count("pk", filter=Q(last_checked_at__gte=since)),
        oldest=Min("last_checked_at"),
        newest=Max("last_checked_at"),
    )
    total = originals.count()
    return Coverage(
        days=days,
        originals=total,
        checked_within=agg["within"],
        never_checked=total - agg["checked"],
        oldest_check=agg["oldest"],
        newest_check=agg["newest"],
        by_outcome=_counts(states.exclude(last_outcome=""), "last_outcome"),
        checks_within=_counts(checks.filter(checked_at__gte=since), "outcome"),
    )


def _counts(qs: QuerySet, column: str) -> dict[str, int]:
    found = dict(qs.order_by().values_list(column).annotate(n=Count("pk")))
    return {o.value: found.get(o.value, 0) for o in Outcome}


def menu_context(user) -> dict:
    """What every page needs: the menu entry, and the alarm banner for administrators.

    The count is a callable, so only pages that show the banner query it (templates call
    it), and only once per page however often the template asks.
    """
    return {
        "can_view": can_view_fixity(user),
        "open_alarms": functools.cache(lambda: _banner_count(user)),
    }


def _banner_count(user) -> int:
    try:
        return open_alarm_count(user)
    except DatabaseError:  # an error page (e.g. database down) must still render
        log.warning("fixity banner: could not count open alarms", exc_info=True)
        return 0
