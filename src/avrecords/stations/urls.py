"""Routes of the 采集站 pages (issue 19 §1, §4)."""

from django.urls import path

from avrecords.stations import views, views_manage

app_name = "stations"
urlpatterns = [
    path("stations/", views.station_list, name="list"),
    path("stations/new", views_manage.station_new, name="new"),
    path("stations/<int:pk>/", views.station_detail, name="detail"),
    path("stations/<int:pk>/edit", views_manage.station_edit, name="edit"),
    path("stations/<int:pk>/token", views_manage.station_token, name="token"),
    path("stations/<int:pk>/retire", views_manage.station_retire, name="retire"),
    path(
        "stations/<int:pk>/refusals/<int:refusal>/handle",
        views.refusal_handle,
        name="refusal_handle",
    ),
]
