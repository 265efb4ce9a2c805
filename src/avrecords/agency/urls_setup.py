"""Routes of the agency pages: first-run setup (issue 18 §4)."""

from django.urls import path

from avrecords.agency import views_setup as views

urlpatterns = [
    path("setup/", views.setup_page, name="setup"),
    path("setup/agency", views.setup_agency, name="setup_agency"),
    path("setup/later", views.setup_later, name="setup_later"),
    path("setup/first-admin/", views.first_admin_page, name="first_admin"),
]
