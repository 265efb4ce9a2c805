"""How recording text is normalised and indexed for Chinese substring search (M4).

pg_trgm indexes runs of three characters: it finds `%华兴贸%` quickly but cannot look up a
two-character term, and two-character terms are everyday Chinese ("华兴", "湖滨"). On
PostgreSQL the generated column `Recording.search_text` therefore holds party, place and case
number twice, lower-cased, and one pg_trgm GIN index covers both copies:

    ␞华兴贸易␞湖滨路8号␞␞华ǂ兴ǂ贸ǂ易ǂǁǂ湖ǂ滨ǂ路ǂ8ǂ号ǂǁǂ
    └──────── plain ────────┘└────────────── paired ──────────────┘

- *plain*: the fields between four ␞ (U+001E). Terms of three or more characters are looked
  up here with ordinary trigrams, the selective ones (`123号`, not `1`, `2`, `3`).
- *paired*: the fields joined by ǁ, with ǂ after every character (both are letters to
  pg_trgm, so no word breaks). Each trigram `华ǂ兴` holds two neighbouring characters, which
  is how a two-character term is found (`%华ǂ兴%`).
- A field *starting* with one character is found in the plain copy: the trigram of a word
  start (`␞张`).

A pattern can also say which field must match, by counting separators on each side: the
place is after the second ␞ and before the third (`␞%␞%湖滨路%␞%␞%`), or between the two ǁ.
Patterns never contain the lone-character trigrams (`ǂ兴ǂ`, the start of every field) whose
posting lists hold most rows. The column is computed by the database on every write, so no
code path leaves it stale; fields are stored without control characters, ǂ or ǁ (`tidy`),
which keeps the separators unambiguous. On SQLite the column is empty and searches compare
the fields themselves.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import F, Func, Lookup, Q, TextField
from django.db.models.expressions import RawSQL

FIELD = "\x1e"  # separates the plain copies
PAIR = "ǂ"  # follows every character of the paired copy
PAIRED_FIELD = "ǁ"  # separates the paired copies
FIELDS = ("party", "place", "case_number")
_SPACES = re.compile(r"\s+")
_MARKERS = str.maketrans("", "", PAIR + PAIRED_FIELD)


def tidy(text: str | None) -> str:
    """How text is stored: NFKC (full-width letters and digits become ASCII), no control
    characters or search markers, one space between words."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).translate(_MARKERS)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c in "\t\n")
    return _SPACES.sub(" ", text).strip()


def normalise(text: str | None) -> str:
    """How text is compared: tidied and lower-cased."""
    return tidy(text).lower()


def indexable(term: str) -> bool:
    """A term the separators can express (tidy() keeps them out of every normalised term)."""
    return bool(term) and not any(c in term for c in (FIELD, PAIR, PAIRED_FIELD))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def pattern(term: str, field: str | None = None) -> str:
    """A LIKE pattern for `search_text`: `field` (or, if None, any of the three) contains the
    normalised term, or starts with it if it is one character."""
    i = FIELDS.index(field) if field else None
    if len(term) == 1:  # a word start in the plain copy
        if i is None:
            return f"%{FIELD}{_escape(term)}%{FIELD}%"
        return FIELD + f"%{FIELD}" * i + _escape(term) + f"%{FIELD}" * (3 - i) + "%"
    if len(term) == 2:  # in the paired copy
        paired = _escape(term[0]) + PAIR + _escape(term[1])
        if i is None:
            return f"%{paired}%"
        return f"%{PAIRED_FIELD}" * i + f"%{paired}%" + f"{PAIRED_FIELD}%" * (2 - i)
    if i is None:  # three or more: only the plain copy holds them unbroken
        return f"%{_escape(term)}%"
    return FIELD + f"%{FIELD}" * i + f"%{_escape(term)}%" + f"{FIELD}%" * (3 - i)


class Like(Lookup):
    """`lhs LIKE pattern`, the pattern's wildcards kept (Django's contains escapes them)."""

    lookup_name = "like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def search_text_q(term: str, field: str | None = None) -> Q:
    """PostgreSQL: the trigram-indexed condition equivalent to `field` (or any) matching."""
    return Q(Like(F("search_text"), pattern(term, field)))


class InterleavedText(Func):
    """The SQL of `Recording.search_text`: see the module docstring (PostgreSQL only)."""

    output_field = TextField()

    def __init__(self):
        super().__init__(*FIELDS)

    def as_sql(self, compiler, connection, **extra_context):
        return "''", []

    def as_postgresql(self, compiler, connection, **extra_context):
        party, place, case = (compiler.compile(e)[0] for e in self.get_source_expressions())
        sep, pair_sep = "E'\\x1e'", f"'{PAIRED_FIELD}'"
        plain = f"{sep} || {party} || {sep} || {place} || {sep} || {case} || {sep}"
        paired = f"{party} || {pair_sep} || {place} || {pair_sep} || {case}"
        # '(.)' rather than a bracket expression: PostgreSQL rewrites it four times faster.
        return f"lower({plain} || regexp_replace({paired}, '(.)', '\\1{PAIR}', 'g'))", []


# --- SQLite: an FTS5 trigram index with paired copies (M4, issue 22 §3) --------------------
#
# SQLite has no pg_trgm, but FTS5's trigram tokenizer (SQLite 3.34+) indexes every run of
# three characters, spaces and punctuation included, and a phrase of them is a substring.
# The contentless table `recordings_recording_text` (migration 0012, kept in step by
# triggers) holds for each recording, with SQLite's lower() (ASCII only, as LIKE compares):
#
# - party, place, case_number: the field itself. Terms of three or more characters.
# - *_pairs: ␂ then the field with ǂ after every character (`␂华ǂ兴ǂ贸ǂ`): a two-character
#   term is one trigram (`华ǂ兴`), a field starting with a character is one too (`␂华ǂ`).
# - name_start: ␂ then the file name; `␂abc` is a file name starting with abc.
#
# The index is exact: its answers are those of the LIKE conditions it replaces.

SQLITE_TEXT_TABLE = "recordings_recording_text"
START = "\x02"  # begins the paired copies and the file name (tidy() keeps it out of fields)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def sqlite_match(term: str, field: str | None = None) -> str:
    """An FTS5 query: `field` (or any of the three) contains the normalised term, or starts
    with it if it is one character."""
    fields = (field,) if field else FIELDS
    if len(term) == 1:
        columns, phrase = [f"{f}_pairs" for f in fields], START + term + PAIR
    elif len(term) == 2:
        columns, phrase = [f"{f}_pairs" for f in fields], term[0] + PAIR + term[1]
    else:
        columns, phrase = list(fields), term
    return "{" + " ".join(columns) + "} : " + _phrase(phrase)


def sqlite_name_match(term: str) -> str:
    """An FTS5 query: the file name starts with the term (three or more characters)."""
    return "name_start : " + _phrase(START + term)


def sqlite_text_q(query: str) -> Q:
    """SQLite: rows whose indexed text matches an FTS5 query (sqlite_match and friends)."""
    table = SQLITE_TEXT_TABLE
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [query]))
