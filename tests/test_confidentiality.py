"""M9 and X2: confidential items only for people cleared for their mark; marking and
unmarking go through an approved request; supervisors see the units assigned to them."""

from __future__ import annotations

import datetime as dt

import pytest

from avrecords.access import requests as svc
from avrecords.access.chain import RequestRefused
from avrecords.access.models import RequestStatus
from avrecords.audit.models import AuditEntry
from avrecords.cases.models import Case
from avrecords.compliance.models import Activity
from avrecords.org.models import Role, Unit, User
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from avrecords.recordings.models import Recording
from tests.conftest import PASSWORD, client_for
from tests.rows import make


def _person(username, name, role, unit, **extra) -> User:
    user = User(username=username, full_name=name, role=role, unit=unit, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def head(org):
    policies.assign(None, org.bureau, PolicyProfile.objects.get(code="chengde"))
    return _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)


@pytest.fixture
def director(org, head):
    """chengde 001§22 报经办公室主任审核: the head of the bureau's 办公室 reviews."""
    office = Unit.objects.create(name="办公室", code="T350200-00", parent=org.bureau)
    return _person("bangongshi", "许主任", Role.UNIT_HEAD, office)


def _mark(org, director, mark, **target):
    req = svc.submit(org.admin, svc.Ask(kind="mark", reason="涉及企业配方", mark=mark, **target))
    req = svc.approve(director, req)  # chengde: the office director reviews…
    return svc.approve(org.leader, req)  # …the leader approves; takes effect at once


def test_a_marked_recording_disappears_for_the_uncleared_and_stays_for_the_cleared(
    org, head, director
):
    rec = make(org, "SECRET.MP4", officer=org.officer2)
    assert Recording.objects.visible_to(head).filter(pk=rec.pk).exists()
    org.leader.secrecy_clearances = ["commercial_secret"]
    org.leader.save()
    req = _mark(org, director, "commercial_secret", recordings=[rec])
    assert req.status == RequestStatus.ACTIVE
    rec.refresh_from_db()
    assert rec.secrecy == rec.secrecy_mark == "commercial_secret"
    assert not Recording.objects.visible_to(head).filter(pk=rec.pk).exists()
    assert client_for(head).get(f"/recordings/{rec.pk}/").status_code == 404
    leader = User.objects.get(pk=org.leader.pk)
    assert Recording.objects.visible_to(leader).filter(pk=rec.pk).exists()
    # his own recording
    assert Recording.objects.visible_to(org.officer2).filter(pk=rec.pk).exists()
    assert AuditEntry.objects.filter(action="secrecy.mark", object_id=str(rec.pk)).exists()


def test_an_approver_not_cleared_for_what_he_would_approve_cannot_approve_it(org, director):
    from avrecords.access.secrecy import apply_mark

    rec = make(org, "S2.MP4", officer=org.officer2)
    apply_mark(rec, "privacy")
    for person in (org.admin, director):
        person.secrecy_clearances = ["privacy"]
        person.save()
    req = svc.submit(
        org.admin, svc.Ask(kind="mark", reason="涉密", mark="state_secret", recordings=[rec])
    )
    req = svc.approve(director, req)
    with pytest.raises(RequestRefused, match="知悉范围"):
        svc.approve(org.leader, req)  # the leader may not see this private recording
    assert Recording.objects.get(pk=rec.pk).secrecy == "privacy"


def test_a_case_mark_covers_its_recordings_and_activities_and_unmarking_restores(org, director):
    case = Case.objects.create(
        number="承安监罚〔2026〕3号",
        title="某企业事故调查",
        case_type="penalty",
        unit=org.squad1,
        opened_on=dt.date(2026, 11, 1),
        created_by=org.admin,
    )
    rec = make(org, "CASE.MP4", officer=org.officer2, case=case)
    for person in (org.admin, director, org.leader):
        person.secrecy_clearances = ["privacy"]
        person.save()
    _mark(org, director, "privacy", case=case)
    assert Recording.objects.get(pk=rec.pk).secrecy == "privacy"
    assert Recording.objects.get(pk=rec.pk).secrecy_mark == ""
    assert not Recording.objects.visible_to(org.bureau_admin).filter(pk=rec.pk).exists()
    _mark(org, director, "", case=case)
    assert Recording.objects.get(pk=rec.pk).secrecy == ""
    assert Recording.objects.visible_to(org.bureau_admin).filter(pk=rec.pk).exists()


def test_a_marked_activity_hides_from_the_uncleared(org, head):
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="on_site_inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC),
        source="web",
    )
    activity.officers.set([org.officer])
    from avrecords.access.secrecy import apply_mark

    apply_mark(activity, "state_secret")
    assert not Activity.objects.visible_to(org.admin).filter(pk=activity.pk).exists()
    assert Activity.objects.visible_to(org.officer).filter(pk=activity.pk).exists()  # his own


def test_an_officer_cannot_ask_to_mark(org, head):
    rec = make(org, "O.MP4", officer=org.officer)
    with pytest.raises(RequestRefused, match="角色"):
        svc.submit(org.officer, svc.Ask(kind="mark", reason="x", mark="privacy", recordings=[rec]))


def test_a_supervisor_sees_the_units_assigned_to_him_only(org):
    supervisor = _person("jiandu", "何平", Role.SUPERVISOR, org.bureau)
    in_squad1 = make(org, "S1.MP4", officer=org.officer)
    in_squad2 = make(org, "S2.MP4", officer=org.other_officer)
    # unassigned: his own unit (the bureau) and below
    both = [in_squad1.pk, in_squad2.pk]
    assert Recording.objects.visible_to(supervisor).filter(pk__in=both).count() == 2
    supervisor.supervised_units.set([org.squad2])
    supervisor = User.objects.get(pk=supervisor.pk)  # a new request: no cached scope
    seen = set(Recording.objects.visible_to(supervisor).values_list("pk", flat=True))
    assert in_squad2.pk in seen and in_squad1.pk not in seen
    assert client_for(supervisor).get(f"/recordings/{in_squad1.pk}/").status_code == 404
    assert client_for(supervisor).get(f"/recordings/{in_squad2.pk}/").status_code == 200
