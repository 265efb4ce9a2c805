"""M5 store agreement on a real S3 server (SeaweedFS, COMPLIANCE locks) and on the local store:
the store's own retain-until date and legal hold follow the computed retention (extended,
never shortened), and the nightly check finds and reports what drifted.

Read back with plain boto3 where it matters: what the store itself holds, not what we wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from avrecords.cases import services as cases
from avrecords.lib.storage import get_store
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.retention import facts, holds
from avrecords.retention.models import RecordingRetention
from avrecords.retention.services import reclassify
from avrecords.retention.storesync import check_all
from tests.rows import make_stored
from tests.s3server import configure_store
from tests.test_retention_flow import _activity, _case


@pytest.fixture
def short_lock_s3(settings, s3_server, s3_bucket, isolated_store):
    """S3 whose ingest lock is one day: the computed dates are what extends it."""
    configure_store(settings, s3_server, s3_bucket, AVRECORDS_S3_RETAIN_DAYS=1)
    yield s3_server.client(), s3_bucket
    get_store.cache_clear()


def _head(client, bucket, rec) -> dict:
    return client.head_object(Bucket=bucket, Key=rec.storage_key, VersionId=rec.storage_version)


def _day_after(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def test_the_s3_lock_follows_an_extension_and_is_never_shortened(org, short_lock_s3):
    client, bucket = short_lock_s3
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    rec = make_stored(org, "a.mp4")
    assert _head(client, bucket, rec)["ObjectLockRetainUntilDate"] < timezone.now() + dt.timedelta(
        days=2
    )
    reclassify([rec])  # 000§18: to 2028-11-20 → locked until the day after
    held = _head(client, bucket, rec)
    assert held["ObjectLockMode"] == "COMPLIANCE"
    assert held["ObjectLockRetainUntilDate"] == _day_after(dt.date(2028, 11, 20))
    case = _case(org)
    cases.link_recordings(org.admin, case, [rec])
    cases.close_case(org.admin, case)
    cases.file_case(org.admin, case, archive_years=30)  # kept with the case file: 30 years
    row = RecordingRetention.objects.get(recording=rec)
    assert row.keep_until.year == timezone.localdate().year + 30
    assert _head(client, bucket, rec)["ObjectLockRetainUntilDate"] == _day_after(row.keep_until)
    # an (approved) shorter date later leaves the store's lock where it was
    RecordingRetention.objects.filter(pk=row.pk).update(keep_until=dt.date(2029, 1, 1))
    check = check_all()
    assert _head(client, bucket, rec)["ObjectLockRetainUntilDate"] == _day_after(row.keep_until)
    assert check.longer == 1 and check.extended == 0


def test_a_hold_sets_the_s3_legal_hold_and_its_release_clears_it(org, short_lock_s3):
    client, bucket = short_lock_s3
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    rec = make_stored(org, "a.mp4")
    hold = holds.place(
        org.admin, kind="litigation", reason="行政诉讼", activity=_activity(org, rec)
    )

    def legal_hold() -> str:
        return client.get_object_legal_hold(
            Bucket=bucket, Key=rec.storage_key, VersionId=rec.storage_version
        )["LegalHold"]["Status"]

    assert legal_hold() == "ON"
    holds.request_release(org.admin, hold, "诉讼终结")
    holds.approve_release(org.leader, hold)
    assert legal_hold() == "OFF"
    # 004§19(3)4: litigation keeps it permanently: locked a rolling horizon ahead
    until = _head(client, bucket, rec)["ObjectLockRetainUntilDate"]
    assert until > timezone.now() + dt.timedelta(days=300)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_the_nightly_check_extends_short_locks_sets_holds_right_and_reports(org, backend, request):
    if backend == "s3":
        request.getfixturevalue("short_lock_s3")
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))
    recs = [make_stored(org, f"n{i}.mp4") for i in range(3)]
    reclassify(recs, sync_store=False)  # as if the store had been told nothing
    facts.record_fact(org.admin, fact="long_term", note="典型案例", recording=recs[0])
    RecordingRetention.objects.filter(recording=recs[1]).update(held=True)  # drifted hold
    store = get_store()
    check = check_all()
    assert check.checked == 3 and check.failed == 0
    assert check.extended >= 2 and check.holds_fixed == 1
    assert {d["recording"] for d in check.drift} >= {recs[1].pk, recs[2].pk}
    for rec in recs:
        row = RecordingRetention.objects.get(recording=rec)
        stat = store.stat(rec.storage_key, version=rec.storage_version)
        assert stat.retain_until >= (
            _day_after(row.keep_until) if row.keep_until and not row.held else timezone.now()
        )
        assert stat.legal_hold == row.held
    again = check_all()  # nothing left to set right
    assert (again.extended, again.holds_fixed, again.failed) == (0, 0, 0)
