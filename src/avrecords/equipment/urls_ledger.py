"""Routes of the registry pages (E1); included into the `equipment` namespace by
equipment/urls.py. The usage ledgers (E2) are recordings' (recordings/urls.py)."""

from django.urls import path

from avrecords.equipment import views_ledger as views

urlpatterns = [
    path("equipment/devices/new", views.device_new, name="device_new"),
    path("equipment/devices/<int:pk>/edit", views.device_edit, name="device_edit"),
    path("equipment/import", views.device_import, name="device_import"),
    path("equipment/export.xlsx", views.device_export, name="device_export"),
    path("equipment/mine", views.my_devices, name="my_devices"),
]
