"""What makes a resumable upload fast without loosening any bound (issue 19 §3, throughput;
M1, M2): `avrecords serve` keeps a part in memory instead of a temporary file, within a
budget for all parts at once; larger or surplus parts still wait in a temporary file."""

from __future__ import annotations

import gc

import pytest
from waitress.adjustments import Adjustments

from avrecords.web import body_limits
from avrecords.web.body_limits import IN_MEMORY_PART_BYTES, BodyLimitParser

MIB = 1024**2


def _parse(path: str, length: int, body: bytes = b"") -> BodyLimitParser:
    """The real waitress parser of `avrecords serve`, fed a PATCH's head and `body`."""
    parser = BodyLimitParser(Adjustments())
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        "Content-Type: application/offset+octet-stream\r\n\r\n"
    ).encode()
    data = head + body
    while data:
        data = data[parser.received(data) :]
        if parser.completed:
            break
    return parser


UPLOAD = "/api/v1/uploads/6f0c7e9e-7d7e-4c58-9f0e-6a1b2c3d4e5f"


def test_a_part_of_the_announced_size_is_kept_in_memory_not_in_a_temporary_file(db):
    body = bytes(range(256)) * (8 * MIB // 256)
    parser = _parse(UPLOAD, len(body), body)
    assert parser.completed
    buffer = parser.body_rcv.buf
    assert not buffer.overflowed  # no temporary file written and read back
    assert parser.get_body_stream().read() == body


def test_a_part_larger_than_any_client_is_told_to_send_waits_in_a_temporary_file(db):
    length = IN_MEMORY_PART_BYTES + 1
    parser = _parse(UPLOAD, length, b"x" * length)
    assert parser.completed
    assert parser.body_rcv.buf.overflowed


def test_other_paths_keep_waitress_s_temporary_file(db):
    body = b"y" * (2 * MIB)
    parser = _parse("/api/v1/recordings/uploads", len(body), body)
    assert parser.body_rcv.buf.overflowed


def test_parts_held_in_memory_are_bounded_all_together_and_given_back(db, monkeypatch):
    budget = body_limits._MemoryBudget(20 * MIB)
    monkeypatch.setattr(body_limits, "_memory_budget", budget)
    first = _parse(UPLOAD, 8 * MIB)
    second = _parse(UPLOAD, 8 * MIB)
    third = _parse(UPLOAD, 8 * MIB)  # over the budget: a temporary file, never refused
    assert budget.held == 16 * MIB
    third.received(b"z" * (8 * MIB))
    assert third.completed and third.body_rcv.buf.overflowed
    del first, second, third
    gc.collect()
    assert budget.held == 0


@pytest.mark.parametrize("length", [0, 40 * MIB])
def test_nothing_is_reserved_for_an_empty_or_oversized_part(db, monkeypatch, length):
    budget = body_limits._MemoryBudget(256 * MIB)
    monkeypatch.setattr(body_limits, "_memory_budget", budget)
    parser = _parse(UPLOAD, length)
    assert budget.held == 0
    del parser
