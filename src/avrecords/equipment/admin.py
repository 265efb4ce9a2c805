from django.contrib import admin

from avrecords.audit.admin_mixins import AuditedAdminMixin
from avrecords.equipment.models import Custody, Device, Station


class CustodyInline(admin.TabularInline):
    """Read-only here: custody changes go through the custody page so each is audited."""

    model = Custody
    fk_name = "device"
    extra = 0
    can_delete = False
    readonly_fields = ["holder", "started_at", "ended_at", "issued_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["serial", "kind", "brand_model", "unit", "status"]
    list_filter = ["kind", "status", "unit"]
    search_fields = ["serial", "asset_no"]
    inlines = [CustodyInline]


@admin.register(Station)
class StationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "unit", "location"]


@admin.register(Custody)
class CustodyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["device", "holder", "started_at", "ended_at"]
    list_filter = ["device__unit"]
