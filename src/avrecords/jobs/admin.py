"""Background jobs in the admin site: a system administrator may requeue or correct a job
here; each change is audited with the values before and after (X1)."""

from django.contrib import admin

from avrecords.audit.admin_mixins import AuditedAdminMixin
from avrecords.jobs.models import Job


@admin.register(Job)
class JobAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "subject_type",
        "subject_id",
        "state",
        "attempts",
        "worker",
        "created_at",
    ]
    list_filter = ["state", "kind"]
