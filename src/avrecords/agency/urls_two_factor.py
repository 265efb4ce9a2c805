"""Routes of the agency pages: two_factor (issue 18 §5). One's own two-factor pages and the
sign-in step are web's (web/urls.py)."""

from django.urls import path

from avrecords.agency import views_two_factor

urlpatterns = [
    path(
        "agency/people/<int:pk>/two-factor/reset",
        views_two_factor.reset,
        name="two_factor_reset",
    ),
]
