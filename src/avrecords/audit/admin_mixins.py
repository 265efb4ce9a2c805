"""Audit every change made through the Django admin, with before/after snapshots (X1), and,
for evidence, every look at one object's page."""

from __future__ import annotations

from django.forms.models import model_to_dict

from avrecords.audit import services as audit
from avrecords.lib.http import client_ip

HIDDEN_FIELDS = {"password"}


def snapshot(obj) -> dict:
    data = model_to_dict(obj)
    return {
        k: (str(v) if v is not None else None) for k, v in data.items() if k not in HIDDEN_FIELDS
    }


class AuditedAdminMixin:
    """Writes one audit entry for each add, change or delete done in the admin."""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        audit.record(
            "admin.change" if change else "admin.add",
            actor=request.user,
            obj=obj,
            summary=f"{'修改' if change else '新增'} {obj._meta.verbose_name} {obj}",
            detail={"changed": changed},
            ip=client_ip(request),
        )

    def delete_model(self, request, obj):
        before = snapshot(obj)
        label = f"{obj._meta.verbose_name} {obj}"
        audit.record(
            "admin.delete",
            actor=request.user,
            obj=obj,
            summary=f"删除 {label}",
            detail={"before": before},
            ip=client_ip(request),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class AuditedViewAdminMixin:
    """Writes one audit entry each time one object's page is opened in the admin: opening a
    piece of evidence is an act, wherever it happens (X1). `view_action` names the entry
    (e.g. "recording.view", as the recording's own page writes)."""

    view_action = "admin.view"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and request.method == "GET":
            audit.record(
                self.view_action,
                actor=request.user,
                obj=obj,
                summary=f"在管理后台查看 {obj._meta.verbose_name} {obj}",
                detail={"via": "admin"},
                ip=client_ip(request),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
