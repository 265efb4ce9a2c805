"""The /api/v1/ root: authentication, error shapes, and each app's router."""

from django.contrib.auth import authenticate
from ninja import NinjaAPI, Schema
from ninja.security import HttpBasicAuth, django_auth


class BasicAuth(HttpBasicAuth):
    """HTTP Basic for station scripts (sessions are for browsers)."""

    def authenticate(self, request, username, password):
        user = authenticate(request, username=username, password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


class Error(Schema):
    """Every error response: a Chinese message for the user."""

    detail: str


api = NinjaAPI(
    title="AVRecords 行政执法音像记录管理平台 API",
    version="1",
    auth=[django_auth, BasicAuth()],
    urls_namespace="api",
)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    from django.http import Http404

    if isinstance(exc, Http404):
        return api.create_response(request, {"detail": "记录不存在"}, status=404)
    raise exc


def _register():
    from avrecords.recordings.api import router as recordings_router

    api.add_router("/", recordings_router)


_register()
