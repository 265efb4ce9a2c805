from django.urls import path

from avrecords.equipment import urls_checks, urls_ledger, views

app_name = "equipment"
urlpatterns = [
    path("equipment/", views.index, name="index"),
    path("equipment/devices/", views.device_list, name="devices"),
    path("equipment/devices/<int:pk>/", views.device_detail, name="device"),
    path("equipment/devices/<int:pk>/issue", views.device_issue, name="device_issue"),
    path("equipment/devices/<int:pk>/return", views.device_return, name="device_return"),
    path("equipment/devices/<int:pk>/event", views.device_event, name="device_event"),
    path(
        "equipment/custody/<int:pk>/accessories",
        views.custody_accessories,
        name="custody_accessories",
    ),
    path(
        "equipment/events/<int:pk>/acknowledge", views.event_acknowledge, name="event_acknowledge"
    ),
    path("equipment/staffing", views.staffing_report, name="staffing"),
    *urls_checks.urlpatterns,
    *urls_ledger.urlpatterns,
]
