"""Recordings in the admin site: read-only (M2: evidence is never edited or deleted here),
listed through the same scope-and-clearance rule as every page (X2, M9: a superuser not
cleared for a mark does not see what it covers), and each recording's page opened here is
audited as a view, as on the recording's own page (X1). The one act offered, 按保存期限清除,
is retention's: retention/admin.py registers this admin again with it (recordings sits
below retention and names none of it)."""

from django.contrib import admin

from avrecords.audit.admin_mixins import AuditedViewAdminMixin
from avrecords.org.scope import recording_q
from avrecords.recordings.models import Recording


@admin.register(Recording)
class RecordingAdmin(AuditedViewAdminMixin, admin.ModelAdmin):
    list_display = ["original_name", "started_at", "officer", "unit", "status", "purged_at"]
    list_filter = ["media_kind", "status"]
    search_fields = ["original_name", "sha256"]
    list_select_related = ["officer", "unit"]
    view_action = "recording.view"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recording_q(request.user))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
