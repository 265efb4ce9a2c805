from django.urls import path

from avrecords.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/new", views.case_new, name="new"),
    path("cases/<int:case_id>/", views.case_detail, name="detail"),
    path("cases/<int:case_id>/edit", views.case_edit, name="edit"),
    path("cases/<int:case_id>/close", views.case_close, name="close"),
    path("cases/<int:case_id>/file", views.case_file, name="file"),
    path("cases/<int:case_id>/link", views.case_link, name="link"),
    path("cases/<int:case_id>/unlink", views.case_unlink, name="unlink"),
]
