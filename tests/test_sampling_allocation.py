"""S2 (004§22 按一定比例抽查): how many activities of each officer a spot check draws.

The module's rule (supervision/sampling.py): each stratum (unit, officer) gets its share,
ratio × its size, rounded down but at least one, topped up to the sample size by largest
remainder (ties by stratum key); when the small strata's ones overshoot, the strata given
the most over their share give way. A supervisor sees these counts as whom he must review:
each case below is worked out by hand from that rule, and the counts must not depend on the
seed (only which activities are drawn does). `make mutate` (issue 23 §2) found the per-stratum
counts unpinned: giving each small stratum two instead of one still summed to the sample size.
"""

from __future__ import annotations

from collections import Counter

import pytest

from avrecords.supervision.sampling import Item, draw


def _items(sizes: dict[int, int]) -> list[Item]:
    """Activities of unit 1, `sizes[officer]` of each officer, ids in a row."""
    items, next_id = [], 1
    for officer, size in sizes.items():
        for _ in range(size):
            items.append(Item(activity_id=next_id, unit_id=1, officer_id=officer))
            next_id += 1
    return items


CASES = {
    # 23 activities at 25%: 6 drawn. Shares 4.5 and 1.25 → 4 and 1, the one left over goes
    # to the larger remainder (officer 1's 0.5), not to officer 2 (0.25).
    "the leftover goes to the largest remainder": ({1: 18, 2: 5}, 0.25, {1: 5, 2: 1}),
    # the same with the officers the other way round: the leftover follows the remainder, not
    # the order of the strata
    "the leftover follows the remainder, not the order": ({1: 5, 2: 18}, 0.25, {1: 1, 2: 5}),
    # 6 at 50%: 3 drawn. Shares 1.5 and 1.5 → 1 and 1; the tie goes to the first stratum.
    "a tied remainder goes to the first stratum": ({1: 3, 2: 3}, 0.5, {1: 2, 2: 1}),
    # 34 at 20%: 7 drawn. Shares 6 and four of 0.2 → 6 + 4 ones = 10: officer 1 gives 3 back.
    "the small strata's ones come from the large one": (
        {1: 30, 2: 1, 3: 1, 4: 1, 5: 1},
        0.2,
        {1: 3, 2: 1, 3: 1, 4: 1, 5: 1},
    ),
    # 54 at 20%: 11 drawn. Shares 6, 4 and four of 0.2 → 14: three given back, each time by the
    # stratum furthest over its share (ties to the first): 6→5, then 4→3, then 5→4.
    "two large strata give way in turn": (
        {1: 30, 2: 20, 3: 1, 4: 1, 5: 1, 6: 1},
        0.2,
        {1: 4, 2: 3, 3: 1, 4: 1, 5: 1, 6: 1},
    ),
    # 22 at 10%: 3 drawn. Shares 2 and two of 0.1 → 2 + 1 + 1 = 4: officer 1 gives one back
    # from his two, the only stratum with more than one.
    "a stratum of two gives one back": ({1: 20, 2: 1, 3: 1}, 0.1, {1: 1, 2: 1, 3: 1}),
    # 12 at 90%: 11 drawn. Shares 1.8 and 9 → 1 and 9; the one left goes to officer 1 (0.8).
    "a top-up never passes a stratum's size": ({1: 2, 2: 10}, 0.9, {1: 2, 2: 9}),
    # 10 at 95%: 10 drawn, everything: officer 1's one activity, all nine of officer 2's.
    "a full stratum is skipped when topping up": ({1: 1, 2: 9}, 0.95, {1: 1, 2: 9}),
}


@pytest.mark.parametrize("case", CASES)
def test_each_officer_gets_the_number_of_activities_the_rule_gives(case):
    sizes, ratio, expected = CASES[case]
    for seed in (1, 2, 2026):
        picked = draw(_items(sizes), ratio, seed)
        assert Counter(item.officer_id for item in picked) == expected
        assert len({item.activity_id for item in picked}) == len(picked)  # none twice
