from django.contrib import admin

from avrecords.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
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
