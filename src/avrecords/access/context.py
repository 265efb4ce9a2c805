"""Template context for the access app: whether the 登记簿 menu entry shows (M8)."""

from avrecords.access.register import can_view_registers


def register_context(request) -> dict:
    user = getattr(request, "user", None)
    return {"can_view_registers": can_view_registers(user)}
