"""Who may see what (X2, first cut): officers their own, unit roles their subtree.

Every list, page and endpoint filters through these functions; an object outside the
user's scope is answered with 404, never with a hint that it exists.
"""

from django.db.models import Q, QuerySet

from avrecords.org.models import Role, Unit

UNIT_SCOPED_ROLES = {Role.ADMIN, Role.UNIT_HEAD, Role.LEADER, Role.SUPERVISOR, Role.ARCHIVIST}
INGEST_ROLES = {Role.ADMIN, Role.SYSADMIN}


def sees_everything(user) -> bool:
    return user.is_superuser or user.role == Role.SYSADMIN


def can_ingest(user) -> bool:
    """Run imports, see batches and quarantine: records administrators."""
    return user.is_authenticated and (sees_everything(user) or user.role in INGEST_ROLES)


def can_upload(user) -> bool:
    """Upload files through the web or API: administrators and officers (their own)."""
    return user.is_authenticated and (can_ingest(user) or user.role == Role.OFFICER)


def can_download_original(user) -> bool:
    """Download an original file (until approval chains land, administrators only; M3)."""
    return user.is_authenticated and (sees_everything(user) or user.role == Role.ADMIN)


def visible_units(user) -> QuerySet[Unit]:
    if not user.is_authenticated:
        return Unit.objects.none()
    if sees_everything(user):
        return Unit.objects.all()
    if user.unit_id is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=user.unit.path)


def scope_q(user, *, unit_field: str = "unit", officer_field: str = "officer") -> Q:
    """A filter selecting rows the user may see, for models with a unit and an officer."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if sees_everything(user):
        return Q()
    if user.role in UNIT_SCOPED_ROLES and user.unit_id is not None:
        return Q(**{f"{unit_field}__path__startswith": user.unit.path})
    return Q(**{officer_field: user.pk})
