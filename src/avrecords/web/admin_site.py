"""The Django admin, for emergencies only (issue 18 §1, §4).

Units, people, devices and the rest are kept on the product's own pages, which check the
rules and audit each change. The admin stays for what those pages cannot yet do and for
emergencies: every model registered in it, by any app, is read-only — no add, change or
delete — unless the operator sets AVRECORDS_ADMIN_WRITABLE=true (docs/configuration.md);
even then every change is audited by `audit.admin_mixins`. Each page carries a banner
saying so (templates/admin/base_site.html).

The site grants the admin by role, like every page: an active staff system administrator
(`sees_everything`) may look at every model and, when the admin is writable, change what
the model's admin class itself allows. An admin class with its own permission rule (the
recordings', retention's: never) keeps it; Django's default rule (model permissions, which
nobody here assigns) gives way to the role. Admin actions other than deleting (retention's
按保存期限清除, which goes through the guarded service) stay available.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

PERMISSIONS = ("has_add_permission", "has_change_permission", "has_delete_permission")


def writable() -> bool:
    return bool(getattr(settings, "AVRECORDS_ADMIN_WRITABLE", False))


def _administers(user) -> bool:
    from avrecords.org.scope import sees_everything  # not at import: the app registry loads it

    return bool(user.is_active and user.is_staff and sees_everything(user))


class EmergencyOnly:
    """Placed in front of every admin class the site registers."""

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _administers(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _administers(request.user)

    def has_add_permission(self, request, *args):
        return writable() and self._may("has_add_permission", request, *args)

    def has_change_permission(self, request, obj=None):
        return writable() and self._may("has_change_permission", request, obj)

    def has_delete_permission(self, request, obj=None):
        return writable() and self._may("has_delete_permission", request, obj)

    def _may(self, name: str, request, *args) -> bool:
        if getattr(super(), name)(request, *args):
            return True
        rule = next(k for k in type(self).__mro__[1:] if name in vars(k) and k is not EmergencyOnly)
        return rule.__module__.startswith("django.") and _administers(request.user)


class EmergencyAdminSite(admin.AdminSite):
    site_header = "行政执法音像记录管理平台 · 后台管理（仅供应急）"
    site_title = "后台管理"
    index_title = "后台管理"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, EmergencyOnly):
            admin_class = type(
                admin_class.__name__,
                (EmergencyOnly, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def each_context(self, request):
        return super().each_context(request) | {"admin_writable": writable()}


class EmergencyAdminConfig(AdminConfig):
    """django.contrib.admin with the site above (INSTALLED_APPS names this class)."""

    default_site = "avrecords.web.admin_site.EmergencyAdminSite"
