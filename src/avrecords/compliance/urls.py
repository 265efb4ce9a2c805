from django.urls import path

from avrecords.compliance import views, views_clearance, views_notice

app_name = "compliance"
urlpatterns = [
    path("activities/", views.activity_list, name="activities"),
    path("activities/new", views.activity_new, name="activity_new"),
    path("activities/import", views.activity_import, name="activity_import"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/link", views.activity_link, name="activity_link"),
    path("activities/<int:pk>/exemption", views.activity_exemption, name="activity_exemption"),
    path("activities/<int:pk>/extension", views.activity_extension, name="activity_extension"),
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/explain", views.finding_explain, name="finding_explain"),
    path("findings/<int:pk>/acknowledge", views.finding_acknowledge, name="finding_acknowledge"),
    path("exemptions/<int:pk>/decide", views.exemption_decide, name="exemption_decide"),
    # the notice check (U5): a missed notice answered and reviewed; 系统管理 → 告知语参考录音
    path(
        "findings/<int:pk>/notice-answer",
        views_notice.finding_notice_answer,
        name="finding_notice_answer",
    ),
    path(
        "findings/<int:pk>/notice-review",
        views_notice.finding_notice_review,
        name="finding_notice_review",
    ),
    path("notice/references/", views_notice.reference_list, name="notice_references"),
    path(
        "notice/references/upload",
        views_notice.reference_upload,
        name="notice_reference_upload",
    ),
    path(
        "notice/references/<int:pk>/audio",
        views_notice.reference_audio,
        name="notice_reference_audio",
    ),
    path(
        "notice/references/<int:pk>/delete",
        views_notice.reference_delete,
        name="notice_reference_delete",
    ),
    path("notice/references/try", views_notice.reference_try, name="notice_try"),
    # transfer and departure clearance (E5): shown in the equipment menu, at its old addresses
    path("equipment/clearances/", views_clearance.clearance_list, name="clearances"),
    path("equipment/clearances/new", views_clearance.clearance_new, name="clearance_new"),
    path("equipment/clearances/<int:pk>/", views_clearance.clearance_detail, name="clearance"),
    path(
        "equipment/clearances/<int:pk>/handover",
        views_clearance.clearance_handover,
        name="clearance_handover",
    ),
    path(
        "equipment/clearances/<int:pk>/complete",
        views_clearance.clearance_complete,
        name="clearance_complete",
    ),
    path(
        "equipment/clearances/<int:pk>/cancel",
        views_clearance.clearance_cancel,
        name="clearance_cancel",
    ),
]
