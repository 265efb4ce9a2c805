"""M9 and X2: how a confidentiality mark spreads (access/secrecy.py), pinned where `make mutate`
found it unguarded.

- An activity's effective mark is the highest of its own and its case's; one without a case
  carries its own mark only, and nothing once that is lifted.
- Marking a case marks the activities of that case (not those of other cases, nor those in no
  case) and the recordings linked to them; lifting it gives everything back to the uncleared.
- A recording linked to an activity and then unlinked by hand (the link kept as excluded)
  does not take the activity's mark.
- A recording's effective mark is the highest of its own, its case's and its activities'.
- A refresh answers how many effective marks it changed (0 when none did).
- Marking something that cannot be marked is refused and names what was given.
- The work of a refresh does not grow with what it leaves alone: re-reading activities or
  recordings whose marks hold costs the same queries for three as for one, and marking an
  activity reads no recording of other activities nor one unlinked from it (issue 22 §4's rule
  for lists, here for a mark that must stay cheap over millions of recordings).
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avrecords.access.secrecy import apply_mark, refresh_activities, refresh_recordings
from avrecords.cases.models import Case
from avrecords.compliance import activities as acts
from avrecords.compliance.models import Activity
from avrecords.org.models import Secrecy, User
from avrecords.recordings.models import Recording
from tests.rows import make, make_activity, make_case

STATE = Secrecy.STATE_SECRET
COMMERCIAL = Secrecy.COMMERCIAL_SECRET
PRIVACY = Secrecy.PRIVACY
_seq = itertools.count(1)


def _case(org, **fields) -> Case:
    return make_case(org, f"承安监罚〔2026〕{next(_seq)}号", org.squad1, **fields)


def _recording(org, **fields) -> Recording:
    return make(org, f"M{next(_seq)}.MP4", officer=org.officer2, **fields)


def _marks(row) -> tuple[str, str]:
    """(own mark, effective mark) as stored now."""
    row.refresh_from_db()
    return row.secrecy_mark, row.secrecy


def _sees(user, row) -> bool:
    user = User.objects.get(pk=user.pk)  # a new request: no cached scope
    return type(row).objects.visible_to(user).filter(pk=row.pk).exists()


def _cleared(user, *marks) -> User:
    user.secrecy_clearances = list(marks)
    user.save()
    return user


def test_a_case_mark_reaches_the_activities_of_that_case_and_their_linked_recordings_only(org):
    case = _case(org)
    inside = make_activity(org.squad1, org.officer, case=case)
    in_no_case = make_activity(org.squad1, org.officer)
    in_another_case = make_activity(org.squad1, org.officer, case=_case(org))
    linked = _recording(org)  # not itself in the case: covered through its activity only
    acts.link(org.admin, inside, linked)

    apply_mark(case, PRIVACY)

    assert _marks(inside) == ("", PRIVACY)
    assert _marks(linked) == ("", PRIVACY)
    assert _marks(in_no_case) == _marks(in_another_case) == ("", "")
    assert not _sees(org.admin, inside) and not _sees(org.admin, linked)
    assert _sees(org.admin, in_no_case) and _sees(org.admin, in_another_case)

    apply_mark(case, "")

    assert _marks(inside) == _marks(linked) == ("", "")
    assert _sees(org.admin, inside) and _sees(org.admin, linked)


def test_an_activity_carries_the_higher_of_its_own_mark_and_its_case_mark(org):
    case = _case(org)
    activity = make_activity(org.squad1, org.officer, case=case)
    leader = _cleared(org.leader, COMMERCIAL)
    apply_mark(case, COMMERCIAL)

    apply_mark(activity, PRIVACY)  # lower than the case's: the case's holds
    assert _marks(activity) == (PRIVACY, COMMERCIAL)
    assert _sees(leader, activity) and not _sees(org.admin, activity)

    apply_mark(activity, STATE)  # higher than the case's: the leader loses sight of it
    assert _marks(activity) == (STATE, STATE)
    assert not _sees(leader, activity)

    apply_mark(case, "")
    assert _marks(activity) == (STATE, STATE)
    apply_mark(activity, "")
    assert _marks(activity) == ("", "")
    assert _sees(org.admin, activity)


def test_an_activity_in_no_case_has_its_own_mark_and_none_once_it_is_lifted(org):
    activity = make_activity(org.squad1, org.officer)
    apply_mark(activity, PRIVACY)
    assert _marks(activity) == (PRIVACY, PRIVACY)
    assert not _sees(org.admin, activity)

    apply_mark(activity, "")

    assert _marks(activity) == ("", "")
    assert _sees(org.admin, activity)


def test_a_recording_unlinked_by_hand_does_not_take_its_former_activity_mark(org):
    activity = make_activity(org.squad1, org.officer)
    kept, unlinked, later = (_recording(org) for _ in range(3))
    for recording in (kept, unlinked, later):
        acts.link(org.admin, activity, recording)
    acts.unlink(org.admin, activity, unlinked)  # the link stays, as excluded

    apply_mark(activity, STATE)

    assert _marks(kept) == ("", STATE) and not _sees(org.admin, kept)
    assert _marks(unlinked) == ("", "") and _sees(org.admin, unlinked)

    acts.unlink(org.admin, activity, later)  # unlinked once marked: the mark goes with it
    assert _marks(later) == ("", "") and _sees(org.admin, later)


def test_a_recording_carries_the_highest_of_its_own_its_case_and_its_activities_marks(org):
    case = _case(org)
    recording = _recording(org, case=case)
    activity = make_activity(org.squad1, org.officer)
    acts.link(org.admin, activity, recording)
    apply_mark(case, COMMERCIAL)

    apply_mark(recording, PRIVACY)
    assert _marks(recording) == (PRIVACY, COMMERCIAL)
    apply_mark(activity, STATE)
    assert _marks(recording) == (PRIVACY, STATE)
    apply_mark(activity, "")
    apply_mark(case, "")
    assert _marks(recording) == (PRIVACY, PRIVACY)

    apply_mark(recording, "")
    assert _marks(recording) == ("", "")
    assert _sees(org.admin, recording)
    loose = _recording(org)  # in no case, linked to nothing, never marked
    assert refresh_recordings(Recording.objects.filter(pk=loose.pk)) == 0
    assert _marks(loose) == ("", "")


def test_a_refresh_answers_how_many_effective_marks_it_changed(org):
    case = _case(org)
    plain = [make_activity(org.squad1, org.officer, case=case) for _ in range(2)]
    higher = make_activity(org.squad1, org.officer, case=case)
    apply_mark(higher, STATE)
    recordings = [_recording(org, case=case) for _ in range(2)]
    apply_mark(higher_rec := _recording(org, case=case), STATE)
    # the case's own mark as apply_mark writes it first, before recomputing what follows
    Case.objects.filter(pk=case.pk).update(secrecy=PRIVACY)

    assert refresh_activities(Activity.objects.filter(case=case)) == 2
    assert refresh_recordings(Recording.objects.filter(case=case)) == 2
    assert [_marks(a) for a in plain] == [("", PRIVACY)] * 2
    assert [_marks(r) for r in recordings] == [("", PRIVACY)] * 2
    assert _marks(higher) == _marks(higher_rec) == (STATE, STATE)

    assert refresh_activities(Activity.objects.filter(case=case)) == 0
    assert refresh_recordings(Recording.objects.filter(case=case)) == 0
    assert refresh_recordings(Recording.objects.none()) == 0


def test_marking_something_that_cannot_be_marked_is_refused_by_name(org):
    with pytest.raises(TypeError, match=r"^cannot mark Unit$"):
        apply_mark(org.squad1, PRIVACY)
    with pytest.raises(TypeError, match=r"^cannot mark User$"):
        apply_mark(org.officer2, PRIVACY)


def _queries(do) -> int:
    with CaptureQueriesContext(connection) as ctx:
        do()
    return len(ctx.captured_queries)


def test_rereading_marks_that_hold_costs_the_same_for_three_activities_or_recordings_as_one(org):
    def world(n):
        case = _case(org, secrecy=COMMERCIAL)
        activities = [make_activity(org.squad1, org.officer, case=case) for _ in range(n)]
        recordings = [_recording(org, case=case) for _ in range(n)]
        for row in activities + recordings:
            apply_mark(row, PRIVACY)  # effective: the case's commercial secret
        return Activity.objects.filter(case=case), Recording.objects.filter(case=case)

    (one_activity, one_recording), (three_activities, three_recordings) = world(1), world(3)
    assert set(three_activities.values_list("secrecy", flat=True)) == {COMMERCIAL}
    assert set(three_recordings.values_list("secrecy", flat=True)) == {COMMERCIAL}

    assert _queries(lambda: refresh_activities(three_activities)) == _queries(
        lambda: refresh_activities(one_activity)
    )
    assert _queries(lambda: refresh_recordings(three_recordings)) == _queries(
        lambda: refresh_recordings(one_recording)
    )


def test_marking_an_activity_reads_no_recording_that_is_not_linked_to_it(org):
    def cost_of_marking(activity):
        return _queries(lambda: apply_mark(activity, PRIVACY))

    alone = cost_of_marking(make_activity(org.squad1, org.officer))
    busy = make_activity(org.squad1, org.officer)
    for _ in range(3):
        acts.link(org.admin, busy, _recording(org))
    assert cost_of_marking(make_activity(org.squad1, org.officer)) == alone

    unlinked_from = make_activity(org.squad1, org.officer)
    recording = _recording(org)
    acts.link(org.admin, unlinked_from, recording)
    acts.unlink(org.admin, unlinked_from, recording)
    assert cost_of_marking(unlinked_from) == alone
    assert _marks(recording) == ("", "")
