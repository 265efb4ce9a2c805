from django.urls import path

from avrecords.redaction import views

app_name = "redaction"
urlpatterns = [
    path("recordings/<int:recording_id>/redact", views.request_new, name="new"),
    path("redactions/<int:pk>/", views.detail, name="detail"),
    path("redactions/<int:pk>/progress", views.progress, name="progress"),
    path("redactions/<int:pk>/tracks.json", views.tracks, name="tracks"),
    path("redactions/<int:pk>/tracks/<int:track_id>/hide", views.track_hide, name="track_hide"),
    path("redactions/<int:pk>/boxes", views.add_box, name="add_box"),
    path("redactions/<int:pk>/rerender", views.rerender, name="rerender"),
    path("redactions/<int:pk>/cancel", views.cancel, name="cancel"),
    path("redactions/<int:pk>/sign-off", views.sign_off, name="sign_off"),
    path("redactions/<int:pk>/copy", views.copy, name="copy"),
]
