from django.urls import path

from avrecords.audit import views

app_name = "audit"
urlpatterns = [
    path("audit/anchors/", views.anchors_page, name="anchors"),
    path("audit/anchors/anchors.pdf", views.anchors_pdf, name="anchors_pdf"),
    path("audit/anchors/anchors.zip", views.anchors_zip, name="anchors_zip"),
]
