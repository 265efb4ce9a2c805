"""Fixtures of the interruption tests (U3): a fuzhou inspection whose camera stopped for ten
minutes, so its officer 张伟 must explain the gap, and the unit head who acknowledges it."""

from __future__ import annotations

import datetime as dt

import pytest

from avrecords.compliance import activities as acts
from avrecords.compliance.engine import evaluate_activity
from avrecords.compliance.models import Finding, FindingKind
from avrecords.org.models import Role, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.rows import BEIJING, make


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


@pytest.fixture
def head1(org) -> User:
    return User.objects.create_user(
        "zhongdui1", password="x", full_name="陈刚", role=Role.UNIT_HEAD, unit=org.squad1
    )


@pytest.fixture
def gap(org) -> Finding:
    """A fuzhou inspection with a 10-minute break on one camera (004§12)."""
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="fuzhou"))
    for start, end in (("09:00:00", "09:20:00"), ("09:30:00", "10:00:00")):
        make(
            org,
            f"{start}.mp4",
            at=t(f"2026-11-20T{start}").timetuple()[:6],
            ended_at=t(f"2026-11-20T{end}"),
            device=org.camera,
        )
    activity = acts.create_activity(
        org.admin,
        acts.ActivityInput(
            unit=org.squad1,
            kind="on_site_inspection",
            started_at=t("2026-11-20T09:00:00"),
            ended_at=t("2026-11-20T10:00:00"),
            officers=[org.officer],
        ),
    )
    evaluate_activity(activity)
    return Finding.objects.get(kind=FindingKind.GAP)
