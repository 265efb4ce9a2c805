"""Template context shared by every page: which menu entries the user may see (X2), and the
numbers beside them; `web/menu.py` turns these flags into the side menu."""

import functools

from avrecords import worklist
from avrecords.access.register import can_view_registers
from avrecords.agency.permissions import can_manage_people, can_manage_units, can_set_up
from avrecords.fixity.services import menu_context as fixity_menu
from avrecords.notices.services import unread_count
from avrecords.org.models import Role
from avrecords.org.scope import (
    can_ingest,
    can_manage_equipment,
    can_manage_policies,
    can_upload,
    can_view_audit_anchors,
    can_view_equipment,
    can_view_fixity,
)
from avrecords.retention.approvals import can_read as can_read_retention
from avrecords.stations.permissions import can_view_stations
from avrecords.supervision.campaigns import can_read as can_view_supervision
from avrecords.web.login_throttle import can_unlock


def roles(request):
    # Panels of a page render with the request too: the counts are taken once per request.
    if (known := getattr(request, "_avrecords_menu", None)) is not None:
        return known
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    request._avrecords_menu = {
        "can_ingest": signed_in and can_ingest(user),
        "can_upload": signed_in and can_upload(user),
        "can_manage_policies": signed_in and can_manage_policies(user),
        "can_view_equipment": signed_in and can_view_equipment(user),
        "can_manage_equipment": signed_in and can_manage_equipment(user),
        # the per-app badges are the app's own sources' share of 待办, counted once a page
        "access_todo": functools.cache(lambda: worklist.count_for(user, "access"))
        if signed_in
        else 0,
        "can_view_registers": signed_in and can_view_registers(user),
        "fixity": fixity_menu(user) if signed_in else {},
        "can_read_retention": signed_in and can_read_retention(user),
        "retention_todo": functools.cache(lambda: worklist.count_for(user, "retention"))
        if signed_in
        else 0,
        "can_view_supervision": signed_in and can_view_supervision(user),
        "can_view_audit_anchors": signed_in and can_view_audit_anchors(user),
        # the years' reviews due: the 待办 source's own count, not a second reading of them
        "supervision_todo": functools.cache(lambda: worklist.count_for(user, "supervision.reviews"))
        if signed_in
        else 0,
        "can_unlock_logins": signed_in and can_unlock(user),
        "can_view_fixity": signed_in and can_view_fixity(user),
        "can_read_policies": signed_in and user.role != Role.OFFICER,
        "can_manage_units": signed_in and can_manage_units(user),
        "can_view_stations": signed_in and can_view_stations(user),
        "can_manage_people": signed_in and can_manage_people(user),
        "can_set_up": signed_in and can_set_up(user),
        "is_staff": signed_in and user.is_staff,
        # the menu, quick links and search: not for a person who owes a step first (his own
        # password, his second factor); the pages they lead to would only send him back, and
        # the menu's counts request on the step's page would reload it in a loop
        "in_shell": signed_in
        and not user.must_change_password
        and not getattr(request, "two_factor_pending", None),
        # Counts are callables, cached: a page that shows no menu (an HTMX fragment) asks none.
        "worklist_count": functools.cache(lambda: worklist.count_for(user)) if signed_in else 0,
        "unread_count": functools.cache(lambda: unread_count(user)) if signed_in else 0,
    }
    return request._avrecords_menu
