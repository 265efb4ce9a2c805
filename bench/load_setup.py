"""The set-up child of bench/load_bench.py (issue 22 §4): run with the bench home's
AVRECORDS_HOME / DATABASE_URL, it prints one JSON object on stdout naming the people who sign
in and what each of them will open. It writes only what the load needs and reuses it on the
next run: an authenticator for the seeded leader (his role signs in with a second factor,
AVRECORDS_TWO_FACTOR_ROLES), a collection station, and one real H.264 file per signed-in officer ingested through
the product's own import (seeded rows have no media: range reads need real ones).

    python bench/load_setup.py MEDIA_DIR USERS
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import django

STATION = "负载测试采集站"
MEDIA_BYTES = 4 * 1024 * 1024
# who signs in, of the seeded bureau's people (avrecords.demo.seed): the few of each role it
# has, and officers for the rest
FIXED_ROLES = {"seed_leader": 1, "seed_supervisor": 1, "seed_archivist": 1}
ADMINS, HEADS = 8, 6
OPENED_PER_USER = 40
SEARCH_TERMS = 40


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def people(count: int):
    from avrecords.org.models import Role, User

    chosen = list(User.objects.filter(username__in=FIXED_ROLES, is_active=True).order_by("pk"))
    chosen += list(User.objects.filter(role=Role.ADMIN, username__startswith="seed_")[:ADMINS])
    chosen += list(User.objects.filter(role=Role.UNIT_HEAD, username__startswith="seed_")[:HEADS])
    officers = list(
        User.objects.filter(role=Role.OFFICER, username__startswith="seed_o", is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    wanted = max(count - len(chosen), 0)
    step = max(len(officers) // max(wanted, 1), 1)  # spread over the units
    chosen += list(User.objects.filter(pk__in=officers[::step][:wanted]).order_by("pk"))
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} seeded people to sign in as; seed first")
    return chosen[:count]


def authenticator_key(user) -> str | None:
    """The hex key of the person's confirmed authenticator, made once when his role needs one."""
    from django.conf import settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if user.role not in settings.AVRECORDS_TWO_FACTOR_ROLES:
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="负载测试", confirmed=True)
    return device.key


def media_recordings(media_dir: Path, officers: list) -> list:
    """One real file per signed-in officer, ingested once under his camera (GA/T 947 name):
    an officer plays his own recordings without asking (access.grants.for_playback)."""
    import shutil

    from avrecords.equipment.models import Custody, Station
    from avrecords.recordings.ingest import ingest_directory
    from avrecords.recordings.models import IngestSource, Recording

    names = {}
    for officer in officers:
        custody = Custody.objects.filter(holder=officer, ended_at__isnull=True).first()
        if custody is not None:
            names[f"{custody.device.serial}_{officer.officer_no}_20261120090000_0001.MP4"] = officer
    found = list(Recording.objects.filter(original_name__in=names, status="ready"))
    missing = set(names) - {r.original_name for r in found}
    if missing:
        sys.path.insert(0, str(Path(__file__).parent))
        from benchmedia import encode_clip, remux_to_size

        pending = media_dir / "pending"
        shutil.rmtree(pending, ignore_errors=True)
        pending.mkdir(parents=True)
        clip = encode_clip(media_dir / "load-clip.mp4")
        for name in sorted(missing):
            remux_to_size(clip, pending / name, MEDIA_BYTES, f"load {name}")
        unit = officers[0].unit
        station, _ = Station.objects.get_or_create(name=STATION, defaults={"unit": unit})
        summary = ingest_directory(pending, source=IngestSource.STATION, station=station)
        log(f"ingested {sum(f.outcome == 'imported' for f in summary.files)} media files")
        shutil.rmtree(pending)
        (media_dir / "load-clip.mp4").unlink()
        found = list(Recording.objects.filter(original_name__in=names, status="ready"))
    return found


def playable(user, recordings) -> list[dict]:
    from avrecords.panels import PLAYBACK
    from avrecords.recordings import services
    from avrecords.recordings.models import Recording

    out = []
    for r in recordings:
        if not Recording.objects.visible_to(user).filter(pk=r.pk).exists():
            continue
        try:
            PLAYBACK.for_playback(user, r)
        except PermissionError:
            continue
        source = services.playback_source(r)
        if source is not None:
            out.append({"id": r.pk, "size": source.size_bytes})
    return out


def search_terms(rng: random.Random) -> list[str]:
    """2- and 3-character pieces of parties and places of seeded rows, and case numbers."""
    from avrecords.recordings.models import Recording

    top = Recording.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rows = Recording.objects.filter(pk__in=[rng.randint(1, top) for _ in range(400)])
    terms = []
    for party, place, number in rows.values_list("party", "place", "case_number"):
        for text, size in ((party, 3), (place, 2), (number, len(number))):
            if text and len(text) >= size:  # no empty term: that is the plain list
                start = rng.randrange(0, len(text) - size + 1)
                terms.append(text[start : start + size])
    rng.shuffle(terms)
    return terms[:SEARCH_TERMS]


def main() -> int:
    django.setup()
    from avrecords.recordings.models import Recording

    media_dir, count = Path(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(22)
    chosen = people(count)
    from avrecords.demo.seed import PASSWORD

    media = media_recordings(media_dir, [u for u in chosen if u.username.startswith("seed_o")])
    users = []
    for user in chosen:
        opened = list(
            Recording.objects.visible_to(user)
            .order_by("-started_at")
            .values_list("pk", flat=True)[:OPENED_PER_USER]
        )
        users.append(
            {
                "username": user.username,
                "password": PASSWORD,
                "role": user.role,
                "totp_key": authenticator_key(user),
                "recordings": opened,
                "media": playable(user, media),
            }
        )
    print(json.dumps({"users": users, "terms": search_terms(rng)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
