"""Routes of the agency pages: two_factor (issue 18)."""

urlpatterns: list = []
