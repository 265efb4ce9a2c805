from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from avrecords.audit.admin_mixins import AuditedAdminMixin
from avrecords.org.models import Unit, User


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "parent"]
    search_fields = ["name", "code"]


@admin.register(User)
class PersonAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ["username", "full_name", "badge_no", "officer_no", "unit", "role", "is_active"]
    list_filter = ["role", "unit", "is_active"]
    search_fields = ["username", "full_name", "badge_no", "officer_no"]
    fieldsets = UserAdmin.fieldsets + (
        ("执法信息", {"fields": ("full_name", "badge_no", "officer_no", "unit", "role", "phone")}),
    )
