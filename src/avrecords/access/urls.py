from django.urls import path

from avrecords.access import views

app_name = "access"
urlpatterns = [
    path("access/", views.request_list, name="list"),
    path("access/new", views.request_new, name="new"),
    path("access/<int:pk>/", views.request_detail, name="detail"),
    path("access/<int:pk>/approve", views.request_approve, name="approve"),
    path("access/<int:pk>/execute", views.request_execute, name="execute"),
    path("access/<int:pk>/withdraw", views.request_withdraw, name="withdraw"),
    path("access/<int:pk>/revoke", views.request_revoke, name="revoke"),
    path(
        "access/<int:pk>/redacted/<int:redaction_id>",
        views.redacted_download,
        name="redacted_download",
    ),
]
