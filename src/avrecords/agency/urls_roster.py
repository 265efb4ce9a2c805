"""Routes of the agency pages: roster (issue 18)."""

urlpatterns: list = []
