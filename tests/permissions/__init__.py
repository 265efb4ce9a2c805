"""The permission matrix (X2): who may open which page or call which endpoint.

- `rules.py`: the stock users, the role groups every app uses, the shared scopes, and the two
  row types: `Target` (an object a path names: who sees it, what its audit entry names) and
  `Endpoint` (one page or API operation: who may use it, what it sends, what it answers).
- `rows_<app>.py`: each app's rows, with the groups and objects only that app's rows use.
- `rows.py`: every row, in one list (`ENDPOINTS`).
- `world.py`, `world_records.py`: the objects the rows act on, built once per test module.
- `matrix.py`: sending a row's request and the one check every row gets (403 / 404 out of
  scope / the permitted answer with exactly one audit entry).

The tests are `tests/test_permissions.py`. Adding a page or an API route: add its row to its
app's `rows_<app>.py` (and the object it names to the world); the completeness tests fail
until every route has one.
"""
