"""What every page pays (issue 22 §4): each page asks `/menu/counts` after it has loaded, and
the 待办 count behind it asks every worklist source; `/todo/` lists them all. Their number of
SQL queries, for each role, must not grow with the rows waiting (a source deciding each row
through the approvals engine, one profile read per row, made the count cost a query or more
per pending item), and stays under a pinned maximum so that a new per-request cost is seen.

Each case builds the scope world (tests/scope_world.py: one row of every kind in each squad),
counts the queries of one request, adds 2N more rows of every kind a source lists (findings,
access requests, violations, decisions, campaigns, disposal lists, clearances, clock flags,
holds, stations, messages) and counts again: the two counts must be equal."""

from __future__ import annotations

import pytest
from django.db import connection

from avrecords.access.models import AccessRequest
from avrecords.org.models import Role
from tests import test_query_counts as rows
from tests.conftest import client_for
from tests.scope_world import World

N = 2

# one added row of each kind a worklist source lists (or the menu counts)
GROW = (
    rows._finding,
    rows._request,
    rows._pending_violation,
    rows._decision,
    rows._campaign,
    rows._disposal,
    rows._clearance,
    rows._flag,
    rows._hold,
    rows._station,
    rows._notice,
)

URLS = ("/menu/counts", "/todo/")

# The queries of one request in the scope world, as measured on SQLite (issue 22 §4: officer
# 9 and 12, admin 29 and 31, unit head 30 and 32, leader 29 and 31, supervisor 33 and 35,
# system administrator 29 and 31, archivist 25 and 26: the menu counts the findings in one
# query, retention and supervision read the profiles of their rows together, and retention
# scopes each kind of its work only when one waits), plus three: a source or a menu flag
# added later may raise these, knowingly.
MAX_QUERIES = {
    "officer": {"/menu/counts": 12, "/todo/": 15},
    "admin": {"/menu/counts": 32, "/todo/": 34},
    "head2": {"/menu/counts": 33, "/todo/": 35},
    "leader": {"/menu/counts": 32, "/todo/": 34},
    "supervisor": {"/menu/counts": 36, "/todo/": 38},
    "sysadmin": {"/menu/counts": 32, "/todo/": 34},
    "archivist": {"/menu/counts": 28, "/todo/": 29},
}


def _viewer(world: World, org, name: str):
    if name == "archivist":
        return org._user("dangan", "刘洋", Role.ARCHIVIST, org.bureau)
    return world.viewer(name)


def _queries(client, url: str) -> int:
    executed: list[str] = []

    def record(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(executed)


@pytest.mark.parametrize("role", sorted(MAX_QUERIES))
def test_it_counts_the_menu_and_lists_the_inbox_in_queries_constant_in_the_rows(org, role):
    world = World(org)
    # the world's requests have no approval chain of their own; a decided request has one
    AccessRequest.objects.update(chain=["unit_head"])
    client = client_for(_viewer(world, org, role))
    for url in URLS:
        client.get(url)  # the first request of a session pays once for what is then kept
    before = {url: _queries(client, url) for url in URLS}
    for grow in GROW:
        for _ in range(2 * N):
            grow(world)
    after = {url: _queries(client, url) for url in URLS}
    assert after == before, f"{role}: queries grew with the rows waiting: {before} -> {after}"
    for url in URLS:
        assert after[url] <= MAX_QUERIES[role][url], (role, url, after[url])
