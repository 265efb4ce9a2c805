"""Routes for the pre-use check and clock flags (E7), included into the `equipment` namespace."""

from django.urls import path

from avrecords.equipment import views_checks as views

urlpatterns = [
    path("equipment/devices/<int:pk>/check", views.device_check, name="device_check"),
    path("equipment/checks", views.check_list, name="checks"),
    path("equipment/clock-flags", views.flag_list, name="clock_flags"),
    path("equipment/clock-flags/<int:pk>/resolve", views.flag_resolve, name="clock_resolve"),
]
