"""`avrecords` command start-up against a bare Python interpreter (issue 22 §1).

Alternates, --runs times, in an empty AVRECORDS_HOME:

  (a) python   `python -c pass`: the interpreter's own start-up, the floor;
  (b) command  `avrecords fixity --help`: settings, Django set-up (every app, its models and
               `ready()`), the command line and one management command loaded and its
               arguments parsed, then exit; no database is touched.

Prints the best and median of each, the ratio command / python, and the absolute best against
the target (<= 0.4 s). PYTHONDONTWRITEBYTECODE is dropped, so the untimed first run writes the
bytecode an installed package has (without it every run compiles our modules again, ~0.1 s).
Exit status 0 whatever the figures (it is a report).

    .venv/bin/python bench/startup_bench.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from verdict import at_most  # noqa: E402

TARGET_SECONDS = 0.4
COMMAND = ("fixity", "--help")


def log(message: str) -> None:
    print(f"[startup] {message}", flush=True)


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = sys.executable
    avrecords = str(Path(python).with_name("avrecords"))
    with tempfile.TemporaryDirectory(prefix="avrecords-startup-") as home:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DJANGO_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env["AVRECORDS_HOME"] = home
        timed([avrecords, *COMMAND], env)  # untimed: bytecode compiled, page cache warm
        bare, command = [], []
        for _ in range(args.runs):
            bare.append(timed([python, "-c", "pass"], env))
            command.append(timed([avrecords, *COMMAND], env))
    best, median = min(command), statistics.median(command)
    # the figures are wall times: on a loaded machine they say as much about the load
    log("load average (1, 5, 15 min) " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    log(f"python -c pass          best {min(bare):.3f} s  median {statistics.median(bare):.3f} s")
    log(f"avrecords {' '.join(COMMAND):<13} best {best:.3f} s  median {median:.3f} s")
    log(f"ratio (best command / best python) {best / min(bare):.1f}")
    verdict = "PASS" if best <= TARGET_SECONDS else "FAIL"
    log(f"command start-up {best:.3f} s  target <= {TARGET_SECONDS} s  {verdict}")
    at_most(
        "avrecords start-up (fixity --help)",
        best,
        TARGET_SECONDS,
        unit="s",
        note=f"best of {args.runs}; median {median:.3f} s; python -c pass best {min(bare):.3f} s; "
        f"load {os.getloadavg()[0]:.1f}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
