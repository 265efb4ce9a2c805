"""Placeholder until the registry pages land (replaced by the registry helper's routes)."""

from django.urls import path

from avrecords.equipment import views

urlpatterns = [path("equipment/mine", views.device_list, name="my_devices")]
