from django.urls import path

from avrecords.web import views_bulk, views_pickers

app_name = "pickers"

urlpatterns = [
    path("pick/<str:kind>/", views_pickers.pick, name="pick"),
    path("recordings/bulk/", views_bulk.recordings_bulk, name="recordings_bulk"),
]
