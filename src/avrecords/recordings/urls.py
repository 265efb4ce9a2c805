from django.urls import path

from avrecords.recordings import views, views_assign, views_player, views_upload, views_usage

app_name = "recordings"
urlpatterns = [
    path("recordings/", views.recording_list, name="list"),
    path("recordings/<int:recording_id>/", views.recording_detail, name="detail"),
    path("recordings/<int:recording_id>/case-info", views.recording_case_info, name="case_info"),
    path("recordings/<int:recording_id>/assign", views_assign.recording_assign, name="assign"),
    path("recordings/<int:recording_id>/media", views.recording_media, name="media"),
    path("recordings/<int:recording_id>/original", views.recording_original, name="original"),
    path("recordings/<int:recording_id>/thumbnail", views.recording_thumbnail, name="thumbnail"),
    # issue 17 §5: the player's bookmarks and snapshots
    path("recordings/<int:recording_id>/bookmarks", views_player.bookmark_add, name="bookmark_add"),
    path(
        "recordings/<int:recording_id>/bookmarks/<int:bookmark_id>/delete",
        views_player.bookmark_delete,
        name="bookmark_delete",
    ),
    path(
        "recordings/<int:recording_id>/snapshots", views_player.snapshot_take, name="snapshot_take"
    ),
    path(
        "recordings/<int:recording_id>/snapshots/<int:snapshot_id>",
        views_player.snapshot_download,
        name="snapshot",
    ),
    path("upload/", views_upload.upload_page, name="upload"),
    path("ingest/", views.batch_list, name="batches"),
    path("ingest/<int:batch_id>/", views.batch_detail, name="batch"),
    path("quarantine/", views.quarantine_list, name="quarantine"),
    # E2: the usage ledgers count recordings; they keep their addresses in the equipment pages
    path("equipment/devices/<int:pk>/usage", views_usage.device_usage, name="device_usage"),
    path("equipment/people/<int:pk>/usage", views_usage.person_usage, name="person_usage"),
]
