from django.urls import path

from avrecords.policies import views

app_name = "policies"
urlpatterns = [
    path("policies/", views.profile_list, name="index"),
    path("policies/new", views.profile_new, name="new"),
    path("policies/units", views.unit_assignments, name="units"),
    path("policies/calendar", views.calendar_page, name="calendar"),
    path("policies/<slug:code>/", views.profile_detail, name="detail"),
    path("policies/<slug:code>/edit", views.profile_edit, name="edit"),
    path("policies/<slug:code>/export", views.profile_export, name="export"),
]
