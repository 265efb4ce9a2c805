"""M2 fixity alarms as administrators see them: what `make mutate` found no test for (issue 23 §2).

Pinned here, on fixity/services.py: the check row a re-hash leaves (status, expected and
observed SHA-256, bytes read, the store's key and version) and where the original moves in
the sweep order; when a bad result is a new alarm and when it only repeats one; the audit
entry an alarm writes (no actor, the recording, the Chinese summary, the detail); the open
alarms and the banner's count as each role sees them within its units (M2, X2, M9), and the
operator's report, whose queries do not grow with the alarms listed (issue 22 §4); and the
acknowledgement — only records administrators of the alarm's unit, the note and address in
its audit row, once only, and the Chinese refusals for others, for an id that is no alarm or
is out of scope.

The checks are recorded from ReadResults (what a sweep read; tests/test_fixity.py reads real
originals in the local and S3 stores), on recording rows of tests/rows.py: no store is read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avrecords.audit.models import AuditEntry
from avrecords.fixity import services
from avrecords.fixity.models import FixityCheck, FixityState, Outcome
from avrecords.fixity.sweep import ReadResult
from avrecords.lib.refusals import Forbidden, NotFound
from tests import rows
from tests.conftest import client_for

NAME1 = "20261120_100000_3501001.MP4"
NAME2 = "20261120_110000_3501004.MP4"
FORBIDDEN = "无权确认完整性告警"
NOT_FOUND = "告警不存在或不在您的权限范围内"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def mismatch(text: str = "damaged", **fields) -> ReadResult:
    return ReadResult(Outcome.MISMATCH, observed_sha256=sha(text), bytes_read=1000, **fields)


def missing() -> ReadResult:
    return ReadResult(Outcome.MISSING, error="NoSuchKey: the object does not exist")


def alarm_entries() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action__in=["fixity.mismatch", "fixity.missing"]).order_by("seq")
    )


@pytest.fixture
def squad1_rec(org):
    return rows.make(org, NAME1, storage_version="v-3")


@pytest.fixture
def squad2_rec(org):
    return rows.make(org, NAME2, officer=org.other_officer)


# --- the check row, the sweep order and the alarm's audit entry ---------------------------------


def test_a_mismatch_is_stored_with_the_hash_expected_and_the_hash_read(org, squad1_rec):
    rec = squad1_rec
    FixityState.objects.create(
        recording=rec, claimed_until=dt.datetime(2026, 12, 7, tzinfo=dt.UTC), claimed_by="h:1:2"
    )
    result = mismatch(seconds=0.25, error="checksum mismatch")
    check = services.record_check(rec, result, worker="w" * 120)
    check = FixityCheck.objects.get(pk=check.pk)
    assert (check.recording_id, check.outcome, check.alarm, check.acknowledged_at) == (
        rec.pk,
        Outcome.MISMATCH,
        True,
        None,
    )
    assert (check.storage_key, check.storage_version) == (rec.storage_key, "v-3")
    assert (check.expected_sha256, check.observed_sha256) == (rec.sha256, sha("damaged"))
    assert (check.bytes_read, check.seconds, check.error) == (1000, 0.25, "checksum mismatch")
    assert check.worker == "w" * 100
    state = FixityState.objects.get(recording=rec)
    assert (state.last_checked_at, state.last_outcome, state.last_check_id) == (
        check.checked_at,
        Outcome.MISMATCH,
        check.pk,
    )
    assert (state.claimed_until, state.claimed_by) == (None, "")

    [entry] = alarm_entries()
    assert (entry.action, entry.actor_id, entry.actor_label, entry.ip) == (
        "fixity.mismatch",
        None,
        "系统",
        "",
    )
    assert (entry.object_type, entry.object_id) == ("recordings.recording", str(rec.pk))
    assert entry.summary == f"完整性告警：{NAME1} 哈希值与入库时不符"
    assert entry.detail == {
        "check": check.pk,
        "storage_key": rec.storage_key,
        "storage_version": "v-3",
        "expected_sha256": rec.sha256,
        "observed_sha256": sha("damaged"),
        "bytes_read": 1000,
        "error": "checksum mismatch",
    }


def test_a_missing_original_raises_an_alarm_in_its_own_words(org, squad2_rec):
    check = services.record_check(squad2_rec, missing())
    assert (check.outcome, check.alarm, check.observed_sha256, check.bytes_read) == (
        Outcome.MISSING,
        True,
        "",
        0,
    )
    assert check.worker == ""
    [entry] = alarm_entries()
    assert (entry.action, entry.object_id) == ("fixity.missing", str(squad2_rec.pk))
    assert entry.summary == f"完整性告警：{NAME2} 存储对象缺失"
    assert entry.detail == {
        "check": check.pk,
        "storage_key": squad2_rec.storage_key,
        "storage_version": "",
        "expected_sha256": squad2_rec.sha256,
        "observed_sha256": "",
        "bytes_read": 0,
        "error": "NoSuchKey: the object does not exist",
    }


def test_an_intact_original_and_a_read_error_raise_no_alarm(org, squad1_rec):
    """A read error proves nothing: the original keeps its last conclusive result and its
    place at the head of the sweep order, but is no longer claimed."""
    rec = squad1_rec
    error = services.record_check(rec, ReadResult(Outcome.ERROR, error="I/O error"))
    assert (error.outcome, error.alarm) == (Outcome.ERROR, False)
    state = FixityState.objects.get(recording=rec)
    assert (state.last_checked_at, state.last_outcome, state.last_check) == (None, "", None)
    ok = services.record_check(rec, ReadResult(Outcome.OK, rec.sha256, 1000))
    assert (ok.outcome, ok.alarm, ok.observed_sha256) == (Outcome.OK, False, rec.sha256)
    FixityState.objects.filter(recording=rec).update(claimed_by="h:1:2")
    services.record_check(rec, ReadResult(Outcome.ERROR, error="I/O error"))
    state = FixityState.objects.get(recording=rec)
    assert (state.last_checked_at, state.last_outcome, state.last_check_id) == (
        ok.checked_at,
        Outcome.OK,
        ok.pk,
    )
    assert state.claimed_by == ""
    assert alarm_entries() == [] and list(services.open_alarms()) == []


def test_only_a_bad_result_unlike_the_last_conclusive_one_is_a_new_alarm(org, squad1_rec):
    rec = squad1_rec
    steps = [
        (mismatch("a"), True),  # the first damage found
        (mismatch("a"), False),  # the same damage again
        (ReadResult(Outcome.ERROR, error="timeout"), False),
        (mismatch("a"), False),  # a read error in between changes nothing
        (mismatch("b"), True),  # another hash read: changed again
        (missing(), True),  # then gone
        (missing(), False),
        (ReadResult(Outcome.OK, rec.sha256, 1000), False),  # restored from a copy
        (missing(), True),  # gone again after being intact
    ]
    alarms = [services.record_check(rec, result).alarm for result, _ in steps]
    assert alarms == [alarm for _, alarm in steps]
    assert [e.action for e in alarm_entries()] == [
        "fixity.mismatch",
        "fixity.mismatch",
        "fixity.missing",
        "fixity.missing",
    ]


def test_the_same_damage_in_two_originals_is_two_alarms(org, squad1_rec, squad2_rec):
    first = services.record_check(squad1_rec, mismatch("same"))
    second = services.record_check(squad2_rec, mismatch("same"))
    assert first.alarm and second.alarm
    assert [e.object_id for e in alarm_entries()] == [str(squad1_rec.pk), str(squad2_rec.pk)]


# --- open alarms and the banner, by role -----------------------------------------------------


def test_open_alarms_are_newest_first_without_acknowledged_ones_or_plain_checks(
    org, squad1_rec, squad2_rec
):
    third = rows.make(org, "20261120_120000_3501001.MP4")
    services.record_check(squad1_rec, ReadResult(Outcome.OK, squad1_rec.sha256, 1000))
    a1 = services.record_check(squad1_rec, mismatch())
    services.record_check(squad1_rec, mismatch())  # a repeat: no alarm
    a2 = services.record_check(squad2_rec, missing())
    a3 = services.record_check(third, mismatch())
    services.record_check(third, ReadResult(Outcome.ERROR, error="I/O error"))
    # a1 was found last by a sweep's clock (another host's); a2 and a3 at the same moment
    same = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)
    FixityCheck.objects.filter(pk__in=[a2.pk, a3.pk]).update(checked_at=same)
    FixityCheck.objects.filter(pk=a1.pk).update(checked_at=same + dt.timedelta(hours=1))
    assert [c.pk for c in services.open_alarms()] == [a1.pk, a3.pk, a2.pk]
    services.acknowledge(org.sysadmin, a2.pk, note="已核实")
    assert [c.pk for c in services.open_alarms()] == [a1.pk, a3.pk]


def test_the_fixity_report_lists_every_open_alarm_at_the_same_cost(org, squad1_rec, squad2_rec):
    """`avrecords fixity report` (all units, for the operator) asks the database as often for
    three open alarms as for one (issue 22 §4: no query per alarm listed)."""

    def report() -> tuple[int, list[str]]:
        out = io.StringIO()
        with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError):
            call_command("fixity", "report", "--json", stdout=out)
        return len(queries), [a["original_name"] for a in json.loads(out.getvalue())["open_alarms"]]

    services.record_check(squad1_rec, mismatch())
    one, names = report()
    assert names == [NAME1]
    services.record_check(squad2_rec, missing())
    services.record_check(rows.make(org, "20261120_120000_3501001.MP4"), mismatch())
    three, names = report()
    assert names == ["20261120_120000_3501001.MP4", NAME2, NAME1]
    assert three == one


def test_each_role_sees_and_counts_the_open_alarms_of_its_own_units(org, squad1_rec, squad2_rec):
    """The list is for those who may see fixity; the banner's count only for those who may
    acknowledge, and only of their own units' alarms."""
    assert services.open_alarm_count(org.admin) == 0
    a1 = services.record_check(squad1_rec, mismatch())
    a2 = services.record_check(squad2_rec, missing())
    everyone = [
        # user, the open alarms listed, the banner's count
        (org.admin, [a1], 1),
        (org.other_admin, [a2], 1),
        (org.bureau_admin, [a2, a1], 2),
        (org.sysadmin, [a2, a1], 2),
        (org.leader, [a2, a1], 0),
        (org.head2, [a2], 0),
        (org.officer, [], 0),
        (org.other_officer, [], 0),
    ]
    for user, listed, count in everyone:
        seen = [c.pk for c in services.open_alarms(user)]
        assert (user.username, seen) == (user.username, [c.pk for c in listed])
        assert (user.username, services.open_alarm_count(user)) == (user.username, count)
    services.acknowledge(org.other_admin, a2.pk)
    assert services.open_alarm_count(org.other_admin) == 0  # squad1's alarm is not theirs
    assert services.open_alarm_count(org.bureau_admin) == 1
    assert [c.pk for c in services.open_alarms(org.head2)] == []
    services.acknowledge(org.admin, a1.pk)
    assert [services.open_alarm_count(u) for u in (org.admin, org.bureau_admin)] == [0, 0]


def test_the_banner_asks_the_database_once_while_no_alarm_is_open(org, squad1_rec):
    """Every administrator's page shows the banner's count (issue 22 §4): intact checks and
    alarms already acknowledged cost no scoped count of the units' recordings."""
    services.record_check(squad1_rec, ReadResult(Outcome.OK, squad1_rec.sha256, 1000))
    alarm = services.record_check(squad1_rec, mismatch())
    services.acknowledge(org.admin, alarm.pk)
    with CaptureQueriesContext(connection) as queries:
        assert services.open_alarm_count(org.admin) == 0
    assert len(queries) == 1


# --- acknowledging -------------------------------------------------------------------------------


def test_an_administrator_acknowledges_one_alarm_and_the_audit_row_records_note_and_address(
    org, squad1_rec
):
    older = services.record_check(squad1_rec, mismatch("a"))
    newer = services.record_check(squad1_rec, missing())
    check = services.acknowledge(
        org.admin, older.pk, note="  已核实，已从备份恢复\n", ip="10.2.3.4"
    )
    assert (check.pk, check.acknowledged_by, check.acknowledge_note) == (
        older.pk,
        org.admin,
        "已核实，已从备份恢复",
    )
    assert check.acknowledged_at is not None
    assert [c.pk for c in services.open_alarms(org.admin)] == [newer.pk]  # the other stays open
    assert FixityCheck.objects.get(pk=newer.pk).acknowledged_by is None
    [entry] = AuditEntry.objects.filter(action="fixity.acknowledge")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.ip) == (
        org.admin.pk,
        "recordings.recording",
        str(squad1_rec.pk),
        "10.2.3.4",
    )
    assert entry.summary == f"确认完整性告警 #{older.pk}（哈希不符）：{NAME1}"
    assert entry.detail == {
        "check": older.pk,
        "outcome": "mismatch",
        "note": "已核实，已从备份恢复",
    }

    services.acknowledge(org.admin, newer.pk)
    entry = AuditEntry.objects.filter(action="fixity.acknowledge").latest("seq")
    assert entry.summary == f"确认完整性告警 #{newer.pk}（对象缺失）：{NAME1}"
    assert entry.detail == {"check": newer.pk, "outcome": "missing", "note": ""}


def test_without_a_note_or_address_none_is_recorded_and_a_long_note_is_cut_to_500(
    org, squad1_rec, squad2_rec
):
    a1 = services.record_check(squad1_rec, mismatch())
    a2 = services.record_check(squad2_rec, mismatch())
    check = services.acknowledge(org.admin, a1.pk)
    assert check.acknowledge_note == ""
    entry = AuditEntry.objects.get(action="fixity.acknowledge", object_id=str(squad1_rec.pk))
    assert (entry.ip, entry.detail["note"]) == ("", "")
    note = " " + "核" * 600
    check = services.acknowledge(org.bureau_admin, a2.pk, note=note)
    assert check.acknowledge_note == "核" * 500
    entry = AuditEntry.objects.get(action="fixity.acknowledge", object_id=str(squad2_rec.pk))
    assert entry.detail["note"] == "核" * 500


def test_an_alarm_already_acknowledged_keeps_its_first_acknowledgement(org, squad1_rec):
    alarm = services.record_check(squad1_rec, mismatch())
    first = services.acknowledge(org.admin, alarm.pk, note="第一次", ip="10.0.0.1")
    again = services.acknowledge(org.bureau_admin, alarm.pk, note="第二次", ip="10.0.0.2")
    assert (again.acknowledged_by, again.acknowledged_at, again.acknowledge_note) == (
        org.admin,
        first.acknowledged_at,
        "第一次",
    )
    [entry] = AuditEntry.objects.filter(action="fixity.acknowledge")
    assert (entry.actor_id, entry.ip) == (org.admin.pk, "10.0.0.1")


def test_who_may_not_acknowledge_is_told_so_and_the_alarm_stays_open(org, squad1_rec):
    alarm = services.record_check(squad1_rec, mismatch())
    for user in (org.leader, org.head2, org.officer):
        with pytest.raises(Forbidden) as refused:
            services.acknowledge(user, alarm.pk, note="看过了")
        assert refused.value.message == FORBIDDEN
    page = client_for(org.leader).post(f"/fixity/alarms/{alarm.pk}/acknowledge")
    assert page.status_code == 403 and FORBIDDEN in page.content.decode()
    assert [c.pk for c in services.open_alarms()] == [alarm.pk]
    assert not AuditEntry.objects.filter(action="fixity.acknowledge").exists()


def test_a_check_that_is_no_alarm_or_is_out_of_scope_is_not_found(org, squad1_rec, squad2_rec):
    """Another unit's alarm, a plain check, a repeat without an alarm and an id that does not
    exist all look alike (X2); nothing is acknowledged."""
    ok = services.record_check(squad2_rec, ReadResult(Outcome.OK, squad2_rec.sha256, 1000))
    alarm = services.record_check(squad1_rec, mismatch())
    repeat = services.record_check(squad1_rec, mismatch())
    other = services.record_check(squad2_rec, missing())
    last = FixityCheck.objects.order_by("-pk").first().pk
    for user, check_id in [
        (org.other_admin, alarm.pk),
        (org.admin, other.pk),
        (org.other_admin, ok.pk),
        (org.admin, repeat.pk),
        (org.sysadmin, last + 1000),
    ]:
        with pytest.raises(NotFound) as refused:
            services.acknowledge(user, check_id, note="已核实")
        assert refused.value.message == NOT_FOUND
    page = client_for(org.other_admin).post(f"/fixity/alarms/{alarm.pk}/acknowledge")
    assert page.status_code == 404
    assert [c.pk for c in services.open_alarms()] == [other.pk, alarm.pk]
    assert not FixityCheck.objects.filter(acknowledged_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(action="fixity.acknowledge").exists()


def test_the_page_acknowledges_with_the_administrators_address(org, squad1_rec):
    alarm = services.record_check(squad1_rec, mismatch())
    response = client_for(org.admin).post(
        f"/fixity/alarms/{alarm.pk}/acknowledge", {"note": "已上报"}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="fixity.acknowledge")
    assert (entry.ip, entry.detail["note"]) == ("192.0.2.7", "已上报")
