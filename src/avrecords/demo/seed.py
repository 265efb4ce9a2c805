"""Seeded recordings for search benchmarks and demonstrations (M4; issue 3, search at scale).

`avrecords seed_recordings --count N [--seed S] [--force]` creates, once, a made-up city
bureau (桐城市市场监督管理局: 21 units, about 2,000 officers with 执法证号 and 执法记录编号,
one body camera each, records administrators and leaders), then adds N recording rows over
the last three years (see `seed_rows.py` for the distributions).

The rows have **no media in the store**: they are for searching and listing, never for
playing. That is why seeding refuses a database holding anything it did not make itself
(units, import batches, recordings), unless `--force` is given. Everything it makes is
marked: unit codes start with `SEED-`, user names with `seed_`, and its import batches'
`source_path` with `seed:`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from avrecords.demo import seed_load, seed_words
from avrecords.demo.seed_rows import OfficerRow, RowGenerator, Vocabulary, make_plan
from avrecords.equipment.models import Custody, Device, DeviceKind
from avrecords.org.models import Role, Unit, User
from avrecords.recordings.models import IngestBatch, IngestSource

log = logging.getLogger("avrecords.seed")

UNIT_PREFIX = "SEED-TC"
USER_PREFIX = "seed_"
BATCH_PREFIX = "seed:"
PASSWORD = "avrecords-seed"
OFFICERS = 2000
SPARE_CAMERAS = 200
# Leaf units and their relative head count: 大队 and 执法大队 are bigger than 市场监管所.
LEAF_WEIGHTS = {"ZD": 2.2, "D": 1.6, "A": 1.0, "B": 0.8}
REBUILD_MIN_ROWS = 100_000


class SeedRefused(Exception):
    """The database holds data the seeder did not make; seeding would mix fake rows in."""


def foreign_data() -> list[str]:
    """What the database holds that the seeder did not make (empty: safe to seed)."""
    found = []
    if Unit.objects.exclude(code__startswith=UNIT_PREFIX).exists():
        found.append("单位")
    if IngestBatch.objects.exclude(source_path__startswith=BATCH_PREFIX).exists():
        found.append("导入批次")
    # Every recording has an import batch, so foreign batches are the test for recordings,
    # too (and an index-free one: counting ten million rows takes seconds).
    return found


def seeded_count() -> int:
    batches = IngestBatch.objects.filter(source_path__startswith=BATCH_PREFIX)
    return batches.aggregate(n=Sum("imported"))["n"] or 0


@dataclass
class SeedReport:
    """What one run did and how long each part took."""

    rows: int
    total_seeded: int
    officers: int
    units: int
    skeleton_seconds: float
    rows_seconds: float
    index_seconds: float
    vacuum_seconds: float
    rebuilt_indexes: bool

    @property
    def seconds(self) -> float:
        return self.skeleton_seconds + self.rows_seconds + self.index_seconds + self.vacuum_seconds


# --- the organisation ---------------------------------------------------------------------


def _leaf_weight(code: str) -> float | None:
    suffix = code[len(UNIT_PREFIX) + 1 :]
    if suffix.startswith("ZD") and len(suffix) == 3:
        return LEAF_WEIGHTS["ZD"]
    if len(suffix) == 3 and suffix[-1] in "DAB":
        return LEAF_WEIGHTS[suffix[-1]]
    return None


@transaction.atomic
def _create_organisation(rng: np.random.Generator, vocab: Vocabulary) -> None:
    units: dict[str, Unit] = {}
    for suffix, name, parent, _ in seed_words.UNITS:
        units[suffix] = Unit.objects.create(
            name=name,
            code=UNIT_PREFIX + suffix,
            parent=units[parent] if parent is not None else None,
        )
    names = vocab.person_names(OFFICERS + 2 * len(units))
    password = make_password(PASSWORD)  # one hash for all: thousands of PBKDF2 runs take minutes
    staff = [
        User(username=f"{USER_PREFIX}sysadmin", full_name="系统管理员", role=Role.SYSADMIN),
        User(username=f"{USER_PREFIX}leader", full_name="郑国华", role=Role.LEADER),
        User(username=f"{USER_PREFIX}supervisor", full_name="监督员", role=Role.SUPERVISOR),
        User(username=f"{USER_PREFIX}archivist", full_name="档案员", role=Role.ARCHIVIST),
    ]
    for user in staff[1:]:
        user.unit = units[""]
    for i, unit in enumerate(units.values()):
        staff.append(
            User(
                username=f"{USER_PREFIX}admin{i:02d}",
                full_name=names.pop(),
                role=Role.ADMIN,
                unit=unit,
            )
        )
        staff.append(
            User(
                username=f"{USER_PREFIX}head{i:02d}",
                full_name=names.pop(),
                role=Role.UNIT_HEAD,
                unit=unit,
            )
        )
    leaves = [(u, _leaf_weight(u.code)) for u in units.values()]
    leaves = [(u, weight) for u, weight in leaves if weight]
    weights = np.array([weight for _, weight in leaves])
    heads = rng.multinomial(OFFICERS, weights / weights.sum())
    officers = []
    for (unit, _), count in zip(leaves, heads.tolist(), strict=True):
        for _ in range(count):
            n = len(officers) + 1
            officers.append(
                User(
                    username=f"{USER_PREFIX}o{n:04d}",
                    full_name=names.pop(),
                    role=Role.OFFICER,
                    unit=unit,
                    badge_no=f"3502{2019 + n % 7}{n:05d}",
                    officer_no=f"{360000 + n}",
                )
            )
    for user in staff + officers:
        user.password = password
    User.objects.bulk_create(staff + officers)
    officers = list(User.objects.filter(username__startswith=f"{USER_PREFIX}o").order_by("pk"))
    cameras = [
        Device(
            serial=f"TC{n:05d}",
            kind=DeviceKind.BODY_CAMERA,
            unit=officer.unit,
            asset_no=f"ZC-{n:05d}",
            brand_model="执法记录仪 DSJ-X8",
        )
        for n, officer in enumerate(officers, start=1)
    ]
    spares = [
        Device(
            serial=f"TC{n:05d}",
            kind=DeviceKind.BODY_CAMERA,
            unit=leaves[n % len(leaves)][0],
            asset_no=f"ZC-{n:05d}",
            brand_model="执法记录仪 DSJ-X8",
        )
        for n in range(len(officers) + 1, len(officers) + 1 + SPARE_CAMERAS)
    ]
    Device.objects.bulk_create(cameras + spares)
    issued = timezone.now() - dt.timedelta(days=3 * 365 + 30)
    Custody.objects.bulk_create(
        Custody(device=device, holder=officer, started_at=issued)
        for device, officer in zip(
            Device.objects.filter(serial__in=[c.serial for c in cameras]).order_by("serial"),
            officers,
            strict=True,
        )
    )


def _officer_rows() -> list[OfficerRow]:
    prefixes = {UNIT_PREFIX + s: prefix for s, _, _, prefix in seed_words.UNITS}
    holders = dict(
        Custody.objects.filter(ended_at=None, holder__username__startswith=USER_PREFIX).values_list(
            "holder_id", "device_id"
        )
    )
    serials = dict(Device.objects.filter(pk__in=holders.values()).values_list("pk", "serial"))
    rows = []
    for officer in (
        User.objects.filter(username__startswith=f"{USER_PREFIX}o", role=Role.OFFICER)
        .select_related("unit")
        .order_by("pk")
    ):
        device = holders[officer.pk]
        suffix = officer.unit.code[len(UNIT_PREFIX) :]
        district = int(suffix[1:3]) - 1 if suffix[1:3].isdigit() else -1
        rows.append(
            OfficerRow(
                officer.pk,
                officer.unit_id,
                officer.officer_no,
                device,
                serials[device],
                prefixes[officer.unit.code],
                district,
            )
        )
    return rows


# --- the run ------------------------------------------------------------------------------


def seed(
    count: int,
    *,
    seed: int = 1,
    force: bool = False,
    progress: Callable[[int], None] = lambda rows: None,
) -> SeedReport:
    """Add `count` seeded recordings (creating the organisation on first use)."""
    if count < 1:
        raise ValueError("count must be >= 1")
    found = foreign_data()
    if found and not force:
        raise SeedRefused("、".join(found))
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    vocab = Vocabulary(rng)
    if not Unit.objects.filter(code=UNIT_PREFIX).exists():
        _create_organisation(rng, vocab)
    officers = _officer_rows()
    existing = seeded_count()
    now = timezone.now()
    today = now.astimezone(timezone.get_current_timezone()).date()
    plan = make_plan(rng, count, officers, today)
    rebuild = count >= REBUILD_MIN_ROWS and count >= existing
    skeleton_seconds = time.monotonic() - started
    with transaction.atomic():  # the batch row and its recordings, or nothing
        batch = IngestBatch.objects.create(
            source=IngestSource.DEMO,
            source_path=f"{BATCH_PREFIX}{seed}:{existing}+{count}",
            unit=Unit.objects.get(code=UNIT_PREFIX),
            state=IngestBatch.State.DONE,
            finished_at=now,
            files_total=count,
            imported=count,
            process="seed_recordings",
        )
        generator = RowGenerator(
            rng,
            plan,
            vocab,
            seed=seed,
            first_ordinal=existing,
            batch_pk=batch.pk,
            time_zone=settings.TIME_ZONE,
            now=now,
        )
        times = seed_load.load(generator.chunks(), rebuild_indexes=rebuild, progress=progress)
    started = time.monotonic()
    seed_load.vacuum_analyze()
    report = SeedReport(
        rows=count,
        total_seeded=existing + count,
        officers=len(officers),
        units=Unit.objects.filter(code__startswith=UNIT_PREFIX).count(),
        skeleton_seconds=skeleton_seconds,
        rows_seconds=times.rows_seconds,
        index_seconds=times.index_seconds,
        vacuum_seconds=time.monotonic() - started,
        rebuilt_indexes=rebuild,
    )
    log.info(
        "seeded %d recordings (%d in all) in %.1f s: rows %.1f s, indexes %.1f s, vacuum %.1f s",
        report.rows,
        report.total_seeded,
        report.seconds,
        report.rows_seconds,
        report.index_seconds,
        report.vacuum_seconds,
    )
    return report
