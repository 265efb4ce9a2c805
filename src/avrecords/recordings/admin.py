"""Recordings in the admin site: read-only (M2: evidence is never edited or deleted here),
listed through the same scope-and-clearance rule as every page (X2, M9: a superuser not
cleared for a mark does not see what it covers), and each recording's page opened here is
audited as a view, as on the recording's own page (X1). The one act offered is 按保存期限清除,
which goes through the guarded purge service (M5): anything not on an approved disposal
list, not yet due or held is refused, audited, and the reason shown."""

from django.contrib import admin, messages

from avrecords.audit.admin_mixins import AuditedViewAdminMixin
from avrecords.org.scope import recording_q
from avrecords.recordings.models import Recording
from avrecords.retention import purge
from avrecords.retention.approvals import Refused


@admin.register(Recording)
class RecordingAdmin(AuditedViewAdminMixin, admin.ModelAdmin):
    list_display = ["original_name", "started_at", "officer", "unit", "status", "purged_at"]
    list_filter = ["media_kind", "status"]
    search_fields = ["original_name", "sha256"]
    list_select_related = ["officer", "unit"]
    actions = ["purge_by_retention"]
    view_action = "recording.view"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recording_q(request.user))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="按保存期限清除")
    def purge_by_retention(self, request, queryset):
        ip = request.META.get("REMOTE_ADDR", "")
        for recording in queryset:
            try:
                outcome = purge.purge_recording(request.user, recording, path="admin", ip=ip)
            except Refused as exc:
                self.message_user(
                    request, f"{recording.original_name}：拒绝清除：{exc}", messages.ERROR
                )
                continue
            if outcome == "purged":
                self.message_user(request, f"{recording.original_name}：已按保存期限清除")
            else:
                self.message_user(
                    request,
                    f"{recording.original_name}：存储拒绝清除，未清除（见清除清单说明）",
                    messages.WARNING,
                )
