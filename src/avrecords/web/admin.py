"""The admin pages of units and people (org), audited like every admin change (X1).

They are registered here, in a face, and not in org/admin.py: org sits below audit
(docs/architecture.md), and the audit mixin belongs to audit, so org may not import it."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm

from avrecords.audit.admin_mixins import AuditedAdminMixin
from avrecords.org.models import Secrecy, Unit, User

MARKS = [(value, label) for value, label in Secrecy.choices if value]


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "parent"]
    search_fields = ["name", "code"]


class PersonForm(UserChangeForm):
    """Clearances (M9) as check boxes instead of raw JSON."""

    secrecy_clearances = forms.TypedMultipleChoiceField(
        label="涉密知悉范围",
        choices=MARKS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="标注为该密级的音像记录、执法活动和案卷仅对勾选的人员可见",
    )

    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class PersonAdmin(AuditedAdminMixin, UserAdmin):
    form = PersonForm
    list_display = ["username", "full_name", "badge_no", "officer_no", "unit", "role", "is_active"]
    list_filter = ["role", "unit", "is_active"]
    search_fields = ["username", "full_name", "badge_no", "officer_no"]
    filter_horizontal = ("supervised_units", *UserAdmin.filter_horizontal)
    fieldsets = UserAdmin.fieldsets + (
        ("执法信息", {"fields": ("full_name", "badge_no", "officer_no", "unit", "role", "phone")}),
        ("查阅范围", {"fields": ("supervised_units", "secrecy_clearances")}),
    )
