"""One scope rule per model (issue 16 §4, X2, M9): `Model.objects.visible_to(user)`.

A world with one row of every scoped model in each squad (and, where the model carries a
confidentiality mark, a marked one in squad 1 that belongs to 王芳), and the rows each kind of
person sees, written out by hand from the rule: officers their own, unit roles their subtree,
a supervisor the units assigned to him, the system administrator everything (but marks he is
not cleared for), anonymous nobody; marked rows only to those cleared for the mark and to
their own officers. Out of scope is `NotFound` (404), like a row that does not exist.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from avrecords.access.models import AccessRequest, RegisterEntry
from avrecords.cases.models import Case
from avrecords.compliance.models import Activity, Finding
from avrecords.equipment.models import Clearance, ClockFlag, Device, PreUseCheck, Station
from avrecords.fixity.models import FixityCheck
from avrecords.lib.refusals import NotFound
from avrecords.org.managers import ScopedQuerySet
from avrecords.org.models import Unit, User
from avrecords.recordings.models import IngestBatch, QuarantinedFile, Recording
from avrecords.redaction.models import Redaction
from avrecords.retention.models import (
    DestructionRecord,
    DisposalList,
    LegalHold,
    RetentionChange,
)
from avrecords.supervision.models import Accountability, Campaign, Sample, ViolationCandidate
from tests.scope_world import SRC, VIEWERS, World


@pytest.fixture
def world(org) -> World:
    return World(org)


def everyone_in(*units: str) -> set[str]:
    """Usernames of the world's people whose unit is one of `units` (squad1, squad2, bureau)."""
    by_unit = {
        "squad1": {"zhangwei", "wangfang", "guanli"},
        "squad2": {"yangjun", "guanli2", "zhongdui2"},
        "bureau": {"juguanli", "lingdao", "jiandu", "shemi"},
    }
    return set().union(*(by_unit[u] for u in units))


ALL_PEOPLE = everyone_in("squad1", "squad2", "bureau") | {"xitong"}
NOBODY: set[str] = set()

# model → viewer → the rows he sees (names as in World). Squad 1 is 张伟's (officer) and
# 林海's (admin); squad 2 is 杨军's and 孙立's (head2); the leaders sit in the bureau above
# both; the supervisor is assigned squad 2; 王芳 (officer2, squad 1) owns every marked row.
EXPECTED: dict[type, dict[str, set[str]]] = {
    Unit: {
        "officer": {"squad1"},  # his own unit
        "officer2": {"squad1"},
        "admin": {"squad1"},
        "head2": {"squad2"},
        "leader": {"bureau", "squad1", "squad2"},
        "supervisor": {"squad2"},
        "sysadmin": {"bureau", "squad1", "squad2"},
        "cleared": {"bureau", "squad1", "squad2"},
    },
    User: {
        "officer": {"zhangwei"},
        "officer2": {"wangfang"},
        "admin": everyone_in("squad1"),
        "head2": everyone_in("squad2"),
        "leader": everyone_in("squad1", "squad2", "bureau"),
        "supervisor": everyone_in("squad2"),
        "sysadmin": ALL_PEOPLE,
        "cleared": everyone_in("squad1", "squad2", "bureau"),
    },
    Device: {
        "officer": {"d1"},  # the camera he holds
        "officer2": NOBODY,
        "admin": {"d1"},
        "head2": {"d2"},
        "leader": {"d1", "d2"},
        "supervisor": {"d2"},
        "sysadmin": {"d1", "d2"},
        "cleared": {"d1", "d2"},
    },
    Clearance: {
        "officer": {"cl1"},  # his own
        "officer2": NOBODY,
        "admin": {"cl1"},
        "head2": {"cl2"},
        "leader": {"cl1", "cl2"},
        "supervisor": {"cl2"},
        "sysadmin": {"cl1", "cl2"},
        "cleared": {"cl1", "cl2"},
    },
    Case: {
        "officer": {"c1"},  # holds his recording
        "officer2": {"c_secret"},  # marked, but holds her own recording
        "admin": {"c1"},
        "head2": {"c2"},
        "leader": {"c1", "c2"},
        "supervisor": {"c2"},
        "sysadmin": {"c1", "c2"},  # everything, but not a mark he is not cleared for
        "cleared": {"c1", "c2", "c_secret"},
    },
    Recording: {
        "officer": {"r1"},
        "officer2": {"r_secret"},
        "admin": {"r1"},
        "head2": {"r2"},
        "leader": {"r1", "r2"},
        "supervisor": {"r2"},
        "sysadmin": {"r1", "r2"},
        "cleared": {"r1", "r2", "r_secret"},
    },
    IngestBatch: {  # records administrators only
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": {"b1"},
        "head2": NOBODY,
        "leader": NOBODY,
        "supervisor": NOBODY,
        "sysadmin": {"b1", "b2"},
        "cleared": NOBODY,
    },
    FixityCheck: {  # administrators, unit heads and leaders; of recordings they may see
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": {"x1"},
        "head2": {"x2"},
        "leader": {"x1", "x2"},
        "supervisor": NOBODY,
        "sysadmin": {"x1", "x2"},
        "cleared": {"x1", "x2", "x_secret"},
    },
    Activity: {
        "officer": {"a1"},
        "officer2": {"a_secret"},
        "admin": {"a1"},
        "head2": {"a2"},
        "leader": {"a1", "a2"},
        "supervisor": {"a2"},
        "sysadmin": {"a1", "a2"},
        "cleared": {"a1", "a2", "a_secret"},
    },
    Finding: {  # listed whatever its recording's mark (the recording is withheld instead)
        "officer": {"n1"},
        "officer2": NOBODY,
        "admin": {"n1"},
        "head2": {"n2"},
        "leader": {"n1", "n2"},
        "supervisor": {"n2"},
        "sysadmin": {"n1", "n2"},
        "cleared": {"n1", "n2"},
    },
    AccessRequest: {
        "officer": {"q1"},
        "officer2": {"q_secret"},  # her own, naming a marked recording
        "admin": {"q1"},
        "head2": {"q2"},
        "leader": {"q1", "q2"},
        "supervisor": {"q2"},
        "sysadmin": {"q1", "q2"},
        "cleared": {"q1", "q2", "q_secret"},
    },
    RegisterEntry: {
        "officer": {"e1"},  # the act under his request
        "officer2": NOBODY,
        "admin": {"e1"},
        "head2": {"e2"},
        "leader": {"e1", "e2"},
        "supervisor": {"e2"},
        "sysadmin": {"e1", "e2"},
        "cleared": {"e1", "e2"},
    },
    LegalHold: {  # retention readers: unit roles, supervisors, archivists
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": {"h1"},
        "head2": {"h2"},
        "leader": {"h1", "h2"},
        "supervisor": {"h2"},
        "sysadmin": {"h1", "h2"},
        "cleared": {"h1", "h2"},
    },
    RetentionChange: {
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": {"rc1"},
        "head2": {"rc2"},
        "leader": {"rc1", "rc2"},
        "supervisor": {"rc2"},
        "sysadmin": {"rc1", "rc2"},
        "cleared": {"rc1", "rc2", "rc_secret"},
    },
    DisposalList: {
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": {"l1"},
        "head2": {"l2"},
        "leader": {"l1", "l2"},
        "supervisor": {"l2"},
        "sysadmin": {"l1", "l2"},
        "cleared": {"l1", "l2"},
    },
    DestructionRecord: {  # completed ones only: p_running is still purging
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": {"p1"},
        "head2": {"p2"},
        "leader": {"p1", "p2"},
        "supervisor": {"p2"},
        "sysadmin": {"p1", "p2"},
        "cleared": {"p1", "p2", "p_secret"},
    },
    Campaign: {  # supervisors, leaders, unit heads: a unit in scope, or one above it
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": NOBODY,
        "head2": {"g2", "g_bureau"},
        "leader": {"g1", "g2", "g_bureau"},
        "supervisor": {"g2", "g_bureau"},
        "sysadmin": {"g1", "g2", "g_bureau"},
        "cleared": {"g1", "g2", "g_bureau"},
    },
    Sample: {  # of campaigns seen, whose activity is seen too
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": NOBODY,
        "head2": {"s2"},
        "leader": {"s1", "s2"},
        "supervisor": {"s2"},
        "sysadmin": {"s1", "s2"},
        "cleared": {"s1", "s2", "s_secret"},
    },
    ViolationCandidate: {  # the register: supervisors, unit heads, leaders
        "officer": NOBODY,
        "officer2": NOBODY,
        "admin": NOBODY,
        "head2": {"v2"},
        "leader": {"v1", "v2"},
        "supervisor": {"v2"},
        "sysadmin": {"v1", "v2"},
        "cleared": {"v1", "v2"},
    },
}
# 采集站 (issue 19 §1): as devices, for those who see the units' equipment; an officer sees
# none (no camera of his is a station), the person responsible for one sees it too
EXPECTED[Station] = {
    who: {name.replace("d", "st") for name in rows} for who, rows in EXPECTED[Device].items()
}
EXPECTED[Station]["officer"] = NOBODY
EXPECTED[PreUseCheck] = {
    who: {name.replace("d", "k") for name in rows} for who, rows in EXPECTED[Device].items()
}
EXPECTED[ClockFlag] = {
    who: {name.replace("d", "f") for name in rows} for who, rows in EXPECTED[Device].items()
}
EXPECTED[QuarantinedFile] = {
    who: {name.replace("b", "q") for name in rows} for who, rows in EXPECTED[IngestBatch].items()
}
# A redacted copy (issue 21) is seen by those who see its recording (X2, M9)
EXPECTED[Redaction] = {
    who: {f"rd{name[1:]}" for name in rows} for who, rows in EXPECTED[Recording].items()
}
EXPECTED[Accountability] = {
    who: {name.replace("v", "y") for name in rows}
    for who, rows in EXPECTED[ViolationCandidate].items()
}


@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_each_person_sees_what_the_rule_says(world, model):
    seen = {who: world.seen(model, world.viewer(who)) for who in VIEWERS}
    assert seen == EXPECTED[model]
    assert world.seen(model, AnonymousUser()) == set()


@pytest.mark.parametrize("model", list(EXPECTED), ids=lambda m: m.__name__)
def test_out_of_scope_is_not_found_like_a_missing_row(world, model):
    """`get_visible`: the row when in scope; NotFound when out of scope or missing."""
    head2 = world.org.head2
    rows = world.rows[model]
    for name, row in rows.items():
        if name in EXPECTED[model]["head2"]:
            assert model.objects.get_visible(head2, row.pk) == row
        else:
            with pytest.raises(NotFound):
                model.objects.get_visible(head2, row.pk)
    with pytest.raises(NotFound):
        model.objects.get_visible(head2, max(row.pk for row in rows.values()) + 1000)
    with pytest.raises(NotFound):
        model.objects.get_visible(head2, "not-a-number")


def test_every_model_the_old_functions_scoped_is_covered():
    scoped = {m for m in apps.get_models() if hasattr(m, "visible_q") or hasattr(m, "visible_rows")}
    assert scoped == set(EXPECTED)
    for model in scoped:
        assert isinstance(model.objects.all(), ScopedQuerySet), model


def test_a_reference_to_a_marked_recording_is_withheld_not_the_row(world):
    """A finding or a clock flag about a marked recording stays listed (the work it asks
    for) but says which recording only to those who may see it (M9)."""
    org = world.org
    for model, secret, plain in ((Finding, "n1", "n2"), (ClockFlag, "f1", "f2")):
        for user, shown in (
            (org.leader, {secret: False, plain: True}),
            (world.cleared, {secret: True, plain: True}),
            (org.officer2, {}),
        ):
            rows = model.objects.visible_to(user)
            got = {
                name: rows.get(pk=row.pk).recording_shown
                for name, row in world.rows[model].items()
                if rows.filter(pk=row.pk).exists()
            }
            assert got == shown, (model, user)


def test_the_old_lists_joins_are_kept(world, django_assert_num_queries):
    """A list reads its related rows in the same query (select_related kept on the model)."""
    with django_assert_num_queries(1):
        rows = list(AccessRequest.objects.visible_to(world.org.sysadmin))
        assert [r.requester.username for r in rows]
    with django_assert_num_queries(1):
        rows = list(PreUseCheck.objects.visible_to(world.org.sysadmin))
        assert [c.device.unit.name for c in rows]


def test_no_hand_written_scope_function_remains():
    """The rule is one: `visible_q`/`visible_rows` on the model, read through the manager's
    `visible_to`; no module keeps a `visible_<things>(user)` of its own."""
    stray = re.compile(r"^\s*def visible_(?!q\(|rows\(|to\()\w*\(", re.M)
    found = [
        f"{path.relative_to(SRC)}: {match.group(0).strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for match in stray.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
