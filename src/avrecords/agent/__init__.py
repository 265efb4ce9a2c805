"""The station agent (采集站代理, issue 19 §2): `avrecords station run --config station.toml`.

It runs on a collection station's PC, watches where docked body cameras appear, asks the
platform whether each camera is registered to the station's agency, copies and hashes every
file once into a local spool, uploads it with the resumable protocol (tus 1.0.0, `tuspy`) to
`/api/v1/uploads/`, compares the platform's SHA-256 with its own and only then, if told to,
erases the file from the camera. A local SQLite journal makes a restart or a power cut resume
instead of starting again, and never upload a verified file twice.

In HTTP mode nothing here sets Django up: the agent is a client of the platform, installed
with the package on a PC that has no database. Only `direct = true` (the station is the
platform host) sets Django up and imports the ingest (`agent/direct.py`).

Modules: `config` (station.toml), `cameras` (docked cameras, their serial and files),
`journal` (the local SQLite journal), `spool` (copy and hash in one pass), `platform` (the
platform's station API and the tus client), `runner` (cameras in parallel, the heartbeat),
`direct` (ingest on the platform host), `commands` (`avrecords station …`).
"""
