"""M5 and S1 through the services: a recording's retention follows its history (case,
evidence, dispute, hold, situations recorded by hand), is only ever extended automatically,
is shortened only by an approved request, and the store's own lock follows (local and S3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from avrecords.audit.models import AuditEntry
from avrecords.cases import services as cases
from avrecords.compliance.models import Activity, ActivityRecording
from avrecords.lib.storage import get_store
from avrecords.org.models import Role, User
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.retention import facts, holds
from avrecords.retention.approvals import Refused
from avrecords.retention.models import HoldStatus, RecordingRetention, RetentionChange
from avrecords.retention.services import describe, reclassify
from tests.rows import grant, make_stored


def use(org, code: str) -> None:
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code=code))


def retention_of(recording) -> RecordingRetention:
    return RecordingRetention.objects.get(recording=recording)


@pytest.fixture
def archivist(org):
    return User.objects.create(
        username="dangan", full_name="何静", role=Role.ARCHIVIST, unit=org.bureau
    )


def _case(org, case_type="penalty"):
    return cases.open_case(
        org.admin,
        cases.CaseInput(
            number="桐市监罚〔2026〕12号",
            title="某超市销售过期食品案",
            case_type=case_type,
            unit=org.squad1,
            opened_on=dt.date(2026, 11, 2),
            party="某超市",
            leader=org.leader,
        ),
    )


def _activity(org, recording, *, dispute=False):
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=recording.started_at,
        ended_at=recording.ended_at,
        dispute=dispute,
        source="web",
        created_by=org.admin,
    )
    ActivityRecording.objects.create(activity=activity, recording=recording, origin="auto")
    return activity


def test_a_new_recording_gets_the_general_period_and_its_reason(org):
    """tongbai 000§18: 2 years from the day of recording; the page shows why."""
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    reclassify([rec])
    row = retention_of(rec)
    assert (row.category, row.keep_until) == ("general", dt.date(2028, 11, 20))
    assert describe(row) == "保存至 2028-11-20：000§18，一般执法记录，自录制之日起2年"
    assert (
        AuditEntry.objects.filter(action="retention.classify", object_id=str(rec.pk)).count() == 1
    )


def test_a_case_takes_the_recording_with_it_and_filing_sets_the_date(org):
    """000§18: evidence kept as long as the case file: pending until filed, then filed + 30y."""
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    reclassify([rec])
    case = _case(org)
    cases.link_recordings(org.admin, case, [rec])
    row = retention_of(rec)
    assert (row.category, row.pending, row.keep_until) == ("evidence", True, None)
    cases.close_case(org.admin, case)
    cases.file_case(org.admin, case, archive_years=10)
    row = retention_of(rec)
    filed = timezone.localdate()
    assert (row.pending, row.keep_until) == (False, filed.replace(year=filed.year + 10))


def test_the_date_is_never_shortened_automatically(org):
    """Taking the recording out of the filed case's history later changes nothing."""
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    case = _case(org)
    cases.link_recordings(org.admin, case, [rec])
    cases.close_case(org.admin, case)
    cases.file_case(org.admin, case)
    kept = retention_of(rec).keep_until
    type(rec).objects.filter(pk=rec.pk).update(case=None)  # the history is rewritten
    reclassify([rec])
    assert retention_of(rec).keep_until == kept


def test_an_evidence_export_makes_a_fuzhou_recording_permanent(org):
    """004§19(3)1 作为行政决定证据使用的 → 永久保存."""
    use(org, "fuzhou")
    rec = make_stored(org, "a.mp4")
    req = grant(org.admin, rec, kind="export")
    reclassify([rec])
    row = retention_of(rec)
    assert (row.category, row.keep_until, row.pending) == ("evidence", None, False)
    assert describe(row) == f"永久保存：004§19(3)1，作为证据使用（证据导出 {req.number}）"


def test_a_dispute_on_the_activity_reaches_its_recordings(org):
    """004§19(3)3 发生矛盾纠纷事件 → 永久保存."""
    use(org, "fuzhou")
    rec = make_stored(org, "a.mp4")
    _activity(org, rec, dispute=True)
    reclassify([rec])
    assert retention_of(rec).category == "dispute_event"


def test_a_complaint_holds_the_activitys_recordings_and_release_needs_the_leader(org):
    """S1 (001§9, 004§10): a complaint preserves and gathers the activity's recordings; holds
    stop every clock; releasing is approved by the profile's approver, not the requester."""
    use(org, "lingchuan")  # no category for complaints: the hold alone keeps them
    rec, other = make_stored(org, "a.mp4"), make_stored(org, "b.mp4")
    activity = _activity(org, rec)
    reclassify([rec, other])
    before = retention_of(rec).keep_until
    hold = holds.place(org.admin, kind="complaint", reason="当事人投诉执法态度", activity=activity)
    assert list(hold.recordings.all()) == [rec]
    row = retention_of(rec)
    assert row.held and "法律保全中" in describe(row)
    assert not retention_of(other).held
    stat = get_store().stat(rec.storage_key, version=rec.storage_version)
    assert stat.legal_hold  # the store holds it too
    holds.request_release(org.admin, hold, "投诉已办结")
    with pytest.raises(Refused, match="分管领导"):
        holds.approve_release(org.admin, hold)
    assert LegalHoldStatus(hold) == HoldStatus.RELEASE_PENDING
    # ten days later the leader approves: the clock resumes ten days later than it stopped
    hold.placed_at = timezone.now() - dt.timedelta(days=10)
    hold.save(update_fields=["placed_at"])
    holds.approve_release(org.leader, hold)
    row = retention_of(rec)
    assert not row.held and row.held_days == 10
    assert row.keep_until == before + dt.timedelta(days=10)
    assert not get_store().stat(rec.storage_key, version=rec.storage_version).legal_hold
    actions = set(
        AuditEntry.objects.filter(object_id=str(hold.pk)).values_list("action", flat=True)
    )
    assert {"retention.hold", "retention.hold_release_request", "retention.hold_release"} <= actions


def LegalHoldStatus(hold) -> str:  # noqa: N802 (reads like the field)
    hold.refresh_from_db()
    return hold.status


def test_a_hold_placed_for_a_tongbai_petition_makes_the_case_permanent(org):
    """000§20(1) 当事人有异议或上访 → 长期保存, for every recording of the case."""
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    case = _case(org)
    cases.link_recordings(org.admin, case, [rec])
    holds.place(
        org.leader, kind="petition", reason="当事人信访", case=case, reference="信访〔2026〕3号"
    )
    row = retention_of(rec)
    assert (row.category, row.keep_until, row.held) == ("dispute_or_petition", None, True)


def test_an_officer_cannot_place_a_hold_and_bad_input_is_refused_in_chinese(org):
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    activity = _activity(org, rec)
    with pytest.raises(Refused, match="无权"):
        holds.place(org.officer, kind="complaint", reason="x", activity=activity)
    with pytest.raises(Refused, match="保全事由类型.*填写保全事由"):
        holds.place(org.admin, kind="rumour", reason=" ", activity=activity)
    assert not rec.legal_holds.exists()


def test_shortening_needs_an_approved_request(org):
    """A situation recorded by hand lengthens at once; taking it back is approved."""
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    reclassify([rec])
    fact = facts.record_fact(org.admin, fact="obstruction", note="当事人阻碍检查", recording=rec)
    assert retention_of(rec).category == "obstruction"
    change = facts.ask_to_shorten(org.admin, rec, reason="登记有误", fact=fact)
    assert retention_of(rec).category == "obstruction"  # nothing yet
    with pytest.raises(Refused):
        facts.decide_change(org.head2, change, approve=True)  # not the approver's role
    facts.decide_change(org.leader, change, approve=True, comment="同意")
    row = retention_of(rec)
    assert (row.category, row.keep_until) == ("general", dt.date(2028, 11, 20))
    change.refresh_from_db()
    assert change.before.startswith("永久保存") and change.after.startswith("保存至 2028-11-20")
    assert AuditEntry.objects.filter(action="retention.change_approve").count() == 1
    assert RetentionChange.objects.get().decided_by == org.leader


def test_the_local_store_lock_follows_the_computed_date(org):
    """Store agreement: the lock guards the file until the day after keep-until."""
    use(org, "tongbai")
    rec = make_stored(org, "a.mp4")
    reclassify([rec])
    stat = get_store().stat(rec.storage_key, version=rec.storage_version)
    assert timezone.localtime(stat.retain_until).date() == dt.date(2028, 11, 21)
    facts.record_fact(org.admin, fact="major_case", note="重大案件", recording=rec)
    later = get_store().stat(rec.storage_key, version=rec.storage_version).retain_until
    assert later > timezone.now() + dt.timedelta(days=300)  # no date: a rolling horizon
    assert later >= stat.retain_until
