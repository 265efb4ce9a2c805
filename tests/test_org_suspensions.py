"""A person's suspension from enforcement (S5; chengde 001§28(3)) kept in org (issue 16 §1).

Supervision decides it; equipment and compliance, which sit below supervision, refuse a
suspended person by reading `org.suspensions` alone. The migration that moved the periods
out of the decisions copies every approved suspension and can be reversed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from avrecords.compliance import activities as acts
from avrecords.equipment.custody import CustodyError, issue_device
from avrecords.equipment.models import Device
from avrecords.org import suspensions
from avrecords.org.models import Suspension
from avrecords.supervision.models import Accountability

BASIS = "停止执法工作一个月，001§28(3)"


def test_a_suspension_in_org_alone_bars_a_device_and_an_activity(org):
    today = timezone.localdate()
    period = suspensions.record(org.officer, today, today + dt.timedelta(days=3), BASIS)
    assert suspensions.suspended(org.officer) == period
    assert suspensions.suspended(org.officer, today + dt.timedelta(days=4)) is None
    assert suspensions.suspended(org.officer2) is None
    said = f"张伟 被停止执法工作至 {period.ends_on:%Y-%m-%d}（{BASIS}）"
    assert suspensions.describe(period) == said

    spare = Device.objects.create(serial="350S011", unit=org.squad1, status="spare")
    with pytest.raises(CustodyError) as refused:
        issue_device(spare, org.officer, operator=org.admin)
    assert str(refused.value) == f"{said}，不能领用设备"
    start = timezone.now()
    errors, _ = acts.check(
        acts.ActivityInput(
            unit=org.squad1,
            kind="on_site_inspection",
            started_at=start,
            ended_at=start + dt.timedelta(hours=1),
            officers=[org.officer],
        )
    )
    assert f"执法人员：{said}，不能参加该执法活动" in errors


def test_a_suspension_counts_whole_local_days_at_both_ends(org):
    day = dt.date(2026, 12, 2)
    suspensions.record(org.officer, day, dt.date(2027, 1, 1), BASIS)
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert suspensions.suspended(org.officer, dt.datetime(2026, 12, 2, 0, 5, tzinfo=beijing))
    assert suspensions.suspended(org.officer, dt.datetime(2027, 1, 1, 23, 55, tzinfo=beijing))
    assert not suspensions.suspended(org.officer, dt.datetime(2027, 1, 2, 0, 0, tzinfo=beijing))
    assert not suspensions.suspended(org.officer, dt.datetime(2026, 12, 1, 23, 59, tzinfo=beijing))
    assert list(suspensions.in_force(dt.date(2026, 12, 15))) == list(Suspension.objects.all())


BEFORE = [("supervision", "0002_violation_register")]
AFTER = [("supervision", "0003_suspensions_in_org")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_approved_suspensions_to_org_and_back(org):
    try:
        old = _migrate(BEFORE).loader.project_state(BEFORE).apps
        Violation = old.get_model("supervision", "ViolationCandidate")
        Decision = old.get_model("supervision", "Accountability")
        violation = Violation.objects.create(
            kind="lent", kind_name="出借", unit_id=org.squad1.pk, summary="出借执法记录仪"
        )
        common = {
            "violation": violation,
            "person_id": org.officer.pk,
            "proposed_by_id": org.leader.pk,
            "reason": "故意删除有效证据",
        }
        approved = Decision.objects.create(
            **common,
            decision="suspension_one_month",
            decision_name="停止执法工作一个月",
            cite="001§28(3)",
            suspend_months=1,
            status="approved",
            suspended_from=dt.date(2026, 12, 2),
            suspended_until=dt.date(2027, 1, 1),
        )
        pending = Decision.objects.create(
            **common, decision="suspension_one_month", decision_name="停止执法", suspend_months=1
        )
        criticism = Decision.objects.create(
            **common, decision="criticism", decision_name="通报批评", status="approved"
        )

        _migrate(AFTER)
        moved = Accountability.objects.get(pk=approved.pk)
        assert (moved.suspended_from, moved.suspended_until) == (
            dt.date(2026, 12, 2),
            dt.date(2027, 1, 1),
        )
        assert moved.suspension.person == org.officer and moved.suspension.basis == BASIS
        assert Suspension.objects.count() == 1
        for other in (pending, criticism):
            assert Accountability.objects.get(pk=other.pk).suspension is None

        back = _migrate(BEFORE).loader.project_state(BEFORE).apps
        restored = back.get_model("supervision", "Accountability").objects.get(pk=approved.pk)
        assert (restored.suspended_from, restored.suspended_until) == (
            dt.date(2026, 12, 2),
            dt.date(2027, 1, 1),
        )
        assert not Suspension.objects.exists()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
