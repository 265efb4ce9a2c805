"""S2 sampling and M2 hashing: what `make mutate` found no test for (issue 23 §2).

Pure functions, no database: the spot-check sample a supervisor is given, and the SHA-256
every original is stored under (each test names the mutant it kills).
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter

from avrecords.lib.hashing import PipelinedHasher, copy_hashing, sha256_file
from avrecords.supervision.sampling import Item, draw, sample_size

# --- S2: the sample -------------------------------------------------------------------------


def test_ten_activities_at_thirty_percent_give_three_not_four():
    """0.3 × 10 is 3.0000000000000004 in floating point: the epsilon keeps it at 3
    (mutant: the epsilon added instead of taken off)."""
    assert sample_size(10, 0.3) == 3
    assert sample_size(7, 0.3) == 3  # 2.1 → 3
    assert sample_size(5, 0.0001) == 1  # at least one
    assert sample_size(4, 1.5) == 4  # never more than there are


def test_when_not_every_officer_can_be_drawn_the_busier_one_is_likelier():
    """One officer with 50 activities and 20 officers with one each, a sample of one: the
    stratum is drawn weighted by its size (50 of 70), reproducibly per seed (mutant: the
    weights dropped, giving the busy officer 1 chance in 21)."""
    items = [Item(n, 1, 1) for n in range(1, 51)]
    items += [Item(100 + k, 1, 100 + k) for k in range(20)]
    busy = 0
    for seed in range(200):
        (picked,) = draw(items, 0.01, seed)
        busy += picked.officer_id == 1
    assert busy > 110  # expected about 143 of 200; without weights about 10


def test_when_officers_outnumber_the_sample_each_is_drawn_at_most_once():
    items = [Item(k, 1, k) for k in range(1, 31)]  # 30 officers, one activity each
    for seed in range(20):
        picked = draw(items, 0.1, seed)
        assert len(picked) == 3 and len({i.officer_id for i in picked}) == 3


def test_the_sample_is_listed_by_unit_officer_then_activity():
    items = [
        Item(n, unit, officer) for n, (unit, officer) in enumerate([(2, 1), (1, 2), (1, 1)] * 6, 1)
    ]
    picked = draw(items, 0.5, 2026)
    keys = [(i.unit_id, i.officer_id, i.activity_id) for i in picked]
    assert keys == sorted(keys)
    assert Counter((u, o) for u, o, _ in keys) == {(1, 1): 3, (1, 2): 3, (2, 1): 3}


# --- M2: hashing ----------------------------------------------------------------------------


class _ReadOnly:
    """A stream with read() only (a socket-like source): no readinto, no file descriptor."""

    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._io.read(n)


def _copy(src, chunk_bytes: int):
    out = bytearray()
    sizes: list[int] = []
    hasher = PipelinedHasher()
    try:
        total = copy_hashing(
            src, out.extend, hasher, chunk_bytes=chunk_bytes, progress=sizes.append
        )
        return total, bytes(out), hasher.hexdigest(), sizes
    finally:
        hasher.close()


def test_a_stream_of_many_chunks_is_copied_and_hashed_whole_with_either_kind_of_read():
    data = bytes(range(256)) * 41 + b"tail"  # 10,500 bytes: ten chunks and a short one
    for src in (io.BytesIO(data), _ReadOnly(data)):
        total, copied, digest, sizes = _copy(src, 1000)
        assert (total, copied) == (len(data), data)
        assert digest == hashlib.sha256(data).hexdigest()
        assert sizes == [1000] * 10 + [500]  # progress per chunk, the bar ends at the size


def test_an_empty_stream_copies_nothing_and_hashes_to_the_empty_digest():
    total, copied, digest, sizes = _copy(io.BytesIO(b""), 1000)
    assert (total, copied, sizes) == (0, b"", [])
    assert digest == hashlib.sha256(b"").hexdigest()


def test_a_file_is_hashed_to_its_end_across_chunks(tmp_path):
    path = tmp_path / "clip.mp4"
    data = b"\x00\x01camera" * 5000
    path.write_bytes(data)
    assert sha256_file(str(path), chunk_bytes=4096) == hashlib.sha256(data).hexdigest()
