"""Who may see what (X2): officers their own, unit roles their subtree, supervisors the
units assigned to them, system administrators everything; confidential items (M9) only
people cleared for their mark.

Each scoped model states its own scope once, as `visible_q(user)` (or `visible_rows`) built
from these functions, and every list, page and endpoint reads it through
`Model.objects.visible_to(user)` / `get_visible(user, pk)` (`ScopedManager`, issue 16 §4);
an object outside the user's scope is answered with 404, never with a hint that it exists.
"""

from functools import reduce
from operator import or_

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from avrecords.org.managers import ScopedManager, ScopedQuerySet  # noqa: F401 (the one manager)
from avrecords.org.models import Role, Secrecy, Unit

UNIT_SCOPED_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.ARCHIVIST}
INGEST_ROLES = {Role.ADMIN, Role.SYSADMIN}
FIXITY_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SYSADMIN}


def sees_everything(user) -> bool:
    return user.is_superuser or user.role == Role.SYSADMIN


def can_ingest(user) -> bool:
    """Run imports, see batches and quarantine: records administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in INGEST_ROLES)


def can_upload(user) -> bool:
    """Upload files through the web or API: administrators and officers (their own)."""
    return user.is_authenticated and (can_ingest(user) or user.role == Role.OFFICER)


def can_edit_case_info(user) -> bool:
    """Fill in a recording's 案件编号, 当事人 and 地点 (M4): records administrators within their
    scope, and officers on their own recordings (the only ones in an officer's scope)."""
    return user.is_authenticated and (can_ingest(user) or user.role == Role.OFFICER)


ACTIVITY_ROLES = {Role.OFFICER, Role.ADMIN, Role.UNIT_HEAD, Role.SYSADMIN}


def can_record_activity(user) -> bool:
    """Enter, import and link enforcement activities (U1)."""
    return user.is_authenticated and (sees_everything(user) or user.role in ACTIVITY_ROLES)


def can_import_activities(user) -> bool:
    return user.is_authenticated and (sees_everything(user) or user.role in INGEST_ROLES)


def can_manage_policies(user) -> bool:
    """Create, edit and assign policy profiles; keep the holiday table (X3, M1)."""
    return user.is_authenticated and sees_everything(user)


def can_view_fixity(user) -> bool:
    """See fixity alarms, coverage and checks (M2): administrators, unit heads and leaders."""
    return user.is_authenticated and (sees_everything(user) or user.role in FIXITY_ROLES)


def can_acknowledge_fixity(user) -> bool:
    """Acknowledge a fixity alarm (M2): records administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in INGEST_ROLES)


def can_view_audit_anchors(user) -> bool:
    """See the audit chain's signed anchors and the public key, print them (X1): system
    administrators, who keep the key, and supervisors, who check the records' integrity."""
    return user.is_authenticated and (sees_everything(user) or user.role == Role.SUPERVISOR)


EQUIPMENT_MANAGERS = {Role.ADMIN, Role.SYSADMIN}
EQUIPMENT_VIEWERS = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.SYSADMIN}


def can_manage_equipment(user) -> bool:
    """Keep the equipment ledger (E1–E7): register and import devices, issue and return them,
    record repairs and losses, run clearances: equipment administrators of their units."""
    return user.is_authenticated and (sees_everything(user) or user.role in EQUIPMENT_MANAGERS)


def can_view_equipment(user) -> bool:
    """See the units' ledger, staffing report and dashboard (officers see their own devices)."""
    return user.is_authenticated and (sees_everything(user) or user.role in EQUIPMENT_VIEWERS)


def can_manage_stations(user) -> bool:
    """Register, edit, retire and reinstate collection stations, rotate and revoke their tokens
    (issue 19 §1): system administrators, as for the unit tree. Who sees a station is
    `equipment.Station.visible_q`; its 负责人 also records how a refused camera was dealt with
    (`stations.permissions.may_handle_refusals`)."""
    return user.is_authenticated and sees_everything(user)


def can_view_stations(user) -> bool:
    """Open the stations pages and list: those who see the units' equipment (not officers)."""
    return can_view_equipment(user)


def scope_roots(user) -> list[str]:
    """Materialised paths of the units whose subtrees make up the user's unit scope.

    A supervisor's scope is the units assigned to him to supervise (004§22: 挂钩的委属单位),
    or his own unit while none is assigned; other unit roles their own unit. Empty for
    officers and people without a unit. Cached on the user object for the request."""
    cached = getattr(user, "_scope_roots", None)
    if cached is not None:
        return cached
    roots: list[str] = []
    if user.is_authenticated and user.role in UNIT_SCOPED_ROLES:
        if user.role == Role.SUPERVISOR and user.pk:
            roots = list(user.supervised_units.values_list("path", flat=True))
        if not roots and user.unit_id is not None:
            roots = [user.unit.path]
    user._scope_roots = roots
    return roots


def unit_q(user, unit_field: str = "unit") -> Q:
    """Rows whose unit lies in the user's unit scope (Q(pk__in=[]) when there is none)."""
    roots = scope_roots(user)
    if not roots:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{unit_field}__path__startswith": path}) for path in roots))


def in_unit_scope(user, unit: Unit | None) -> bool:
    if unit is None:
        return False
    if sees_everything(user):
        return True
    return any(unit.path.startswith(path) for path in scope_roots(user))


def has_unit_scope(user) -> bool:
    return bool(scope_roots(user))


def subtree_unit_ids(unit: Unit) -> list[int]:
    """The unit and every unit below it (units are few; rows are many)."""
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


def scope_unit_ids(user) -> list[int]:
    roots = scope_roots(user)
    if not roots:
        return []
    return list(
        Unit.objects.filter(reduce(or_, (Q(path__startswith=p) for p in roots))).values_list(
            "pk", flat=True
        )
    )


MARKS = tuple(value for value in Secrecy.values if value)


def uncleared_marks(user) -> list[str]:
    """The confidentiality marks the user is not cleared for (M9)."""
    if not user.is_authenticated:
        return list(MARKS)
    cleared = set(user.secrecy_clearances or [])
    return [mark for mark in MARKS if mark not in cleared]


def cleared_for(user, mark: str) -> bool:
    return not mark or mark not in uncleared_marks(user)


def secrecy_q(user, field: str = "secrecy", own: Q | None = None) -> Q:
    """Rows whose confidentiality mark the user is cleared for (M9); `own` rows (e.g. the
    officer's own recordings) stay visible to him whatever their mark."""
    hidden = uncleared_marks(user)
    if not hidden:
        return Q()
    allowed = ~Q(**{f"{field}__in": hidden})
    return allowed | own if own is not None else allowed


def scope_q(
    user,
    *,
    unit_field: str = "unit",
    officer_field: str = "officer",
    keeper_field: str | None = None,
    resolve_units: bool = False,
) -> Q:
    """A filter selecting rows the user may see, for models with a unit and an officer.

    With resolve_units the subtree is looked up first and given as a list of unit ids: on a
    large table `unit_id IN (…)` lets the planner use the (unit, started_at) index and its
    statistics, where a join on the unit path would not (M4 search at scale).

    keeper_field names a recording's 交接保管人: an officer also sees what a colleague who left
    handed over to him (E5)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if sees_everything(user):
        return Q()
    if has_unit_scope(user):
        if resolve_units:
            return Q(**{f"{unit_field}__in": scope_unit_ids(user)})
        return unit_q(user, unit_field)
    own = Q(**{officer_field: user.pk})
    return own | Q(**{keeper_field: user.pk}) if keeper_field else own


def recording_q(
    user, *, prefix: str = "", resolve_units: bool = False, uploads_waiting: bool = True
) -> Q:
    """Recordings the user may see: unit scope (X2), own or handed-over ones for officers,
    and only marks he is cleared for (M9) — except his own recordings, which stay his.
    A file he uploaded that waits for an administrator to bind it (待指派, bound to nobody)
    stays in his sight too; once bound it is its officer's (M1, issue 15).
    `prefix` reaches the recording through a relation, e.g. "recording__".
    `uploads_waiting=False`, from a caller that has found he has no such file, leaves that
    condition out: the same rows, without an OR that keeps SQLite off the time indexes."""
    pending = Q(**{f"{prefix}uploaded_by": user.pk, f"{prefix}officer__isnull": True})
    own = Q(**{f"{prefix}officer": user.pk}) | Q(**{f"{prefix}keeper": user.pk})
    if uploads_waiting:
        own |= pending
    scope = scope_q(
        user,
        unit_field=f"{prefix}unit",
        officer_field=f"{prefix}officer",
        keeper_field=f"{prefix}keeper",
        resolve_units=resolve_units,
    )
    if uploads_waiting and user.is_authenticated and not sees_everything(user):
        scope |= pending
    return scope & secrecy_q(user, f"{prefix}secrecy", own=own if user.is_authenticated else None)


def recording_shown(user, prefix: str = "recording__") -> Case:
    """An annotation for rows that refer to a recording (a finding, a clock flag…): true when
    the user may see it, false when he may not or there is none. The row stays listed for the
    work it asks for; the page and API leave the reference out where it is false (M9)."""
    seen = Q(**{f"{prefix}pk__isnull": False}) & recording_q(user, prefix=prefix)
    return Case(When(seen, then=Value(True)), default=Value(False), output_field=BooleanField())


def shown_and_withheld(user, qs: QuerySet, prefix: str = "") -> tuple[QuerySet, int]:
    """The rows of `qs` whose recording (reached through `prefix`, "" for recordings
    themselves) the user may see, and how many others there are: a list leaves those out and
    says only how many (M9: "另有 N 条…未显示"), never their names, times or ids."""
    shown = qs.filter(recording_q(user, prefix=prefix))
    return shown, qs.count() - shown.count()
