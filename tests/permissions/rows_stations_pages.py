"""采集站 pages (issue 19 §1, §4): those who see the units' equipment open the stations list
and the page of a station in their scope (一中队采集站, {station}: 二中队's administrator and
unit head get 404); system administrators register, edit, retire stations and rotate their
tokens, each audited once on the station; the station's 负责人 (林海) and system
administrators record how a camera it refused ({refusal}) was handled — anyone else who sees
the station is refused, anyone who does not gets 404."""

from __future__ import annotations

from tests.permissions.rules import POLICY_MANAGERS, UNIT_SCOPE, Endpoint, Target, post

# stations.permissions: can_view_stations (org.scope.can_view_equipment), can_manage_stations
STATION_VIEWERS = frozenset(
    [
        "admin",
        "other_admin",
        "bureau_admin",
        "leader",
        "head1",
        "head2",
        "supervisor",
        "sysadmin",
        "superuser",
    ]
)
STATION_MANAGERS = POLICY_MANAGERS
# Station.visible_q: the equipment viewers over 一中队, and its 负责人 林海 (one of them).
STATION_SEEN_BY = (UNIT_SCOPE["squad1"] & STATION_VIEWERS) | {"admin"}
REFUSAL_HANDLERS = STATION_MANAGERS | {"admin"}


def _station_id(world) -> int:
    return world.station


STATION = Target(
    "一中队采集站",
    seen_after_permission=STATION_SEEN_BY,
    audited_as="equipment.station",
    audited_id=_station_id,
)
STATION_SEEN = Target(
    "一中队采集站 (seen first)",
    seen_by=STATION_SEEN_BY,
    audited_as="equipment.station",
    audited_id=_station_id,
)
NEW_STATION = Target("a new station", audited_as="equipment.station", audited_id=None)


def _station_form(world) -> dict:
    return {
        "name": "一中队采集站",
        "unit": world.ids()["unit"],
        "location": "二楼值班室",
        "responsible": world.users["admin"].pk,
    }


ROWS = [
    Endpoint("page-stations", "/stations/", STATION_VIEWERS),
    Endpoint("page-station-new", "/stations/new", STATION_MANAGERS),
    post(
        "page-station-register",
        "/stations/new",
        STATION_MANAGERS,
        NEW_STATION,
        audit="station.register",
        body=lambda w: {"name": "执法三中队采集站", "unit": w.ids()["unit"]},
    ),
    Endpoint("page-station", "/stations/{station}/", STATION_VIEWERS, STATION),
    Endpoint("page-station-edit", "/stations/{station}/edit", STATION_MANAGERS, STATION),
    post(
        "page-station-update",
        "/stations/{station}/edit",
        STATION_MANAGERS,
        STATION,
        audit="station.update",
        body=_station_form,
    ),
    post(
        "page-station-token",
        "/stations/{station}/token",
        STATION_MANAGERS,
        STATION,
        audit="station.token_rotate",
        body=lambda w: {"action": "rotate"},
    ),
    post(
        "page-station-retire",
        "/stations/{station}/retire",
        STATION_MANAGERS,
        STATION,
        audit="station.retire",
        body=lambda w: {"action": "retire"},
    ),
    post(
        "page-station-refusal-handle",
        "/stations/{station}/refusals/{refusal}/handle",
        REFUSAL_HANDLERS,
        STATION_SEEN,
        audit="station.refusal_handle",
        body=lambda w: {"how": "registered"},
    ),
]
