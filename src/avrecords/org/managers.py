"""One scope rule per model (issue 16 §4): `Model.objects.visible_to(user)`.

Kept apart from `org.scope` so that models of every app, `org.models` included, may use the
manager: `org.scope` reads `org.models`, and this module reads no model at all. The rules a
model builds its `visible_q` from (`scope_q`, `recording_q`, `unit_q`, `secrecy_q`,
`sees_everything`…) live in `org.scope`.
"""

from django.db import models
from django.db.models import QuerySet

from avrecords.lib.refusals import NotFound


class ScopedQuerySet(QuerySet):
    """`Model.objects.visible_to(user)`: the rows of a scoped model the user may see.

    The model says what its scope is with a classmethod `visible_q(user) -> Q`, built from
    the rules in `org.scope` (`scope_q`, `recording_q`, `unit_q`, `secrecy_q`); it may also
    define `visible_rows(qs, user) -> QuerySet` instead where a Q cannot say it (a subquery, an
    annotation) or to add the joins every list of it needs. Nothing else decides visibility:
    lists, pages, API and jobs all come here. Anonymous users see nothing. Out of scope is
    404, identical to missing (X2)."""

    def visible_to(self, user) -> QuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        rows = getattr(self.model, "visible_rows", None)
        if rows is not None:
            return rows(self, user)
        return self.filter(self.model.visible_q(user))

    def get_visible(self, user, pk, **lookups):
        """The one object the user may see, or `NotFound` (missing and out of scope alike)."""
        try:
            return self.visible_to(user).get(pk=pk, **lookups)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
