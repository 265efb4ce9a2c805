"""The shell's template tags: the side menu of `web/menu.py` for the page being drawn."""

from django import template

from avrecords.web import context as menu_flags
from avrecords.web import menu

register = template.Library()


@register.simple_tag(takes_context=True)
def side_menu(context):
    """The menu's groups for this page (the view's `nav` and the request's path mark the
    current entry); built once per request."""
    request = context.get("request")
    if request is None:
        return []
    known = getattr(request, "_avrecords_side_menu", None)
    if known is None:
        flags = menu_flags.roles(request)
        known = menu.build(flags, request.path, context.get("nav"))
        request._avrecords_side_menu = known
    return known
