"""Routes of the agency pages: units (issue 18 §1)."""

from django.urls import path

from avrecords.agency import views_units as views

urlpatterns = [
    path("agency/units/", views.unit_list, name="units"),
    path("agency/units/new", views.unit_new, name="unit_new"),
    path("agency/units/<int:pk>/", views.unit_detail, name="unit"),
    path("agency/units/<int:pk>/rename", views.unit_rename, name="unit_rename"),
    path("agency/units/<int:pk>/move", views.unit_move, name="unit_move"),
    path("agency/units/<int:pk>/field-squad", views.unit_field_squad, name="unit_field_squad"),
    path("agency/units/<int:pk>/profile", views.unit_profile, name="unit_profile"),
    path("agency/units/<int:pk>/retire", views.unit_retire, name="unit_retire"),
    path("agency/units/<int:pk>/reinstate", views.unit_reinstate, name="unit_reinstate"),
]
