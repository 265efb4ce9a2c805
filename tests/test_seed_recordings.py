"""M4 benchmarks: `avrecords seed_recordings` makes a realistic bureau and N recording rows,
and refuses a database holding real data."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from avrecords.demo import seed
from avrecords.equipment.models import Custody, Device
from avrecords.org.models import Role, Unit, User
from avrecords.recordings.models import Recording
from avrecords.recordings.search import RecordingFilter, search_recordings

CASE_NUMBER = re.compile(r"^桐[东西北高]?市监[罚检立]〔20\d\d〕\d+号$")
FILE_NAME = re.compile(r"^T[CX]\d{5}_36\d{4}_\d{14}_\d{4}\.(MP4|JPG|WAV|AMR)$")
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}$")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_recordings", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture(scope="class")
def seeding(django_db_setup, django_db_blocker):
    """One seeding of 600 rows for the class, inside a transaction rolled back when its last
    test ends; each test's own (pytest-django's `db`) is a savepoint inside it, as in Django's
    TestCase.setUpTestData: every test starts from the same rows, seeded once instead of six
    times (issue 22)."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            run("--count", "600", "--seed", "7")
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(seeding, db) -> list[Recording]:
    return list(Recording.objects.select_related("officer", "unit"))


class TestASeededBureau:
    """What one seeding makes, and a second one on top of it."""

    def test_it_makes_the_number_of_rows_asked_for(self, seeded):
        assert len(seeded) == 600
        assert {r.batch.source_path.split(":")[0] for r in seeded} == {"seed"}

    def test_it_makes_a_city_bureau_with_officers_and_cameras(self, seeded):
        units = Unit.objects.all()
        assert units.count() == 21 and all(u.code.startswith(seed.UNIT_PREFIX) for u in units)
        root = Unit.objects.get(parent=None)
        assert root.name == "桐城市市场监督管理局"
        assert all(u.path.startswith(root.path) for u in units)
        officers = User.objects.filter(role=Role.OFFICER)
        assert officers.count() == seed.OFFICERS
        assert all(CHINESE_NAME.match(o.full_name) for o in officers)
        assert len({o.badge_no for o in officers}) == seed.OFFICERS
        assert Device.objects.count() == seed.OFFICERS + seed.SPARE_CAMERAS
        assert Custody.objects.filter(ended_at=None).count() == seed.OFFICERS
        assert User.objects.filter(role=Role.ADMIN).count() == 21

    def test_it_fills_party_place_and_case_number_like_real_work(self, seeded):
        cases = [r.case_number for r in seeded if r.case_number]
        assert 0.1 < len(cases) / len(seeded) < 0.6
        assert all(CASE_NUMBER.match(c) for c in cases), cases[:5]
        places = [r.place for r in seeded if r.place]
        assert all("区" in p and "街道" in p and "号" in p for p in places), places[:5]
        parties = [r.party for r in seeded if r.party]
        assert 0.7 < len(parties) / len(seeded) < 0.95
        assert sum("有限公司" in p for p in parties) > len(parties) / 3
        assert all(FILE_NAME.match(r.original_name) for r in seeded)

    def test_it_skews_kinds_days_and_hours_as_real_recordings_are(self, seeded):
        kinds = Counter(r.media_kind for r in seeded)
        assert 0.7 < kinds["video"] / len(seeded) < 0.9
        now = timezone.now()
        assert all(now - dt.timedelta(days=3 * 366) < r.started_at < now for r in seeded)
        local = [timezone.localtime(r.started_at) for r in seeded]
        weekend = sum(t.weekday() >= 5 for t in local) / len(local)
        assert weekend < 0.2  # two days of seven would be 0.29
        office = sum(8 <= t.hour < 18 for t in local) / len(local)
        assert office > 0.7
        busiest = Counter(r.officer_id for r in seeded).most_common(1)[0][1]
        assert busiest >= 3  # activities of several segments, some officers busier

    def test_it_makes_rows_the_search_finds(self, seeded):
        row = next(r for r in seeded if len(r.party) >= 6 and r.officer)
        leader = User.objects.get(username=f"{seed.USER_PREFIX}leader")
        found = search_recordings(leader, RecordingFilter(party=row.party[2:5]))
        assert row in found
        own = search_recordings(row.officer, RecordingFilter())
        assert set(own) == {r for r in seeded if r.officer_id == row.officer_id}

    def test_it_adds_rows_to_an_earlier_seeding_and_reuses_the_bureau(self, seeded):
        out = run("--count", "100", "--seed", "8")
        assert Recording.objects.count() == 700 and Unit.objects.count() == 21
        assert "模拟记录共 700 条" in out


def test_it_refuses_a_database_with_real_data(org):
    with pytest.raises(CommandError, match="非模拟数据.*--force"):
        run("--count", "10")
    assert Recording.objects.count() == 0


def test_it_seeds_real_looking_data_beside_real_data_only_when_forced(org):
    run("--count", "10", "--force")
    assert Recording.objects.count() == 10


def test_it_refuses_a_count_below_one(db):
    with pytest.raises(CommandError):
        run("--count", "0")
