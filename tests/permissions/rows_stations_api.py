"""采集站 API (issue 19 §1, §4). /api/v1/stations: those who see the units' equipment list the
stations of their scope; a station outside one's sight ({station}: 一中队采集站) is 404 before any
permission is asked; system administrators register (201), change, retire and rotate or revoke
its token, each audited once on the station; reinstating a station in service is refused (409,
nothing recorded). /api/v1/station/…: the agent's own, opened only by a station's token — a
person's session is answered 401 whoever he is (tests/test_stations_credentials.py tries the
tokens)."""

from __future__ import annotations

from tests.permissions.rows_stations_pages import (
    NEW_STATION,
    STATION_MANAGERS,
    STATION_SEEN,
    STATION_VIEWERS,
)
from tests.permissions.rules import EVERYONE, Endpoint, api_post

STATION_API = "/api/v1/stations/{station}"

ROWS = [
    Endpoint("api-stations", "/api/v1/stations", STATION_VIEWERS),
    api_post(
        "api-station-create",
        "/api/v1/stations",
        STATION_MANAGERS,
        NEW_STATION,
        ok=201,
        audit="station.register",
        body=lambda w: {"name": "执法三中队采集站", "unit_id": w.ids()["unit"]},
    ),
    Endpoint("api-station", STATION_API, STATION_VIEWERS, STATION_SEEN),
    Endpoint(
        "api-station-change",
        STATION_API,
        STATION_MANAGERS,
        STATION_SEEN,
        method="PATCH",
        audit="station.update",
        body=lambda w: {"location": "二楼值班室"},
        content_type="application/json",
    ),
    api_post(
        "api-station-retire",
        STATION_API + "/retire",
        STATION_MANAGERS,
        STATION_SEEN,
        audit="station.retire",
    ),
    api_post(
        "api-station-reinstate",
        STATION_API + "/reinstate",
        STATION_MANAGERS,
        STATION_SEEN,
        ok=409,
    ),
    api_post(
        "api-station-rotate-token",
        STATION_API + "/rotate-token",
        STATION_MANAGERS,
        STATION_SEEN,
        audit="station.token_rotate",
    ),
    api_post(
        "api-station-revoke-token",
        STATION_API + "/revoke-token",
        STATION_MANAGERS,
        STATION_SEEN,
        audit="station.token_revoke",
    ),
    Endpoint("api-station-agent-me", "/api/v1/station/me", EVERYONE, ok=401),
    api_post("api-station-agent-heartbeat", "/api/v1/station/heartbeat", EVERYONE, ok=401),
    api_post(
        "api-station-agent-camera",
        "/api/v1/station/cameras/check",
        EVERYONE,
        ok=401,
        body=lambda w: {"serial": "3501001"},
    ),
]
