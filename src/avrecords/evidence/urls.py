from django.urls import path

from avrecords.evidence import views

app_name = "evidence"
urlpatterns = [
    path("evidence/<int:pk>/status", views.package_status, name="status"),
    path("evidence/<int:pk>/download/<str:artifact>", views.package_download, name="download"),
    path("evidence/discs/<int:disc_id>", views.disc_record, name="disc"),
    path("evidence/discs/<int:disc_id>/label.pdf", views.disc_label, name="label"),
]
