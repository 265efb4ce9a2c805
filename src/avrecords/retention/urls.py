from django.urls import path

from avrecords.retention import views, views_disposal, views_holds, views_recording, views_records

app_name = "retention"
urlpatterns = [
    path("retention/", views.index, name="index"),
    path("retention/holds/", views_holds.hold_list, name="holds"),
    path("retention/holds/new", views_holds.hold_new, name="hold_new"),
    path("retention/holds/<int:pk>/", views_holds.hold_detail, name="hold"),
    path("retention/holds/<int:pk>/release", views_holds.hold_release, name="hold_release"),
    path("retention/holds/<int:pk>/approve", views_holds.hold_approve, name="hold_approve"),
    path("retention/holds/<int:pk>/reject", views_holds.hold_reject, name="hold_reject"),
    path("retention/disposals/", views_disposal.disposal_list, name="disposals"),
    path("retention/disposals/<int:pk>/", views_disposal.disposal_detail, name="disposal"),
    path(
        "retention/disposals/<int:pk>/progress",
        views_disposal.disposal_progress,
        name="disposal_progress",
    ),
    path(
        "retention/disposals/<int:pk>/items/<int:item_id>",
        views_disposal.item_decide,
        name="item_decide",
    ),
    path(
        "retention/disposals/<int:pk>/submit",
        views_disposal.disposal_submit,
        name="disposal_submit",
    ),
    path(
        "retention/disposals/<int:pk>/decide",
        views_disposal.disposal_decide,
        name="disposal_decide",
    ),
    path("retention/records/", views_records.record_list, name="records"),
    path("retention/records/export.pdf", views_records.record_export, name="records_export"),
    path("retention/records/<int:pk>.pdf", views_records.record_pdf, name="record_pdf"),
    path("retention/recordings/<int:recording_id>/fact", views_recording.record_fact, name="fact"),
    path(
        "retention/recordings/<int:recording_id>/shorten",
        views_recording.ask_to_shorten,
        name="shorten",
    ),
    path("retention/changes/<int:pk>/decide", views_recording.decide_change, name="change_decide"),
]
