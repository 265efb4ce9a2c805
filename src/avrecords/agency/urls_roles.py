"""Routes of the agency pages: roles (issue 18 §5)."""

from django.urls import path

from avrecords.agency import views_roles

urlpatterns = [
    path("agency/roles/", views_roles.by_role, name="roles"),
    path("agency/roles/check", views_roles.check, name="roles_check"),
]
