from django.urls import path

from avrecords.fixity import views

app_name = "fixity"
urlpatterns = [
    path("fixity/", views.fixity_page, name="index"),
    path(
        "fixity/alarms/<int:check_id>/acknowledge",
        views.acknowledge_alarm,
        name="acknowledge",
    ),
]
