"""Who may see what (X2, first cut): officers their own, unit roles their subtree.

Every list, page and endpoint filters through these functions; an object outside the
user's scope is answered with 404, never with a hint that it exists.
"""

from django.db.models import Q, QuerySet

from avrecords.org.models import Role, Unit

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


def can_download_original(user) -> bool:
    """Download an original file (until approval chains land, administrators only; M3)."""
    return user.is_authenticated and (sees_everything(user) or user.role == Role.ADMIN)


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


EQUIPMENT_MANAGERS = {Role.ADMIN, Role.SYSADMIN}
EQUIPMENT_VIEWERS = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.SYSADMIN}


def can_manage_equipment(user) -> bool:
    """Keep the equipment ledger (E1–E7): register and import devices, issue and return them,
    record repairs and losses, run clearances: equipment administrators of their units."""
    return user.is_authenticated and (sees_everything(user) or user.role in EQUIPMENT_MANAGERS)


def can_view_equipment(user) -> bool:
    """See the units' ledger, staffing report and dashboard (officers see their own devices)."""
    return user.is_authenticated and (sees_everything(user) or user.role in EQUIPMENT_VIEWERS)


def visible_units(user) -> QuerySet[Unit]:
    if not user.is_authenticated:
        return Unit.objects.none()
    if sees_everything(user):
        return Unit.objects.all()
    if user.unit_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=user.unit.path)


def subtree_unit_ids(unit: Unit) -> list[int]:
    """The unit and every unit below it (units are few; rows are many)."""
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


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
    if user.role in UNIT_SCOPED_ROLES and user.unit_id is not None:
        if resolve_units:
            return Q(**{f"{unit_field}__in": subtree_unit_ids(user.unit)})
        return Q(**{f"{unit_field}__path__startswith": user.unit.path})
    own = Q(**{officer_field: user.pk})
    return own | Q(**{keeper_field: user.pk}) if keeper_field else own
