from django.urls import path

from avrecords.supervision import views_campaigns, views_quality, views_review, views_violations

app_name = "supervision"
urlpatterns = [
    # spot-check and annual review campaigns, scoring (S2, S3)
    path("supervision/campaigns/", views_campaigns.campaign_list, name="campaigns"),
    path("supervision/campaigns/new", views_campaigns.campaign_new, name="campaign_new"),
    path("supervision/campaigns/<int:pk>/", views_campaigns.campaign_detail, name="campaign"),
    path(
        "supervision/campaigns/<int:pk>/draw", views_campaigns.campaign_draw, name="campaign_draw"
    ),
    path(
        "supervision/campaigns/<int:pk>/recheck",
        views_campaigns.campaign_recheck,
        name="campaign_recheck",
    ),
    path(
        "supervision/campaigns/<int:pk>/close",
        views_campaigns.campaign_close,
        name="campaign_close",
    ),
    path("supervision/samples/<int:pk>/", views_campaigns.sample_detail, name="sample"),
    path("supervision/samples/<int:pk>/score", views_campaigns.sample_score, name="sample_score"),
    # the dashboard, quality scores and the 执法质量考评 report (S2); online review (S1)
    path("supervision/", views_quality.dashboard, name="dashboard"),
    path("supervision/report.xlsx", views_quality.report_xlsx, name="report_xlsx"),
    path("supervision/report.pdf", views_quality.report_pdf, name="report_pdf"),
    path("supervision/review/", views_review.review_list, name="review_list"),
    path("supervision/review/<int:activity_id>/", views_review.review_detail, name="review"),
    path(
        "supervision/review/<int:activity_id>/complaint",
        views_review.complaint,
        name="complaint",
    ),
    # the violation register (S4) and accountability decisions (S5)
    path("supervision/violations/", views_violations.violation_list, name="violations"),
    path(
        "supervision/violations/export.xlsx",
        views_violations.violation_export,
        name="violation_export",
    ),
    path("supervision/violations/new", views_violations.violation_new, name="violation_new"),
    path("supervision/violations/<int:pk>/", views_violations.violation_detail, name="violation"),
    path(
        "supervision/violations/<int:pk>/confirm",
        views_violations.violation_confirm,
        name="violation_confirm",
    ),
    path(
        "supervision/violations/<int:pk>/dismiss",
        views_violations.violation_dismiss,
        name="violation_dismiss",
    ),
    path(
        "supervision/violations/<int:pk>/decisions",
        views_violations.violation_propose,
        name="violation_propose",
    ),
    path("supervision/decisions/", views_violations.decision_list, name="decisions"),
    path(
        "supervision/decisions/<int:pk>/approve",
        views_violations.decision_approve,
        name="decision_approve",
    ),
    path(
        "supervision/decisions/<int:pk>/reject",
        views_violations.decision_reject,
        name="decision_reject",
    ),
]
