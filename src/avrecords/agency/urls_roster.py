"""Routes of the agency pages: the roster, 人员名册 (issue 18 §3)."""

from django.urls import path

from avrecords.agency import views_roster as views

urlpatterns = [
    path("agency/roster/", views.roster_import, name="roster"),
    path("agency/roster/apply", views.roster_apply, name="roster_apply"),
    path("agency/roster/passwords.xlsx", views.roster_passwords, name="roster_passwords"),
    path("agency/roster/export.xlsx", views.roster_export_xlsx, name="roster_export_xlsx"),
    path("agency/roster/export.csv", views.roster_export_csv, name="roster_export_csv"),
    path("agency/roster/template.xlsx", views.roster_template, name="roster_template"),
]
