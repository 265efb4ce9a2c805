"""Finding recordings among millions (M4): structured filters and free text, always scoped (X2).

Text fields: 当事人 `party`, 地点 `place`, 案件编号 `case_number`. Terms are NFKC-normalised and
lower-cased (full-width letters and digits match their ASCII forms). A term of two or more
characters matches anywhere inside a field; a single character matches fields *starting*
with it (so also a field equal to it). The free text `q` also finds:

- people, through the `User` table: 姓名 containing the term (starting with it, for one
  character), or 执法证号 / 执法记录编号 equal to it; then their recordings by officer id,
  so renaming someone needs no reindexing;
- file names *starting* with the term (three or more characters);
- a registered camera whose serial is the term; a SHA-256 starting with it (hex, 6+).

On PostgreSQL every text condition is one LIKE served by an index: the pg_trgm GIN index on
the generated column `search_text` (textsearch.py: how it also serves one and two characters
and tells the three fields apart) and a prefix index on the upper-cased file name, both from
migration `0004_search_indexes`. One condition, not an index condition plus a check of the
field, keeps the planner's row estimates right, and with them its choice between reading
the index and walking `started_at` backwards. On SQLite the same rules run as plain LIKE
conditions on the fields, over every row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from avrecords.equipment.models import Device
from avrecords.org.models import Unit, User
from avrecords.org.scope import has_unit_scope, recording_q, sees_everything, subtree_unit_ids
from avrecords.recordings.models import Recording
from avrecords.recordings.textsearch import (
    SQLITE_TEXT_TABLE,
    indexable,
    normalise,
    search_text_q,
    sqlite_match,
    sqlite_name_match,
    sqlite_text_q,
)

TEXT_FIELDS = ("party", "place", "case_number")
FILE_NAME_MIN_CHARS = 3
SHA_PREFIX_MIN_CHARS = 6
DENSE_MATCHES = 20_000  # SQLite: a term in more rows than this is searched with LIKE
_HEX = re.compile(r"[0-9a-f]+")


@dataclass
class RecordingFilter:
    """The list filters a user can set (all optional; text is matched as described above)."""

    officer: int | None = None
    officer_q: str | None = None  # 姓名, 执法证号 or 执法记录编号
    device: str | None = None  # serial, registered or as read from the file name
    unit: int | None = None  # the unit and every unit below it
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    media_kind: str | None = None
    status: str | None = None
    needs_assignment: bool | None = None
    party: str | None = None
    place: str | None = None
    case_number: str | None = None
    q: str | None = None


def _like_q(term: str, field: str | None = None) -> Q:
    lookup = "istartswith" if len(term) == 1 else "icontains"
    q = Q()
    for name in (field,) if field else TEXT_FIELDS:
        q |= Q(**{f"{name}__{lookup}": term})
    return q


def _sqlite_q(query: str, like: Q) -> Q:
    """SQLite: the FTS5 condition, or the equivalent LIKE one for a term so common that the
    list finds its newest rows sooner by walking back in time than by sorting every match.
    A count of matches up to DENSE_MATCHES (FTS5 stops there) tells which."""
    table = SQLITE_TEXT_TABLE
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH %s LIMIT %s)",
            [query, DENSE_MATCHES],
        )
        dense = cursor.fetchone()[0] >= DENSE_MATCHES
    return like if dense else sqlite_text_q(query)


def text_q(term: str, field: str | None = None) -> Q:
    """Rows where `field` (or any of party, place, case number) contains the normalised term,
    or starts with it if it is one character: one trigram-indexed condition on PostgreSQL,
    the FTS5 index (or, for a very common term, the fields themselves) on SQLite."""
    if not term:
        return Q()
    if connection.vendor == "postgresql" and indexable(term):
        return search_text_q(term, field)
    if connection.vendor == "sqlite":
        return _sqlite_q(sqlite_match(term, field), _like_q(term, field))
    return _like_q(term, field)


def matching_officers(term: str) -> list[int]:
    """People whose 姓名 contains the term (starts with it, for one character), or whose
    执法证号 or 执法记录编号 is the term. People are few: a scan of the User table is cheap,
    and matching recordings by officer id needs no copy of names in the recordings."""
    if not term:
        return []
    q = Q(badge_no__iexact=term) | Q(officer_no__iexact=term)
    q |= Q(full_name__istartswith=term) if len(term) == 1 else Q(full_name__icontains=term)
    return list(User.objects.filter(q).values_list("pk", flat=True))


def _sha_prefix_q(term: str) -> Q:
    if len(term) < SHA_PREFIX_MIN_CHARS or not _HEX.fullmatch(term) or len(term) > 64:
        return Q(pk__in=[])
    # A range, not LIKE: the unique index serves it under any collation ('g' sorts after hex).
    return Q(sha256__gte=term, sha256__lt=term + "g")


def free_text_q(term: str) -> Q:
    """q: party/place/case number, officers, file-name prefix, camera serial, SHA-256 prefix."""
    by_name = len(term) >= FILE_NAME_MIN_CHARS
    if connection.vendor == "sqlite":  # the fields and the file name: one FTS5 query
        query, like = sqlite_match(term), _like_q(term)
        if by_name:
            query = f"({query}) OR ({sqlite_name_match(term)})"
            like |= Q(original_name__istartswith=term)
        q = _sqlite_q(query, like)
    else:
        q = text_q(term)
        if by_name:
            q |= Q(original_name__istartswith=term)
    officers = matching_officers(term)
    if officers:
        q |= Q(officer_id__in=officers)
    if by_name:
        devices = list(Device.objects.filter(serial__iexact=term).values_list("pk", flat=True))
        if devices:
            q |= Q(device_id__in=devices)
    return q | _sha_prefix_q(term)


def device_q(serial: str) -> Q:
    """A camera by serial: the registered one, or the serial read from unbound files' names."""
    devices = list(Device.objects.filter(serial__iexact=serial).values_list("pk", flat=True))
    # Unbound rows (no device) are few; a partial index on UPPER(device_serial) finds them.
    return Q(device_id__in=devices) | Q(device__isnull=True, device_serial__iexact=serial)


def officer_q(term: str) -> Q:
    """A person by 姓名, 执法证号 or 执法记录编号, or the number read from unbound files' names."""
    return Q(officer_id__in=matching_officers(term)) | Q(
        officer__isnull=True, officer_no__iexact=term
    )


def local_midnight(day: dt.date) -> dt.datetime:
    """The instant a local calendar day (AVRECORDS_TIME_ZONE) begins."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_current_timezone())


def scoped_recordings(user) -> QuerySet[Recording]:
    """The user's scope, with the unit subtree as a list of ids (an index-friendly IN)."""
    return Recording.objects.filter(_scope_q(user)).select_related("officer", "device", "unit")


def _scope_q(user) -> Q:
    """recording_q, but for an officer (own scope: his recordings, those handed over to him,
    his uploads waiting to be bound, whatever their mark) who has neither of the last two,
    as it mostly is, just `officer_id = his`. The OR of the three (and of the mark check
    they make redundant) keeps PostgreSQL and SQLite off the (officer, started_at, unit,
    kind, status) index: every one of his rows was read from the table, scattered, to count
    and sort them (~250 ms each cold at ten million rows); with the one condition the count
    and facets read that index alone and the page walks it backwards (M4, issue 22 §3).
    Two index probes (keeper, pending uploads) tell which. Likewise a unit role with no
    upload waiting: without that OR, SQLite walks the unit's or the time index for a page
    instead of sorting his whole scope (0.1-0.3 s per page at 200k rows, issue 22 §4)."""
    if user.is_authenticated and not sees_everything(user):
        rows = Recording.objects
        # Two probes, not one OR: SQLite would scan the table for the OR.
        pending = rows.filter(uploaded_by=user.pk, officer__isnull=True).exists()
        if has_unit_scope(user):
            return recording_q(user, resolve_units=True, uploads_waiting=pending)
        if not pending and not rows.filter(keeper=user.pk).exists():
            return Q(officer=user.pk)
    return recording_q(user, resolve_units=True)


def search_recordings(user, f: RecordingFilter) -> QuerySet[Recording]:
    """Recordings in the user's scope matching every filter that is set, newest first."""
    qs = scoped_recordings(user)
    if f.officer:
        qs = qs.filter(officer_id=f.officer)
    if f.officer_q and (term := normalise(f.officer_q)):
        qs = qs.filter(officer_q(term))
    if f.device and (serial := normalise(f.device)):
        qs = qs.filter(device_q(serial))
    if f.unit:
        unit = Unit.objects.filter(pk=f.unit).first()
        qs = qs.filter(unit_id__in=subtree_unit_ids(unit)) if unit else qs.none()
    # Local dates as an instant range: `started_at__date` would hide the column from its index.
    if f.date_from:
        qs = qs.filter(started_at__gte=local_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(started_at__lt=local_midnight(f.date_to + dt.timedelta(days=1)))
    if f.media_kind:
        qs = qs.filter(media_kind=f.media_kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.needs_assignment is not None:
        qs = qs.filter(needs_assignment=f.needs_assignment)
    for field in TEXT_FIELDS:
        if term := normalise(getattr(f, field)):
            qs = qs.filter(text_q(term, field))
    if term := normalise(f.q):
        qs = qs.filter(free_text_q(term))
    return qs
