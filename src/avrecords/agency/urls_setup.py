"""Routes of the agency pages: setup (issue 18)."""

urlpatterns: list = []
