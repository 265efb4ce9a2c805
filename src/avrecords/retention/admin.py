"""Retention in the admin site (M5, S1): to look, never to change. Every change goes through
the services (pages, API, command line), which check the rules and audit each step; a
destruction record is kept forever. Rows that name a recording are listed through the
scope-and-clearance rule, as the recordings themselves are (X2, M9).

The one act of the admin on recordings, 按保存期限清除, is added here to the recordings'
admin (registered again with it): it goes through the guarded purge service (M5), so
anything not on an approved disposal list, not yet due or held is refused, audited, and the
reason shown."""

from django.contrib import admin, messages

from avrecords.lib.http import client_ip
from avrecords.org.scope import recording_q
from avrecords.recordings.admin import RecordingAdmin
from avrecords.recordings.models import Recording
from avrecords.retention import purge
from avrecords.retention.approvals import Refused
from avrecords.retention.models import (
    DestructionRecord,
    DisposalList,
    LegalHold,
    RecordingRetention,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecordingRetention)
class RecordingRetentionAdmin(ReadOnlyAdmin):
    list_display = ["recording", "category_name", "keep_until", "pending", "held", "cite"]
    list_filter = ["profile_code", "category_name", "held", "pending"]
    search_fields = ["recording__original_name", "recording__sha256"]
    list_select_related = ["recording"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recording_q(request.user, prefix="recording__"))


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "status", "unit", "case", "activity", "placed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "reference"]


@admin.register(DisposalList)
class DisposalListAdmin(ReadOnlyAdmin):
    list_display = ["number", "unit", "status", "created_at", "reviewed_at", "approved_at"]
    list_filter = ["status"]
    search_fields = ["number"]


@admin.register(DestructionRecord)
class DestructionRecordAdmin(ReadOnlyAdmin):
    list_display = ["number", "original_name", "unit_name", "keep_until", "purged_at"]
    search_fields = ["number", "original_name", "sha256"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recording_q(request.user, prefix="recording__"))


admin.site.unregister(Recording)


@admin.register(Recording)
class PurgeableRecordingAdmin(RecordingAdmin):
    actions = ["purge_by_retention"]

    @admin.action(description="按保存期限清除")
    def purge_by_retention(self, request, queryset):
        ip = client_ip(request)
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
