"""Fixtures and helpers of the violation-register and accountability tests (S4, S5): the
chengde profile, two supervisors, a violation entered or confirmed by one."""

from __future__ import annotations

import datetime as dt

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.supervision import violations
from avrecords.supervision.models import (
    ViolationCandidate,
)
from tests.conftest import client_for

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def chengde(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="chengde"))


@pytest.fixture
def supervisor(org, chengde):
    return org._user("jiandu", "刘监督", Role.SUPERVISOR, org.squad1)


@pytest.fixture
def other_supervisor(org, chengde):
    return org._user("jiandu2", "何监督", Role.SUPERVISOR, org.squad2)


def entry(org, supervisor, **changes) -> ViolationCandidate:
    values = {
        "kind": "lent",
        "unit": org.squad1,
        "person": org.officer,
        "summary": "将执法记录仪借给协管员使用",
    }
    values.update(changes)
    return violations.report(supervisor, violations.ViolationInput(**values))


def confirmed(org, supervisor, **changes) -> ViolationCandidate:
    made = entry(org, supervisor, **changes)
    return violations.decide(supervisor, made, confirm=True, reason="经调查属实")


def post_json(user, url: str, **body):
    return client_for(user).post(url, body, "application/json")


def audits(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))
