"""Template context shared by every page."""

from avrecords.org.scope import can_ingest


def roles(request):
    user = getattr(request, "user", None)
    return {"can_ingest": bool(user and user.is_authenticated and can_ingest(user))}
