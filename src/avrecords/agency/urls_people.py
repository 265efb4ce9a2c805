"""Routes of the agency pages: people (issue 18 §1). A person's own page
(`agency/people/<pk>/`, name `agency:person`) is in urls_person."""

from django.urls import path

from avrecords.agency import views_people as views

urlpatterns = [
    path("agency/people/", views.person_list, name="people"),
    path("agency/people/new", views.person_new, name="person_new"),
    path("agency/people/<int:pk>/edit", views.person_edit, name="person_edit"),
    path("agency/people/<int:pk>/password", views.person_password, name="person_password"),
]
