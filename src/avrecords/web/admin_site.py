"""The Django admin, for emergencies only (issue 18 §1, §4).

Units, people, devices and the rest are kept on the product's own pages, which check the
rules and audit each change. The admin stays for what those pages cannot yet do and for
emergencies: every model registered in it, by any app, is read-only — no add, change or
delete — unless the operator sets AVRECORDS_ADMIN_WRITABLE=true (docs/configuration.md).
Even then every change is audited: by `audit.admin_mixins` (before and after) where the admin
class has it, else by the names of the fields changed, never their values (a package's model
may hold a secret: a two-factor device's key). Each page carries a banner saying so
(templates/admin/base_site.html).

The site grants the admin by role, like every page: an active staff system administrator
(`sees_everything`) may look at the product's own models and, when the admin is writable,
change what the model's admin class itself allows. An admin class with its own permission
rule (the recordings', retention's: never) keeps it; Django's default rule (model
permissions, which nobody here assigns) gives way to the role. Models of Django and of
packages (groups, two-factor devices) keep Django's rule: superusers only. Admin actions
other than deleting (retention's 按保存期限清除, which goes through the guarded service) stay
available. A two-factor device's secret key and QR code are never shown
(settings.OTP_ADMIN_HIDE_SENSITIVE_DATA).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks

PERMISSIONS = ("has_add_permission", "has_change_permission", "has_delete_permission")


def writable() -> bool:
    return bool(getattr(settings, "AVRECORDS_ADMIN_WRITABLE", False))


def _administers(user) -> bool:
    from avrecords.org.scope import sees_everything  # not at import: the app registry loads it

    return bool(user.is_active and user.is_staff and sees_everything(user))


class EmergencyOnly:
    """Placed in front of every admin class the site registers."""

    def _ours(self, request) -> bool:
        """A system administrator, on a model of the product's own."""
        return self.opts.app_config.name.startswith("avrecords.") and _administers(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._ours(request)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._ours(request)

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
        return rule.__module__.startswith("django.") and self._ours(request)


class AuditedFieldNames:
    """The audit of a change made where the admin class has none of ours: what was added,
    changed (the names of the fields) or deleted, never the values."""

    def _record(self, request, action: str, obj, summary: str, detail: dict) -> None:
        from avrecords.audit import services as audit
        from avrecords.lib.http import client_ip

        audit.record(
            action,
            actor=request.user,
            obj=obj,
            summary=summary,
            detail=detail,
            ip=client_ip(request),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        word = "修改" if change else "新增"
        self._record(
            request,
            "admin.change" if change else "admin.add",
            obj,
            f"{word} {obj._meta.verbose_name} {obj}",
            {"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        self._record(request, "admin.delete", obj, f"删除 {obj._meta.verbose_name} {obj}", {})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class EmergencyAdminSite(admin.AdminSite):
    site_header = "行政执法音像记录管理平台 · 后台管理（仅供应急）"
    site_title = "后台管理"
    index_title = "后台管理"

    def register(self, model_or_iterable, admin_class=None, **options):
        # here, not at import: this module is loaded with the app registry, before models
        from avrecords.audit.admin_mixins import AuditedAdminMixin

        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, EmergencyOnly):
            audited = () if issubclass(admin_class, AuditedAdminMixin) else (AuditedFieldNames,)
            admin_class = type(
                admin_class.__name__,
                (EmergencyOnly, *audited, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def each_context(self, request):
        return super().each_context(request) | {"admin_writable": writable()}

    def discover(self) -> None:
        """Every app's admin module, registered in INSTALLED_APPS order, once."""
        if not getattr(self, "_discovered", False):
            admin.autodiscover()
            self._discovered = True

    def get_urls(self):
        self.discover()
        return super().get_urls()


def check_admin_site(app_configs, **kwargs):
    """Django's check of every admin site, after this site has discovered its modules (its
    lazy default instance is made here: the check asks only the sites already made)."""
    admin.site.discover()
    return check_admin_app(app_configs, **kwargs)


class EmergencyAdminConfig(SimpleAdminConfig):
    """django.contrib.admin with the site above (INSTALLED_APPS names this class).

    Without discovery in ready(): importing every app's admin module (and Django's, django-otp's)
    cost every command's set-up ~7 ms (issue 22 §1). The site discovers them when it is first
    used: when its URLs are built (the URL configuration, before any request) or its system
    check runs (`EmergencyAdminSite.discover`).
    """

    default_site = "avrecords.web.admin_site.EmergencyAdminSite"

    def ready(self):
        # SimpleAdminConfig.ready() with check_admin_site in place of check_admin_app
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_admin_site, checks.Tags.admin)
