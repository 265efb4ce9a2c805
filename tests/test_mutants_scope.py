"""The scope rule itself (X2, M9; issue 23 §2): `org/scope.py` for every role, on the unit
one sits in, a unit below it, a sibling unit and another agency.

tests/test_scope_rule.py pins what each model's `visible_to` gives on the squads of one
bureau. This module pins the rule's own answers where that world does not reach: a unit
below a squad, a second agency, a supervisor assigned two units, a unit role without a unit,
what each role may *do* (the `can_*` answers the menus and endpoints read), which units a
person may act on (`in_unit_scope`, `scope_unit_ids`, `subtree_unit_ids`), the recordings an
officer keeps sight of (his own, handed over to him, uploaded and waiting to be bound, marked
or not), and the "另有 N 条未显示" count of a list (M9).

The expected answers are written out by hand from X2 (../shared/REQUIREMENTS.md): officers
their own, records administrators, unit heads, leaders and archivists their unit's subtree,
supervisors the units assigned to them (their own unit while none is), system administrators
and superusers everything, anonymous visitors nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from avrecords.compliance.models import Activity, ActivityRecording
from avrecords.org.models import Role, Unit
from avrecords.org.scope import (
    can_acknowledge_fixity,
    can_edit_case_info,
    can_import_activities,
    can_ingest,
    can_manage_equipment,
    can_manage_policies,
    can_manage_stations,
    can_record_activity,
    can_upload,
    can_view_audit_anchors,
    can_view_equipment,
    can_view_fixity,
    can_view_stations,
    cleared_for,
    has_unit_scope,
    in_unit_scope,
    recording_q,
    scope_q,
    scope_unit_ids,
    shown_and_withheld,
    subtree_unit_ids,
    uncleared_marks,
    unit_q,
)
from avrecords.recordings.models import IngestBatch, Recording
from tests.rows import make

UNITS = ("bureau", "squad1", "group", "squad2", "other")
STATE, COMMERCIAL, PRIVACY = "state_secret", "commercial_secret", "privacy"


class Tree:
    """Org's bureau (squads 1 and 2) with a group below squad 1 and a second agency; one
    person of each role, and one recording in each unit but the bureau."""

    def __init__(self, org) -> None:
        self.org = org
        new = org._user
        group = Unit.objects.create(name="执法一中队一组", code="T350200-01-1", parent=org.squad1)
        other = Unit.objects.create(name="某县市场监督管理局", code="T350300")
        self.units = {
            "bureau": org.bureau,
            "squad1": org.squad1,
            "group": group,
            "squad2": org.squad2,
            "other": other,
        }
        supervisor = new("jiandu", "监督员", Role.SUPERVISOR, org.bureau)
        supervisor.supervised_units.set([group, org.squad2])
        self.people = {
            "officer": org.officer,  # squad 1
            "admin": org.admin,  # squad 1
            "head1": new("zhongdui1", "一中队长", Role.UNIT_HEAD, org.squad1),
            "archivist": new("dangan", "档案员", Role.ARCHIVIST, org.squad1),
            "leader": org.leader,  # the bureau
            "supervisor": supervisor,  # in the bureau, assigned the group and squad 2
            "supervisor2": new("jiandu2", "二中队监督员", Role.SUPERVISOR, org.squad2),
            "sysadmin": org.sysadmin,
            "superuser": new("root", "超级用户", Role.OFFICER, None, is_superuser=True),
            "other_admin": new("xianguanli", "县局管理员", Role.ADMIN, other),
        }
        group_officer = new("zuyuan", "一组队员", Role.OFFICER, group)
        county_officer = new("xianyuan", "县局队员", Role.OFFICER, other)
        self.recordings = {
            "squad1": make(org, "S1.MP4", officer=org.officer),
            "group": make(org, "G.MP4", officer=group_officer),
            "squad2": make(org, "S2.MP4", officer=org.other_officer),
            "other": make(org, "O.MP4", officer=county_officer),
        }

    def seen(self, q) -> set[str]:
        pks = set(Recording.objects.filter(q).values_list("pk", flat=True))
        return {name for name, r in self.recordings.items() if r.pk in pks}


@pytest.fixture
def tree(org) -> Tree:
    return Tree(org)


ALL = set(UNITS)
SUBTREE1 = {"squad1", "group"}
# person → the units he may act on (in_unit_scope), the recordings he sees
SCOPE = {
    "officer": (set(), {"squad1"}),  # no unit scope; his own recording
    "admin": (SUBTREE1, SUBTREE1),
    "head1": (SUBTREE1, SUBTREE1),
    "archivist": (SUBTREE1, SUBTREE1),
    "leader": (ALL - {"other"}, {"squad1", "group", "squad2"}),
    "supervisor": ({"group", "squad2"}, {"group", "squad2"}),  # not his own bureau
    "supervisor2": ({"squad2"}, {"squad2"}),  # none assigned: his own unit
    "sysadmin": (ALL, ALL - {"bureau"}),
    "superuser": (ALL, ALL - {"bureau"}),
    "other_admin": ({"other"}, {"other"}),
}


@pytest.mark.parametrize("who", list(SCOPE))
def test_each_role_sees_and_acts_on_its_own_unit_the_units_below_and_nothing_beside(tree, who):
    person = tree.people[who]
    acts_on, sees = SCOPE[who]
    assert {name for name, unit in tree.units.items() if in_unit_scope(person, unit)} == acts_on
    assert tree.seen(recording_q(person)) == sees
    assert tree.seen(recording_q(person, resolve_units=True)) == sees  # the M4 search's form
    assert tree.seen(recording_q(person, uploads_waiting=False)) == sees
    assert {r.original_name for r in Recording.objects.visible_to(person)} == {
        tree.recordings[name].original_name for name in sees
    }


@pytest.mark.parametrize("who", list(SCOPE))
def test_the_units_a_person_may_act_on_are_listed_by_id_for_unit_roles_only(tree, who):
    """`scope_unit_ids` and `has_unit_scope`: a unit role's subtrees; nothing for officers and
    for system administrators (who see everything by `sees_everything`, not by a list)."""
    person = tree.people[who]
    unit_role = who not in ("officer", "sysadmin", "superuser")
    ids = set(scope_unit_ids(person))
    expected = SCOPE[who][0] if unit_role else set()
    assert ids == {tree.units[name].pk for name in expected}
    assert has_unit_scope(person) is unit_role


def test_a_unit_is_nobodys_scope_when_there_is_no_unit(tree):
    for person in tree.people.values():
        assert in_unit_scope(person, None) is False


def test_a_units_subtree_is_itself_and_the_units_below_it_never_a_sibling_or_another_agency(tree):
    units = tree.units
    names = {unit.pk: name for name, unit in units.items()}
    assert {names[pk] for pk in subtree_unit_ids(units["squad1"])} == SUBTREE1
    assert {names[pk] for pk in subtree_unit_ids(units["group"])} == {"group"}
    assert {names[pk] for pk in subtree_unit_ids(units["bureau"])} == ALL - {"other"}
    assert {names[pk] for pk in subtree_unit_ids(units["other"])} == {"other"}


def test_a_unit_role_without_a_unit_sees_nothing_and_acts_nowhere(tree):
    org = tree.org
    for role in (Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.ARCHIVIST):
        person = org._user(f"nounit_{role}", "未分配单位", role, None)
        assert tree.seen(recording_q(person)) == set(), role
        assert tree.seen(recording_q(person, resolve_units=True)) == set(), role
        assert scope_unit_ids(person) == [], role
        assert not has_unit_scope(person), role
        assert not any(in_unit_scope(person, unit) for unit in tree.units.values()), role
        assert not Recording.objects.filter(unit_q(person)).exists(), role
    admin = org._user("nounit_batches", "未分配单位", Role.ADMIN, None)
    IngestBatch.objects.create(source="upload", unit=org.squad1)
    assert not IngestBatch.objects.visible_to(admin).exists()  # an importer of no unit


def test_a_supervisors_assignments_are_read_once_for_a_whole_list(tree, django_assert_num_queries):
    """A list checks each row's unit against the viewer's scope (`in_unit_scope`): his
    assigned units are read from the database once per request, not once per row."""
    supervisor = tree.people["supervisor"]
    with django_assert_num_queries(1):
        acts_on = {name for name, unit in tree.units.items() if in_unit_scope(supervisor, unit)}
        assert acts_on == {"group", "squad2"}
        assert has_unit_scope(supervisor)


def test_the_scope_filter_reads_a_models_unit_and_officer_by_default(tree):
    """`scope_q` for a model with `unit` and `officer` (as a recording has), without its
    marks: unit roles their subtrees, an officer his own — and what was handed over to him
    only where the model names a keeper."""
    org = tree.org
    kept = make(org, "KEPT.MP4", officer=org.officer2, keeper=org.officer)
    names = {r.pk: name for name, r in tree.recordings.items()} | {kept.pk: "kept"}

    def seen(q):
        return {names[pk] for pk in Recording.objects.filter(q).values_list("pk", flat=True)}

    assert seen(scope_q(org.officer)) == {"squad1"}
    assert seen(scope_q(org.officer, keeper_field="keeper")) == {"squad1", "kept"}
    assert seen(scope_q(org.admin)) == {"squad1", "group", "kept"}
    assert seen(scope_q(tree.people["supervisor"])) == {"group", "squad2"}
    assert seen(scope_q(org.sysadmin)) == set(names.values())
    assert seen(scope_q(AnonymousUser())) == set()


def test_units_once_assigned_to_supervise_do_not_widen_a_records_administrators_scope(tree):
    """A supervisor who became a records administrator keeps his old assignments in the
    table; his scope is now his own unit (squad 1), not the squad 2 he used to supervise."""
    person = tree.org._user("zhuangang", "转岗管理员", Role.ADMIN, tree.org.squad1)
    person.supervised_units.set([tree.org.squad2])
    assert tree.seen(recording_q(person)) == SUBTREE1
    assert not in_unit_scope(person, tree.org.squad2)


def test_anonymous_sees_no_recording_not_even_one_bound_to_nobody(tree):
    """A camera dump's file waiting to be assigned has no officer and no uploader."""
    waiting = make(tree.org, "WAIT.MP4", officer=False, unit=tree.org.squad1)
    anonymous = AnonymousUser()
    pks = set(Recording.objects.filter(recording_q(anonymous)).values_list("pk", flat=True))
    assert waiting.pk not in pks
    assert pks == set()
    assert uncleared_marks(anonymous) == [STATE, COMMERCIAL, PRIVACY]


# --- what each role may do -------------------------------------------------------------------

CAN = {
    can_ingest: {"admin", "sysadmin"},
    can_upload: {"officer", "admin", "sysadmin"},
    can_edit_case_info: {"officer", "admin", "sysadmin"},
    can_record_activity: {"officer", "admin", "head1", "sysadmin"},
    can_import_activities: {"admin", "sysadmin"},
    can_manage_policies: {"sysadmin"},
    can_view_fixity: {"admin", "head1", "leader", "sysadmin"},
    can_acknowledge_fixity: {"admin", "sysadmin"},
    can_view_audit_anchors: {"supervisor", "sysadmin"},
    can_manage_equipment: {"admin", "sysadmin"},
    can_view_equipment: {"admin", "head1", "leader", "supervisor", "sysadmin"},
    can_manage_stations: {"sysadmin"},
    can_view_stations: {"admin", "head1", "leader", "supervisor", "sysadmin"},
}
ROLES = ("officer", "admin", "head1", "archivist", "leader", "supervisor", "sysadmin")


@pytest.mark.parametrize("can", list(CAN), ids=lambda f: f.__name__)
def test_each_role_may_do_what_its_duties_name_a_superuser_all_and_anonymous_nothing(tree, can):
    allowed = {who for who in ROLES if can(tree.people[who])}
    assert allowed == CAN[can]
    assert can(tree.people["superuser"]) is True  # an officer's role, but a superuser
    assert not can(AnonymousUser())


# --- an officer's own recordings, marks (M9) ------------------------------------------------


def test_an_officer_sees_his_own_handed_over_and_waiting_uploads_and_no_colleagues(tree):
    org = tree.org
    me, colleague = org.officer, org.officer2
    rows = {
        "own": make(org, "OWN.MP4", officer=me),
        "kept": make(org, "KEPT.MP4", officer=colleague, keeper=me),  # E5: handed over to him
        "waiting": make(org, "UP.MP4", officer=False, uploaded_by=me),  # 待指派
        "bound": make(org, "UP2.MP4", officer=colleague, uploaded_by=me),  # bound: hers now
        "theirs": make(org, "HERS.MP4", officer=colleague),
        "her_upload": make(org, "UP3.MP4", officer=False, uploaded_by=colleague),
    }
    names = {r.pk: name for name, r in rows.items()}
    seen = Recording.objects.filter(recording_q(me)).values_list("pk", flat=True)
    assert {names[pk] for pk in seen if pk in names} == {"own", "kept", "waiting"}


def test_an_officer_keeps_sight_of_his_marked_recordings_and_nobody_elses(tree):
    """Marked ones he recorded, was handed over or uploaded and waits to be bound stay his
    (M9); a marked one of a colleague is hidden from him as from anyone not cleared."""
    org = tree.org
    me, colleague = org.officer, org.officer2
    rows = {
        "own": make(org, "M1.MP4", officer=me, secrecy=PRIVACY),
        "kept": make(org, "M2.MP4", officer=colleague, keeper=me, secrecy=STATE),
        "waiting": make(org, "M3.MP4", officer=False, uploaded_by=me, secrecy=COMMERCIAL),
        "theirs": make(org, "M4.MP4", officer=colleague, secrecy=PRIVACY),
    }
    names = {r.pk: name for name, r in rows.items()}
    seen = Recording.objects.filter(recording_q(me)).values_list("pk", flat=True)
    assert {names[pk] for pk in seen if pk in names} == {"own", "kept", "waiting"}
    admin_seen = Recording.objects.filter(recording_q(org.admin)).values_list("pk", flat=True)
    assert {names[pk] for pk in admin_seen if pk in names} == set()


def test_a_cleared_person_sees_his_marks_in_his_scope_only(tree):
    """A leader cleared for commercial secrets: those of his bureau, not the state secrets or
    private ones beside them, and not a commercial secret of another agency."""
    org = tree.org
    leader = org._user(
        "shemi", "涉密领导", Role.LEADER, org.bureau, secrecy_clearances=[COMMERCIAL]
    )
    rows = {
        "commercial": make(org, "C.MP4", officer=org.other_officer, secrecy=COMMERCIAL),
        "state": make(org, "S.MP4", officer=org.other_officer, secrecy=STATE),
        "privacy": make(org, "P.MP4", officer=org.officer, secrecy=PRIVACY),
        "other": make(org, "X.MP4", officer=False, unit=tree.units["other"], secrecy=COMMERCIAL),
    }
    names = {r.pk: name for name, r in rows.items()}
    for q in (recording_q(leader), recording_q(leader, resolve_units=True)):
        seen = Recording.objects.filter(q).values_list("pk", flat=True)
        assert {names[pk] for pk in seen if pk in names} == {"commercial"}
    assert uncleared_marks(leader) == [STATE, PRIVACY]
    assert cleared_for(leader, COMMERCIAL)
    assert not cleared_for(leader, STATE)
    assert not cleared_for(leader, PRIVACY)


def test_an_unmarked_item_needs_no_clearance_and_a_mark_needs_its_own(tree):
    leader = tree.org.leader  # cleared for nothing
    assert uncleared_marks(leader) == [STATE, COMMERCIAL, PRIVACY]
    assert cleared_for(leader, "")
    assert cleared_for(AnonymousUser(), "")
    assert not any(cleared_for(leader, mark) for mark in (STATE, COMMERCIAL, PRIVACY))
    everything = tree.org._user(
        "quanbu",
        "全知",
        Role.LEADER,
        tree.org.bureau,
        secrecy_clearances=[PRIVACY, STATE, COMMERCIAL],
    )
    assert uncleared_marks(everything) == []
    assert all(cleared_for(everything, mark) for mark in ("", STATE, COMMERCIAL, PRIVACY))


def test_a_list_shows_what_the_person_may_see_and_counts_the_others(tree):
    """M9: "另有 N 条…未显示" — the marked and out-of-scope rows are counted, not listed."""
    org = tree.org
    make(org, "SECRET.MP4", officer=org.officer, secrecy=STATE)
    everything = Recording.objects.all()
    shown, withheld = shown_and_withheld(org.leader, everything)
    assert {r.original_name for r in shown} == {"S1.MP4", "G.MP4", "S2.MP4"}
    assert withheld == 2  # the state secret and the other agency's
    shown, withheld = shown_and_withheld(org.officer, everything)
    assert {r.original_name for r in shown} == {"S1.MP4", "SECRET.MP4"}
    assert withheld == 3
    shown, withheld = shown_and_withheld(org.sysadmin, everything)
    assert len(shown) == 4
    assert withheld == 1


def test_an_activitys_recordings_show_those_the_person_may_see_and_count_the_others(tree):
    """The activity page lists its linked recordings through the link rows (prefix
    `recording__`): the leader sees both squads' but not the state secret; squad 1's records
    administrator only squad 1's unmarked one."""
    org = tree.org
    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    activity = Activity.objects.create(
        unit=org.squad1,
        kind="inspection",
        kind_name="现场检查",
        must_record=True,
        started_at=at,
        ended_at=at + dt.timedelta(hours=1),
        source="web",
    )
    secret = make(org, "SECRET.MP4", officer=org.officer, secrecy=STATE)
    for recording in (tree.recordings["squad1"], tree.recordings["squad2"], secret):
        ActivityRecording.objects.create(activity=activity, recording=recording, origin="auto")
    for person, names, withheld_count in (
        (org.leader, {"S1.MP4", "S2.MP4"}, 1),
        (org.admin, {"S1.MP4"}, 2),
        (org.officer, {"S1.MP4", "SECRET.MP4"}, 1),
    ):
        shown, withheld = shown_and_withheld(person, activity.links.all(), prefix="recording__")
        assert {link.recording.original_name for link in shown} == names, person
        assert withheld == withheld_count, person
