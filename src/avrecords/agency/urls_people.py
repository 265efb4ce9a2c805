"""Routes of the agency pages: people (issue 18)."""

urlpatterns: list = []
