"""Routes of the registry and usage-ledger pages (E1, E2); included into the `equipment`
namespace by equipment/urls.py."""

from django.urls import path

from avrecords.equipment import views_ledger as views

urlpatterns = [
    path("equipment/devices/new", views.device_new, name="device_new"),
    path("equipment/devices/<int:pk>/edit", views.device_edit, name="device_edit"),
    path("equipment/devices/<int:pk>/usage", views.device_usage, name="device_usage"),
    path("equipment/people/<int:pk>/usage", views.person_usage, name="person_usage"),
    path("equipment/import", views.device_import, name="device_import"),
    path("equipment/export.xlsx", views.device_export, name="device_export"),
    path("equipment/mine", views.my_devices, name="my_devices"),
]
