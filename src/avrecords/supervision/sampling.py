"""Stratified random sampling of activities for a spot check (S2, 004§22 按一定比例抽查).

Pure and reproducible: the same population, ratio and seed always give the same sample.
The sample size is ceil(ratio × N) (at least one when there is anything to draw). Strata are
(unit, officer) — an activity with several officers belongs to its first officer's stratum —
and every stratum gets at least one activity where the size allows (every officer with
activities is represented at least once). Each stratum gets its share, ratio × its size,
rounded down (at least one) and topped up to the sample size by largest remainder (ties by
stratum key): within one of its share, unless so many small strata need their one that the
larger ones must give way. Within a stratum activities are drawn at random. If there are
more strata than the size, which strata get their one is drawn at random, the larger strata
first in chance (weighted by size, reproducibly).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

Stratum = tuple[int, int]  # (unit id, officer id or 0)


@dataclass(frozen=True)
class Item:
    activity_id: int
    unit_id: int
    officer_id: int  # 0: no officer recorded


def sample_size(population: int, ratio: float) -> int:
    if population <= 0:
        return 0
    return min(population, max(1, math.ceil(ratio * population - 1e-9)))


def _allocate(
    sizes: dict[Stratum, int], n: int, ratio: float, rng: random.Random
) -> dict[Stratum, int]:
    keys = sorted(sizes)
    if n < len(keys):  # not every stratum can have one: weighted draw without replacement
        chosen: list[Stratum] = []
        pool = list(keys)
        for _ in range(n):
            weights = [sizes[k] for k in pool]
            pick = rng.choices(range(len(pool)), weights=weights)[0]
            chosen.append(pool.pop(pick))
        return {k: (1 if k in chosen else 0) for k in keys}
    # Each stratum its share ratio × size rounded down, but at least one; then the sum is
    # brought to n by largest remainder (ties by stratum key): a stratum gets its share
    # within one, unless so many strata need their one that the larger ones must give way.
    share = {k: ratio * sizes[k] for k in keys}
    counts = {k: min(sizes[k], max(1, math.floor(share[k] + 1e-9))) for k in keys}
    remaining = n - sum(counts.values())
    if remaining > 0:
        order = sorted(keys, key=lambda k: (-(share[k] - counts[k]), k))
        progressed = True
        while remaining > 0 and progressed:
            progressed = False
            for k in order:
                if remaining and counts[k] < sizes[k]:
                    counts[k] += 1
                    remaining -= 1
                    progressed = True
    while remaining < 0:  # the ones given to small strata come from the most generous
        k = min((k for k in keys if counts[k] > 1), key=lambda k: (share[k] - counts[k], k))
        counts[k] -= 1
        remaining += 1
    return counts


def draw(items: Iterable[Item], ratio: float, seed: int) -> list[Item]:
    """The sample, in a stable order (by stratum, then activity id)."""
    population = sorted(items, key=lambda i: i.activity_id)
    n = sample_size(len(population), ratio)
    if n == 0:
        return []
    rng = random.Random(seed)
    strata: dict[Stratum, list[Item]] = defaultdict(list)
    for item in population:
        strata[(item.unit_id, item.officer_id)].append(item)
    counts = _allocate({k: len(v) for k, v in strata.items()}, n, ratio, rng)
    picked: list[Item] = []
    for key in sorted(strata):
        if counts[key]:
            picked.extend(sorted(rng.sample(strata[key], counts[key]), key=lambda i: i.activity_id))
    return picked
