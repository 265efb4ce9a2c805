"""Pages under load (issue 22 §4): 50 people of different roles sign in to ONE `avrecords serve`
on loopback and, for a bounded time (3 minutes by default), list recordings, search them, open
them, play ranges of real media (HTTP Range reads of 1 MiB on the delivery URL) and open 待办;
each page also asks the menu's counts, as a browser does. Against the seeded search data:
the 1M SQLite home and the 10M PostgreSQL database of `make bench-search` (bench/search_bench.py
seeds them; this script never seeds or migrates them).

Targets: no error; p95 < 300 ms for pages and < 100 ms for 1 MiB range reads.

The load is driven by threads with `requests` (one session per person, keep-alive), not by
locust: locust brings gevent and Flask into the shared environment, and its generator would
compete for the same two cores as the server all the same. Each person waits a random think
time (--think, seconds) between two actions, as locust's `between()` does.

    python bench/load_bench.py --workdir var/bench-search [--duration 180] [--skip-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from search_bench import child_env  # noqa: E402  (the same homes and databases)
from verdict import below, report  # noqa: E402

MIB = 1024 * 1024
PAGE_P95_MS = 300
RANGE_P95_MS = 100
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/avrecords_bench_search"
TIMEOUT_S = 30
# what a person does next, and how often (weights)
ACTIONS = {"list": 25, "search": 20, "open": 20, "range": 20, "todo": 15}
PAGE_KINDS = ("list", "search", "open", "todo", "menu counts")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    exe = str(Path(sys.executable).parent / "avrecords")
    out = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}; see {log_path}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"serve did not listen on {port} within 120 s; see {log_path}")


def stop_serve(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- one person --------------------------------------------------------------------------


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, ms: float, error: str = "") -> None:
        with self.lock:
            self.times[kind].append(ms)
            if error:
                self.errors[kind] += 1
                if len(self.samples[kind]) < 5:
                    self.samples[kind].append(error)


def totp(key_hex: str) -> str:
    from django_otp.oath import totp as oath_totp

    return f"{oath_totp(bytes.fromhex(key_hex), step=30, t0=0, digits=6):06d}"


def _csrf(session, base: str, path: str) -> str:
    import re

    page = session.get(base + path, timeout=TIMEOUT_S)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    return found[1] if found else session.cookies.get("csrftoken", "")


def sign_in(base: str, person: dict):
    import requests

    session = requests.Session()
    token = _csrf(session, base, "/login/")
    answer = session.post(
        base + "/login/",
        data={
            "username": person["username"],
            "password": person["password"],
            "csrfmiddlewaretoken": token,
        },
        timeout=TIMEOUT_S,
    )
    if answer.url.rstrip("/").endswith("/login/two-factor") or "two-factor" in answer.url:
        if not person["totp_key"]:
            raise RuntimeError(f"{person['username']}: second factor asked, no authenticator")
        token = _csrf(session, base, "/login/two-factor/")
        answer = session.post(
            base + "/login/two-factor/",
            data={"token": totp(person["totp_key"]), "csrfmiddlewaretoken": token},
            timeout=TIMEOUT_S,
        )
    check = session.get(base + "/todo/", allow_redirects=False, timeout=TIMEOUT_S)
    if check.status_code != 200:
        raise RuntimeError(f"{person['username']}: not signed in ({check.status_code})")
    return session


class Person(threading.Thread):
    def __init__(self, base, person, session, terms, stats, until, think, seed):
        super().__init__(daemon=True)
        self.base, self.person, self.session = base, person, session
        self.terms, self.stats, self.until, self.think = terms, stats, until, think
        self.rng = random.Random(seed)

    def timed(self, kind: str, path: str, *, expect: int = 200, headers=None, size=None) -> None:
        started = time.perf_counter()
        error = ""
        try:
            answer = self.session.get(
                self.base + path, headers=headers, timeout=TIMEOUT_S, allow_redirects=False
            )
            body = answer.content
            if answer.status_code != expect:
                error = f"{path}: {answer.status_code}"
            elif size is not None and len(body) != size:
                error = f"{path}: {len(body)} bytes, not {size}"
        except Exception as exc:  # a timeout or a dropped connection is an error like a 500
            error = f"{path}: {type(exc).__name__}"
        self.stats.add(kind, (time.perf_counter() - started) * 1000, error)

    def page(self, kind: str, path: str) -> None:
        self.timed(kind, path)
        self.timed("menu counts", "/menu/counts")

    def run(self) -> None:
        kinds, weights = list(ACTIONS), list(ACTIONS.values())
        rng = self.rng
        while time.monotonic() < self.until:
            kind = rng.choices(kinds, weights)[0]
            if kind == "list":
                self.page("list", f"/recordings/?page={rng.randint(1, 5)}")
            elif kind == "search":
                from urllib.parse import quote

                self.page("search", f"/recordings/?q={quote(rng.choice(self.terms))}")
            elif kind == "open" and self.person["recordings"]:
                self.page("open", f"/recordings/{rng.choice(self.person['recordings'])}/")
            elif kind == "range" and self.person["media"]:
                media = rng.choice(self.person["media"])
                start = rng.randrange(0, max(media["size"] - MIB, 1))
                end = min(start + MIB, media["size"]) - 1
                self.timed(
                    "range 1 MiB",
                    f"/recordings/{media['id']}/media",
                    expect=206,
                    headers={"Range": f"bytes={start}-{end}"},
                    size=end - start + 1,
                )
            elif kind == "todo":
                self.page("todo", "/todo/")
            else:
                continue
            time.sleep(rng.uniform(*self.think))


# --- one database ------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(label: str, env: dict[str, str], workdir: Path, args) -> dict:
    setup = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parent / "load_setup.py"),
            str(workdir / "load-media"),
            str(args.users),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    if setup.returncode != 0:
        raise SystemExit(f"{label}: set-up failed (exit {setup.returncode})")
    plan = json.loads(setup.stdout)
    people = plan["users"]
    players = sum(1 for p in people if p["media"])
    roles = defaultdict(int)
    for p in people:
        roles[p["role"]] += 1
    log(f"{label}: {len(people)} people ({dict(roles)}), {players} may play the media")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start_serve(env, port, workdir / f"load-serve-{label.split()[-1].lower()}.log")
    try:
        stats = Stats()

        def arrive(person):  # a failed sign-in is an error; the others go on
            started = time.perf_counter()
            try:
                session, error = sign_in(base, person), ""
            except Exception as exc:
                session, error = None, f"{person['username']}: {type(exc).__name__} {exc}"[:200]
            stats.add("sign in", (time.perf_counter() - started) * 1000, error)
            return session

        with ThreadPoolExecutor(max_workers=10) as pool:  # as people arrive in the morning
            sessions = list(pool.map(arrive, people))
        signed = [(p, s) for p, s in zip(people, sessions, strict=True) if s is not None]
        log(f"{label}: {len(signed)} of {len(people)} signed in; load for {args.duration} s")
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds(serve.pid)
        until = time.monotonic() + args.duration
        threads = [
            Person(base, p, s, plan["terms"], stats, until, args.think, seed=i)
            for i, (p, s) in enumerate(signed)
        ]
        for t in threads:
            t.start()
            time.sleep(args.ramp / len(threads))  # people arrive over --ramp seconds
        for t in threads:
            t.join(args.duration + TIMEOUT_S + 10)
        # the machine's load average (this run's own share included): others' work shows here
        machine = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
        cpu = cpu_seconds(serve.pid) - cpu_before
    finally:
        stop_serve(serve)
    return {"label": label, "stats": stats, "machine": machine, "serve_cpu": cpu}


def print_result(res: dict, args) -> None:
    stats: Stats = res["stats"]
    label = res["label"]
    print(f"\n== {label}: {args.users} people, {args.duration} s, think {args.think} s ==")
    print(f"one avrecords serve (waitress, 8 threads); {res['machine']}")
    print(f"{'request':<14} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}")
    for kind, times in sorted(stats.times.items()):
        print(
            f"{kind:<14} {len(times):>7} {percentile(times, 0.5):>8.1f} "
            f"{percentile(times, 0.95):>8.1f} {max(times):>8.1f} {stats.errors[kind]:>7}"
        )
    for kind, samples in stats.samples.items():
        print(f"  {kind} errors, e.g.: {'; '.join(samples)}")
    served = sum(len(times) for kind, times in stats.times.items() if kind != "sign in")
    per_request = res["serve_cpu"] / max(served, 1) * 1000
    # what limits: the one process's CPU per request (its threads share one GIL, so about one
    # core), against what the people ask for
    print(
        f"serve CPU: {res['serve_cpu']:.1f} s for {served} requests = {per_request:.1f} ms each, "
        f"so at most ~{1000 / max(per_request, 0.1):.1f} requests/s on one core; asked "
        f"{served / args.duration:.1f}/s"
    )
    pages = [ms for kind in PAGE_KINDS for ms in stats.times.get(kind, [])]
    ranges = stats.times.get("range 1 MiB", [])
    below(
        f"pages under load p95 ({label}, {args.users} users)",
        percentile(pages, 0.95) if pages else None,
        PAGE_P95_MS,
        unit="ms",
        note=f"{len(pages)} pages",
    )
    below(
        f"1 MiB range reads under load p95 ({label}, {args.users} users)",
        percentile(ranges, 0.95) if ranges else None,
        RANGE_P95_MS,
        unit="ms",
        note=f"{len(ranges)} reads",
    )
    errors = sum(stats.errors.values())
    report(f"errors under load ({label})", str(errors), "0", errors == 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workdir", default="/tmp/avrecords-search-bench")
    parser.add_argument(
        "--pg-url", default=os.environ.get("AVRECORDS_BENCH_PG_URL", DEFAULT_PG_URL)
    )
    parser.add_argument("--pg-label", default="10M PostgreSQL")
    parser.add_argument("--sqlite-label", default="1M SQLite")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=180, help="seconds of load")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds to start everyone")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 5.0), metavar=("MIN", "MAX"))
    args = parser.parse_args()
    workdir = Path(args.workdir)
    runs = []
    if not args.skip_sqlite:
        home = workdir / "sqlite-home"
        if not (home / "avrecords.sqlite3").exists():
            raise SystemExit(f"{home}: no seeded database (make bench-search seeds it)")
        runs.append((args.sqlite_label, child_env(home, None), home))
    if not args.skip_pg:
        (workdir / "pg-home").mkdir(parents=True, exist_ok=True)
        runs.append(
            (args.pg_label, child_env(workdir / "pg-home", args.pg_url), workdir / "pg-home")
        )
    for label, env, home in runs:
        try:
            print_result(run_load(label, env, home, args), args)
        except SystemExit as exc:  # the other database still runs; the rows say not measured
            log(str(exc))
            below(f"pages under load p95 ({label}, {args.users} users)", None, PAGE_P95_MS, "ms")
            below(f"1 MiB range reads under load p95 ({label})", None, RANGE_P95_MS, "ms")
            report(f"errors under load ({label})", "--", "0", False, note=str(exc)[:120])
    return 0


if __name__ == "__main__":
    sys.exit(main())
