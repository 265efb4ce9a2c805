"""The agency's own pages (系统管理): each part keeps its routes in its own module."""

from django.urls import include, path

app_name = "agency"
urlpatterns = [
    path("", include("avrecords.agency.urls_units")),
    path("", include("avrecords.agency.urls_people")),
    path("", include("avrecords.agency.urls_person")),
    path("", include("avrecords.agency.urls_roster")),
    path("", include("avrecords.agency.urls_setup")),
    path("", include("avrecords.agency.urls_roles")),
    path("", include("avrecords.agency.urls_two_factor")),
]
