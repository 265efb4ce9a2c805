"""Routes of the agency pages: a person's page and the start of his transfer (issue 18 §1)."""

from django.urls import path

from avrecords.agency import views_person

urlpatterns = [
    path("agency/people/<int:pk>/", views_person.person_detail, name="person"),
    path("agency/people/<int:pk>/transfer", views_person.person_transfer, name="person_transfer"),
]
