from django.urls import path

from avrecords.supervision import views_campaigns

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
]
