"""Who may do what with collection stations (issue 19 §1). Managing and viewing are the scope
rule's (`org.scope.can_manage_stations`, `can_view_stations`, re-exported here for the app's
own modules); who *sees* a station is `equipment.Station.visible_q`."""

from __future__ import annotations

from avrecords.org.scope import can_manage_stations, can_view_stations

__all__ = ["can_manage_stations", "can_view_stations", "may_handle_refusals"]


def may_handle_refusals(user, station) -> bool:
    """Record how a refused camera was dealt with: the station's responsible person, or one
    who may manage stations."""
    if not user.is_authenticated:
        return False
    return can_manage_stations(user) or (
        station.responsible_id is not None and station.responsible_id == user.pk
    )
