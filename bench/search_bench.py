"""Search at scale (M4, issue 3): p50/p95 of the common list searches, 10M rows in PostgreSQL
and 1M in SQLite.

Each search runs through the product's own code, as the list page runs it for a user of a
given role: `search_recordings(user, filter)` and `listing.search_page()`, which is the
capped count, the facets (media kind, status, unit, month) and the first page of 50 rows.
Terms, users and dates change from run to run (drawn from the seeded data with a fixed
seed), so the figures are not those of one cached answer.

  searches                       user                              filter
  unit subtree, last 30 days     records admin of a district branch date_from = today - 30
  officer's own, newest          an officer (own scope)            (none)
  date range + media kind        bureau leader                     one month, photos
  party, 3-character substring   bureau leader                     party = e.g. 恒达建
  place, 2-character substring   bureau leader                     place = e.g. 湖滨
  case number                    bureau leader                     case_number = 〔2025〕123号
  free text, 2 characters        records admin of a branch         q = e.g. 鑫源

The databases are seeded with `avrecords seed_recordings` when they hold fewer seeded rows
than asked for, and reused as they are otherwise (seeding 10M rows takes a while; see the
figures it prints). PostgreSQL: `--pg-url` (default the local server, database
avrecords_bench_search, created UTF-8 if missing). SQLite: a file under --workdir.

    .venv/bin/python bench/search_bench.py [--pg-rows 10000000] [--sqlite-rows 1000000]
        [--runs 30] [--skip-pg] [--skip-sqlite] [--pg-url URL] [--workdir DIR]
        [--cold] [--cold-runs 5] [--pg-restart "service postgresql restart"]
        [--only q-2,place-2] [--per-term]

`--only` measures the named searches alone (the terms drawn are those of a full run);
`--per-term` also prints every run's term, time and matches to stderr, to find the slow ones.

Warm: every search is run 3 times to warm up, then `--runs` times with varying terms.
Cold (`--cold`, issue 22 §3): before each of `--cold-runs` runs per search, PostgreSQL is
restarted (its shared buffers emptied) and the database's files are evicted from the OS page
cache with posix_fadvise(DONTNEED) (this container may not write /proc/sys/vm/drop_caches);
for SQLite the database file is evicted and the connection reopened. Restarting PostgreSQL
cuts every other client of the server: run --cold when nothing else uses it, or give
`--pg-restart ""` to keep the server (and its shared buffers) and only evict the files.

One verdict row (bench/verdict.py) per search per database: p95 below 100 ms for PostgreSQL
at 10M rows, below 250 ms for SQLite at 1M (issue 22's table), warm and, with --cold, cold
(the same targets). A migration the seeded database still needs is applied first, and its
duration printed (the seeding note).

Exit status 0 whatever the figures (it is a report); non-zero only if something errors.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from verdict import below  # noqa: E402

TARGET_P95_MS = {"postgresql": 100.0, "sqlite": 250.0}
NAMES = {"postgresql": "PG", "sqlite": "SQLite"}
DEFAULT_PG_RESTART = "service postgresql restart"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/avrecords_bench_search"
SEARCHES = [
    ("unit-30d", "单位（分局）+ 近30天"),
    ("officer-own", "执法人员本人 最新"),
    ("month-kind", "日期范围（一个月）+ 照片"),
    ("party-3", "当事人 三字子串"),
    ("place-2", "地点 两字子串"),
    ("case-number", "案件编号"),
    ("q-2", "关键词 两字"),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the parent: one child process per database -------------------------------------------


def ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            log(f"creating database {name} (UTF-8, so pg_trgm reads Chinese)")
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")


def run_child(backend: str, rows: int, args, env: dict[str, str]) -> dict:
    cmd = [sys.executable, __file__, "--child", backend, "--rows", str(rows)]
    cmd += ["--runs", str(args.runs), "--cold-runs", str(args.cold_runs)]
    cmd += ["--pg-restart", args.pg_restart] + (["--cold"] if args.cold else [])
    cmd += ["--only", args.only] if args.only else []
    cmd += ["--per-term"] if args.per_term else []
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{backend} run failed (exit {proc.returncode})")
    return json.loads(proc.stdout)


def child_env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVRECORDS_", "DATABASE"))}
    env["AVRECORDS_HOME"] = str(home)
    env["DJANGO_SETTINGS_MODULE"] = "avrecords.settings"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _size(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1000}k"


def print_report(results: list[dict]) -> None:
    print()
    for res in results:
        target = TARGET_P95_MS[res["backend"]]
        print(
            f"== {res['backend']}: {res['rows']:,} recordings "
            f"(seeding this run: {res['seed_note']}) =="
        )
        head = (
            f"{'search':<14} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'matches':>12} {'runs':>5}"
        )
        print(head + f"  target p95 < {target:.0f} ms")
        for mode in ("warm", "cold"):
            if mode not in res:
                continue
            print(f"-- {mode}")
            for key, label in SEARCHES:
                if key not in res[mode]:
                    continue
                s = res[mode][key]
                matches = f"{s['median_total']:,}" + ("+" if s["capped_share"] >= 0.5 else "")
                line = (
                    f"{key:<14} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['max']:>8.1f} "
                    f"{matches:>12} {s['runs']:>5}"
                )
                line += "  " + ("ok" if s["p95"] < target else "MISSED")
                print(f"{line}   {label}")
        print()
    print("matches: median rows found per run ('+': past AVRECORDS_SEARCH_COUNT_CAP, estimated)")
    for res in results:
        name, size = NAMES[res["backend"]], _size(res["rows"])
        for mode in ("warm", "cold"):
            for key, label in SEARCHES if mode in res else ():
                if key not in res[mode]:
                    continue
                s = res[mode][key]
                note = f"p50 {s['p50']:.1f} ms, {s['runs']} runs"
                if mode == "cold":
                    note += ", " + res["cold_note"]
                below(
                    f"search p95 {name} {size} {mode}: {label}",
                    s["p95"],
                    TARGET_P95_MS[res["backend"]],
                    unit="ms",
                    note=note,
                )


def parent(args) -> int:
    results = []
    if not args.skip_pg:
        ensure_pg_database(args.pg_url)
        home = Path(args.workdir) / "pg-home"
        home.mkdir(parents=True, exist_ok=True)
        log(f"PostgreSQL: {args.pg_url}")
        results.append(run_child("postgresql", args.pg_rows, args, child_env(home, args.pg_url)))
    if not args.skip_sqlite:
        home = Path(args.workdir) / "sqlite-home"
        home.mkdir(parents=True, exist_ok=True)
        log(f"SQLite: {home / 'avrecords.sqlite3'}")
        results.append(run_child("sqlite", args.sqlite_rows, args, child_env(home, None)))
    print_report(results)
    return 0


# --- the child: seed if needed, then measure ----------------------------------------------


def seed_if_needed(rows: int) -> str:
    from django.core.management import call_command

    from avrecords.demo import seed

    started = time.monotonic()
    out = io.StringIO()
    call_command("migrate", interactive=False, verbosity=1, stdout=out)
    applied = re.findall(r"Applying (\S+)", out.getvalue())
    migrated = (
        f"; migrations {', '.join(applied)} took {time.monotonic() - started:.0f} s"
        if applied
        else ""
    )
    have = seed.seeded_count()
    if have >= rows:
        return f"reused {have:,} seeded rows{migrated}"
    started = time.monotonic()
    report = seed.seed(rows - have, seed=have + 1, progress=_progress(rows - have))
    return (
        f"added {report.rows:,} rows in {time.monotonic() - started:.0f} s "
        f"(rows {report.rows_seconds:.0f} s, indexes {report.index_seconds:.0f} s, "
        f"vacuum {report.vacuum_seconds:.0f} s){migrated}"
    )


def _progress(total: int):
    state = {"done": 0, "last": time.monotonic(), "start": time.monotonic()}

    def progress(rows: int) -> None:
        state["done"] += rows
        now = time.monotonic()
        if now - state["last"] > 30 or state["done"] == total:
            state["last"] = now
            rate = state["done"] / max(now - state["start"], 1e-9)
            log(f"  seeded {state['done']:,}/{total:,} ({rate:,.0f} rows/s)")

    return progress


def plans(runs: int):
    """(search, user, filter) for every run, drawn from the seeded data."""
    import datetime as dt
    import random

    from django.utils import timezone

    from avrecords.demo import seed_words
    from avrecords.org.models import Role, User
    from avrecords.recordings.models import Recording
    from avrecords.recordings.search import RecordingFilter

    rng = random.Random(20261123)
    today = timezone.localdate()
    prefix = "seed_"
    leader = User.objects.get(username=f"{prefix}leader")
    branch_admins = list(
        User.objects.filter(
            username__startswith=f"{prefix}admin",
            role=Role.ADMIN,
            unit__parent__parent=None,
            unit__parent__isnull=False,
        )
    )
    officers = list(User.objects.filter(username__startswith=f"{prefix}o", role=Role.OFFICER))
    top = Recording.objects.order_by("-pk").values_list("pk", flat=True)[0]
    picks = [rng.randint(1, top) for _ in range(runs * 20)]
    sample = list(
        Recording.objects.filter(pk__in=picks).exclude(party="").values_list("party", "case_number")
    )
    parties = [p for p, _ in sample if len(p) >= 8]
    cases = [c[c.index("〔") :] for _, c in sample if "〔" in c]
    roads = [seed_words.ROAD_HEADS[i : i + 2] for i in range(0, len(seed_words.ROAD_HEADS), 2)]
    trades = [seed_words.TRADE_CHARS[i : i + 2] for i in range(0, len(seed_words.TRADE_CHARS), 2)]
    out = {key: [] for key, _ in SEARCHES}
    for _ in range(runs):
        out["unit-30d"].append(
            (rng.choice(branch_admins), RecordingFilter(date_from=today - dt.timedelta(days=30)))
        )
        out["officer-own"].append((rng.choice(officers), RecordingFilter()))
        first = (today.replace(day=1) - dt.timedelta(days=rng.randint(1, 1000))).replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        out["month-kind"].append(
            (leader, RecordingFilter(date_from=first, date_to=last, media_kind="photo"))
        )
        party = rng.choice(parties)
        start = rng.randint(3, len(party) - 3)
        out["party-3"].append((leader, RecordingFilter(party=party[start : start + 3])))
        out["place-2"].append((leader, RecordingFilter(place=rng.choice(roads))))
        out["case-number"].append((leader, RecordingFilter(case_number=rng.choice(cases))))
        out["q-2"].append((rng.choice(branch_admins), RecordingFilter(q=rng.choice(trades))))
    return out


def _stats(times: list[float], totals: list[int], capped: int) -> dict:
    times = sorted(times)
    return {
        "runs": len(times),
        "p50": times[len(times) // 2],
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "max": times[-1],
        "median_total": sorted(totals)[len(totals) // 2],
        "capped_share": capped / len(times),
    }


def _term(user, flt) -> str:
    """What a run searched, for --per-term: the filters set and the user."""
    from dataclasses import asdict

    set_ = {k: v for k, v in asdict(flt).items() if v is not None}
    return " ".join(f"{k}={v}" for k, v in set_.items()) + f" user={user.username}"


def _timed_search(user, flt) -> tuple[float, int, bool]:
    from avrecords.recordings import listing
    from avrecords.recordings.search import search_recordings

    started = time.perf_counter()
    page = listing.search_page(search_recordings(user, flt), 1)
    return (time.perf_counter() - started) * 1000, page.summary.total, page.summary.capped


def measure(plan: dict, per_term: bool = False) -> dict:
    results = {}
    for key, items in plan.items():
        for user, flt in items[:3]:  # warm-up: plans cached, pages in memory
            _timed_search(user, flt)
        times, totals, capped = [], [], 0
        for user, flt in items:
            ms, total, was_capped = _timed_search(user, flt)
            times.append(ms)
            totals.append(total)
            capped += was_capped
            if per_term:
                log(
                    f"    {key} {ms:8.1f} ms {total:>7,}{'+' if was_capped else ' '} {_term(user, flt)}"
                )
        results[key] = _stats(times, totals, capped)
        log(f"  warm {key}: p50 {results[key]['p50']:.1f} ms, p95 {results[key]['p95']:.1f} ms")
    return results


def _database_files() -> list[Path]:
    """The files of this database: its directory under PostgreSQL's data directory, or the
    SQLite file with its WAL."""
    from django.db import connection

    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        return [name, Path(f"{name}-wal")]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('data_directory'), oid FROM pg_database "
            "WHERE datname = current_database()"
        )
        data, oid = cursor.fetchone()
    return [p for p in (Path(data) / "base" / str(oid)).iterdir() if p.is_file()]


def _evict(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():  # SQLite's WAL goes with the last connection
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _go_cold(files: list[Path], restart: str) -> None:
    from django.db import connection

    connection.close()
    if connection.vendor == "postgresql" and restart:
        subprocess.run(restart, shell=True, check=True, capture_output=True)
    _evict(files)
    for _ in range(100):  # the server takes a moment to accept connections again
        try:
            connection.ensure_connection()
            break
        except Exception:  # noqa: BLE001 - any refusal while it starts
            time.sleep(0.1)
    with connection.cursor() as cursor:  # the connection itself is not the search's time
        cursor.execute("SELECT 1")


def measure_cold(plan: dict, runs: int, restart: str) -> dict:
    """Each run after emptying the server's buffers and the OS page cache of the database."""
    files = _database_files()
    results = {}
    for key, items in plan.items():
        times, totals, capped = [], [], 0
        for user, flt in items[-runs:]:
            _go_cold(files, restart)
            ms, total, was_capped = _timed_search(user, flt)
            times.append(ms)
            totals.append(total)
            capped += was_capped
        results[key] = _stats(times, totals, capped)
        log(f"  cold {key}: p50 {results[key]['p50']:.1f} ms, max {results[key]['max']:.1f} ms")
    return results


def child(args) -> int:
    import django

    django.setup()
    from django.db import connection

    from avrecords.demo import seed

    note = seed_if_needed(args.rows)
    log(f"{connection.vendor}: {note}; measuring {args.runs} runs per search")
    plan = plans(args.runs)
    if args.only:
        plan = {key: plan[key] for key in args.only.split(",")}
    result = {
        "backend": connection.vendor,
        "rows": seed.seeded_count(),
        "seed_note": note,
        "warm": measure(plan, args.per_term),
    }
    if args.cold:
        result["cold"] = measure_cold(plan, args.cold_runs, args.pg_restart)
        restarted = connection.vendor == "postgresql" and args.pg_restart
        evicted = "server restarted, " if restarted else ""
        result["cold_note"] = f"{evicted}files evicted from the page cache before each run"
    print(json.dumps(result))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pg-rows", type=int, default=10_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--pg-url", default=os.environ.get("AVRECORDS_BENCH_PG_URL", DEFAULT_PG_URL)
    )
    parser.add_argument("--workdir", default="/tmp/avrecords-search-bench")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--cold", action="store_true", help="also measure cold runs")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--pg-restart", default=DEFAULT_PG_RESTART)
    parser.add_argument(
        "--only",
        help="comma-separated searches to measure (default all): "
        + ", ".join(k for k, _ in SEARCHES),
    )
    parser.add_argument("--per-term", action="store_true", help="print every run's time")
    parser.add_argument("--child", choices=["postgresql", "sqlite"], help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    unknown = set(args.only.split(",")) - {k for k, _ in SEARCHES} if args.only else set()
    if unknown:
        parser.error(f"--only: unknown search {', '.join(sorted(unknown))}")
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
