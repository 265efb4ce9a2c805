"""S2: the stratified sampler (supervision/sampling.py) is reproducible and fair.

Properties over random populations: the same seed gives the same sample; the size is
ceil(ratio × N), at least one, at most N; the sample is a subset without duplicates; every
(unit, officer) stratum is represented when the size allows, and each stratum gets ratio ×
its size within one — whenever that is possible at all: when many small strata each need
their one, the larger strata must give way (a fixed example shows how)."""

from __future__ import annotations

import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from avrecords.supervision.sampling import Item, draw, sample_size

UNITS = st.integers(min_value=1, max_value=4)
OFFICERS = st.integers(min_value=0, max_value=5)  # 0: no officer recorded
RATIOS = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)
SEEDS = st.integers(min_value=0, max_value=2**63 - 1)


@st.composite
def populations(draw_from, min_size: int = 0, max_size: int = 60) -> list[Item]:
    strata = draw_from(st.lists(st.tuples(UNITS, OFFICERS), min_size=min_size, max_size=max_size))
    return [Item(activity_id=n, unit_id=u, officer_id=o) for n, (u, o) in enumerate(strata, 1)]


def _strata(items) -> Counter:
    return Counter((i.unit_id, i.officer_id) for i in items)


@settings(max_examples=60, deadline=None)
@given(populations(), RATIOS, SEEDS)
def test_it_draws_the_same_sample_from_the_same_seed(items, ratio, seed):
    assert draw(items, ratio, seed) == draw(list(reversed(items)), ratio, seed)


@settings(max_examples=60, deadline=None)
@given(populations(min_size=1), RATIOS, SEEDS)
def test_it_draws_ceil_ratio_times_n_at_least_one_at_most_n(items, ratio, seed):
    picked = draw(items, ratio, seed)
    expected = min(len(items), max(1, math.ceil(ratio * len(items) - 1e-9)))
    assert len(picked) == expected == sample_size(len(items), ratio)
    assert 1 <= len(picked) <= len(items)


@settings(max_examples=60, deadline=None)
@given(populations(), RATIOS, SEEDS)
def test_it_draws_a_subset_without_duplicates(items, ratio, seed):
    picked = draw(items, ratio, seed)
    ids = [i.activity_id for i in picked]
    assert len(ids) == len(set(ids))
    assert set(picked) <= set(items)


@settings(max_examples=60, deadline=None)
@given(populations(min_size=1), RATIOS, SEEDS)
def test_it_represents_every_stratum_when_the_size_allows(items, ratio, seed):
    picked = draw(items, ratio, seed)
    if len(picked) >= len(_strata(items)):
        assert set(_strata(picked)) == set(_strata(items))


def _ones_fit(sizes: Counter, ratio: float, n: int) -> bool:
    """Whether giving every stratum at least one leaves room for the others' shares."""
    return sum(max(1, math.floor(ratio * size + 1e-9)) for size in sizes.values()) <= n


@settings(max_examples=60, deadline=None)
@given(populations(min_size=1), RATIOS, SEEDS)
def test_it_allocates_each_stratum_within_one_of_ratio_times_its_size(items, ratio, seed):
    picked = draw(items, ratio, seed)
    sizes, got = _strata(items), _strata(picked)
    if len(picked) < len(sizes) or not _ones_fit(sizes, ratio, len(picked)):
        return
    for stratum, size in sizes.items():
        assert abs(got[stratum] - ratio * size) < 1, (stratum, got[stratum], ratio * size)


@settings(max_examples=60, deadline=None)
@given(populations(min_size=1), RATIOS, SEEDS)
def test_it_never_gives_a_stratum_more_than_its_share_rounded_up_or_its_one(items, ratio, seed):
    """When many small strata each need their one, only the larger strata give way."""
    picked = draw(items, ratio, seed)
    sizes, got = _strata(items), _strata(picked)
    if len(picked) < len(sizes):
        return
    for stratum, size in sizes.items():
        assert 1 <= got[stratum] <= max(1, math.floor(ratio * size + 1e-9) + 1)


def test_it_lets_the_large_stratum_give_way_when_small_strata_need_their_one():
    """Ten officers with one activity each and one with a thousand, 10%: 101 drawn; each of
    the ten is in (above his 0.1 share), so the thousand's share of 100 cannot be met."""
    items = [Item(n, 1, n) for n in range(1, 11)]
    items += [Item(n, 1, 99) for n in range(11, 1011)]
    got = _strata(draw(items, 0.1, 2026))
    assert sum(got.values()) == 101
    assert all(got[(1, n)] == 1 for n in range(1, 11))
    assert got[(1, 99)] == 91


@settings(max_examples=60, deadline=None)
@given(populations(min_size=1), SEEDS)
def test_it_draws_everything_at_ratio_one(items, seed):
    assert sorted(draw(items, 1.0, seed), key=lambda i: i.activity_id) == sorted(
        items, key=lambda i: i.activity_id
    )


def test_it_draws_nothing_from_an_empty_population():
    assert draw([], 0.5, 7) == []
    assert sample_size(0, 0.5) == 0


def test_it_usually_draws_a_different_sample_from_a_different_seed():
    items = [Item(n, 1 + n % 3, 10 + n % 7) for n in range(1, 201)]
    samples = {tuple(i.activity_id for i in draw(items, 0.1, seed)) for seed in (1, 2, 3)}
    assert len(samples) == 3


def test_it_gives_each_officer_one_before_sharing_out_the_rest():
    """Two officers, 9 and 1 activities, 30%: three drawn; the officer with one is in."""
    items = [Item(n, 1, 1) for n in range(1, 10)] + [Item(10, 1, 2)]
    picked = draw(items, 0.3, 2026)
    assert len(picked) == 3
    assert _strata(picked) == Counter({(1, 1): 2, (1, 2): 1})
