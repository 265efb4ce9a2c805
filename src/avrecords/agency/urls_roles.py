"""Routes of the agency pages: roles (issue 18)."""

urlpatterns: list = []
