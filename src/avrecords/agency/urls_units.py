"""Routes of the agency pages: units (issue 18)."""

urlpatterns: list = []
