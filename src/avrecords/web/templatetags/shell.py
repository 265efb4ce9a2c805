"""The shell's template tags: the side menu of `web/menu.py` for the page being drawn."""

from dataclasses import dataclass, field

from django import template

from avrecords.web import context as menu_flags
from avrecords.web import menu

register = template.Library()


@dataclass
class Shell:
    """The menu's groups for one page, and whether its counts are in the page (`inline`) or
    arrive after it from `/menu/counts` (every page but the workbench, issue 22)."""

    groups: list[menu.Shown] = field(default_factory=list)
    inline: bool = False
    counted: dict[str, int] = field(default_factory=dict)  # slot → number, when inline

    @property
    def todo(self) -> int:
        return self.counted.get("count-top-todo", 0)

    @property
    def messages(self) -> int:
        return self.counted.get("count-top-messages", 0)


@register.simple_tag(takes_context=True)
def side_menu(context):
    """The menu for this page (the view's `nav` and the request's path mark the current
    entry), built once per request. A view that has counted the worklist already (the
    workbench) sets `menu_counts_inline`, and the counts are drawn in place."""
    request = context.get("request")
    if request is None:
        return Shell()
    known = getattr(request, "_avrecords_side_menu", None)
    if known is None:
        flags = menu_flags.roles(request)
        known = Shell(menu.build(flags, request.path, context.get("nav")))
        if context.get("menu_counts_inline"):
            known.inline = True
            known.counted = menu.numbers(flags, known.groups)
            menu.fill(known.groups, known.counted)
        request._avrecords_side_menu = known
    return known
